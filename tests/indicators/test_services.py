"""Writing the indicators: targets, entered values, the secretariat's figures, closing a year and
republishing. Refusals say why beside the field and save nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from indicators import services
from indicators.models import FiscalYearClosure, Indicator, IndicatorValue, MetroTrainedWorkers
from indicators.selectors import FigureState, indicator_year_figures
from municipalities.models import PlanStatus
from tests.indicators.helpers import accept, provider, reopen_and_accept

pytestmark = pytest.mark.django_db


def indicator(number):
    return Indicator.objects.get(number=number)


def figure(number, year):
    row = next(row for row in indicator_year_figures([year]) if row.indicator.number == number)
    return row.years[0]


def set_target(user, number=2, **overrides):
    values = {
        "baseline_value": 30,
        "baseline_fiscal_year": 2023,
        "target_value": 40,
        "target_fiscal_year": 2028,
    } | overrides
    return services.indicator_set_target(indicator=indicator(number), user=user, **values)


def field_errors(error: ValidationError) -> dict:
    return error.value.message_dict


# --- who may write -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "bureau_staff", "municipal_officer", "case_handler", "system_operator", "no_role"])
def test_only_plan_administrators_write(request, who):
    user = request.getfixturevalue(who)
    calls = [
        lambda: set_target(user),
        lambda: services.indicator_value_enter(indicator=indicator(2), fiscal_year=2025, value=3, source="資料", user=user),
        lambda: services.indicator_value_clear(indicator=indicator(2), fiscal_year=2025, user=user),
        lambda: services.metro_trained_workers_set(
            fiscal_year=2025, center_workers=1, welfare_office_workers=1, source_note="名簿", user=user
        ),
        lambda: services.fiscal_year_close(fiscal_year=2024, user=user),
        lambda: services.fiscal_year_republish(fiscal_year=2024, reason="訂正", user=user),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not IndicatorValue.objects.exists()
    assert not FiscalYearClosure.objects.exists()
    assert not MetroTrainedWorkers.objects.exists()
    assert indicator(2).target_value is None


# --- targets --------------------------------------------------------------------------------------------------


def test_setting_a_target_keeps_history(plan_admin):
    set_target(plan_admin, grade_a_threshold="95", grade_b_threshold="７０")
    stored = indicator(2)
    assert (stored.baseline_value, stored.baseline_fiscal_year, stored.target_value, stored.target_fiscal_year) == (
        30,
        2023,
        40,
        2028,
    )
    assert (stored.grade_a_threshold, stored.grade_b_threshold) == (Decimal("95"), Decimal("70"))
    latest = stored.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (plan_admin, services.REASON_TARGET)


@pytest.mark.parametrize(
    "number, overrides, field",
    [
        (1, {"target_value": "100.5"}, "target_value"),  # a share is at most 100%
        (2, {"baseline_value": -1}, "baseline_value"),
        (2, {"target_fiscal_year": 2030}, "target_fiscal_year"),  # outside the plan's period
        (2, {"baseline_fiscal_year": 2028}, "target_fiscal_year"),  # the target after the baseline
        (2, {"target_fiscal_year": None}, "target_fiscal_year"),  # a value without its year
        (2, {"target_value": 30}, "target_value"),  # no way from the baseline to the target
        (2, {"grade_a_threshold": 80, "grade_b_threshold": 90}, "grade_b_threshold"),  # ordered
        (2, {"target_value": "たくさん"}, "target_value"),
    ],
)
def test_bad_targets_are_refused_beside_their_field(plan_admin, number, overrides, field):
    with pytest.raises(ValidationError) as error:
        set_target(plan_admin, number, **overrides)
    assert field in field_errors(error)
    assert indicator(number).target_value is None


def test_a_target_can_be_cleared_to_not_set(plan_admin):
    set_target(plan_admin)
    set_target(plan_admin, baseline_value="", baseline_fiscal_year=None, target_value=None, target_fiscal_year="")
    assert not indicator(2).has_target


# --- entered values ---------------------------------------------------------------------------------------------


def test_an_entered_value_needs_its_source(plan_admin):
    with pytest.raises(ValidationError) as error:
        services.indicator_value_enter(indicator=indicator(2), fiscal_year=2025, value=3, source="  ", user=plan_admin)
    assert "entered_source" in field_errors(error)
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize(
    "number, year, value, field",
    [(1, 2025, "101", "entered_value"), (2, 2025, -3, "entered_value"), (2, 2023, 3, "fiscal_year"), (2, 2029, 3, "fiscal_year")],
)
def test_bad_entered_values_are_refused(plan_admin, number, year, value, field):
    with pytest.raises(ValidationError) as error:
        services.indicator_value_enter(indicator=indicator(number), fiscal_year=year, value=value, source="資料", user=plan_admin)
    assert field in field_errors(error)


def test_an_entered_value_is_never_replaced_by_a_computed_one(plan_admin):
    services.indicator_value_enter(indicator=indicator(2), fiscal_year=2025, value="１２", source="事業概要", user=plan_admin)
    provider(name="委託先")  # the system now has data for the year
    shown = figure(2, 2025)
    assert (shown.value, shown.state, shown.source) == (Decimal("12"), FigureState.ENTERED, "事業概要")
    assert shown.computed_value == 1  # both are there for whoever compares them

    services.indicator_value_clear(indicator=indicator(2), fiscal_year=2025, user=plan_admin)
    shown = figure(2, 2025)
    assert (shown.value, shown.state) == (1, FigureState.COMPUTED)
    reasons = list(IndicatorValue.objects.get().history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["値の入力（令和7年度）", "入力値の取消し（令和7年度）"]


def test_clearing_without_an_entered_value_is_refused(plan_admin):
    with pytest.raises(ValidationError):
        services.indicator_value_clear(indicator=indicator(2), fiscal_year=2025, user=plan_admin)


# --- the secretariat's figures for ③ ----------------------------------------------------------------------------


def test_metro_figures_are_entered_and_corrected(plan_admin):
    services.metro_trained_workers_set(
        fiscal_year=2025, center_workers=5, welfare_office_workers=2, source_note="名簿", user=plan_admin
    )
    services.metro_trained_workers_set(
        fiscal_year=2025, center_workers="６", welfare_office_workers=2, source_note="名簿（訂正）", user=plan_admin
    )
    figures = MetroTrainedWorkers.objects.get()
    assert (figures.center_workers, figures.total, figures.entered_by) == (6, 8, plan_admin)
    assert figures.history.count() == 2


@pytest.mark.parametrize(
    "values, field",
    [
        ({"center_workers": -1}, "center_workers"),
        ({"center_workers": ""}, "center_workers"),
        ({"welfare_office_workers": "1.5"}, "welfare_office_workers"),
        ({"source_note": ""}, "source_note"),
        ({"fiscal_year": 2030}, "fiscal_year"),
    ],
)
def test_bad_metro_figures_are_refused(plan_admin, values, field):
    arguments = {"fiscal_year": 2025, "center_workers": 5, "welfare_office_workers": 2, "source_note": "名簿"} | values
    with pytest.raises(ValidationError) as error:
        services.metro_trained_workers_set(user=plan_admin, **arguments)
    assert field in field_errors(error)
    assert not MetroTrainedWorkers.objects.exists()


# --- closing and republishing --------------------------------------------------------------------------------------


def test_closing_freezes_every_indicator(plan_admin):
    provider(name="委託先")
    services.indicator_value_enter(indicator=indicator(1), fiscal_year=2024, value="80.5", source="センター資料", user=plan_admin)

    closure = services.fiscal_year_close(fiscal_year=2024, user=plan_admin)

    assert closure.closed_by == plan_admin
    values = {value.indicator.number: value for value in IndicatorValue.objects.filter(fiscal_year=2024)}
    assert set(values) == {1, 2, 3, 4, 5, 6}
    assert (values[1].published_value, values[1].published_computed, values[1].published_source) == (
        Decimal("80.5"),
        False,
        "センター資料",
    )
    assert (values[2].published_value, values[2].published_computed) == (1, True)
    assert values[5].published_value is None  # no data is frozen as no data, not 0
    assert all(value.published_at == closure.closed_at and value.published_by == plan_admin for value in values.values())


def test_a_year_is_closed_once_and_only_after_it_ended(plan_admin):
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    with pytest.raises(ValidationError) as error:
        services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    assert "fiscal_year" in field_errors(error)
    with pytest.raises(ValidationError) as error:  # FY2026 ends on 31 March 2027
        services.fiscal_year_close(fiscal_year=2026, user=plan_admin)
    assert "まだ終わっていません" in field_errors(error)["fiscal_year"][0]
    with pytest.raises(ValidationError):
        services.fiscal_year_close(fiscal_year=2023, user=plan_admin)  # before the plan
    assert list(FiscalYearClosure.objects.values_list("fiscal_year", flat=True)) == [2024]


def test_a_closed_year_refuses_entries(plan_admin):
    services.indicator_value_enter(indicator=indicator(2), fiscal_year=2024, value=3, source="資料", user=plan_admin)
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    with pytest.raises(ValidationError):
        services.indicator_value_enter(indicator=indicator(2), fiscal_year=2024, value=4, source="資料", user=plan_admin)
    with pytest.raises(ValidationError):
        services.indicator_value_clear(indicator=indicator(2), fiscal_year=2024, user=plan_admin)
    assert IndicatorValue.objects.get(indicator__number=2, fiscal_year=2024).entered_value == 3


def test_a_closed_years_figures_do_not_change_when_a_return_is_reopened_and_changed(plan_admin):
    shinjuku = accept(2024, "新宿区")
    accept(2024, "港区")
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    assert figure(5, 2024).value == 2

    # The secretariat reopens 新宿区's return: its plan had not been made after all.
    reopen_and_accept(
        shinjuku, plan_status=PlanStatus.IN_PROGRESS, plan_made_on=None, plan_expected_fiscal_year=2026
    )

    shown = figure(5, 2024)
    assert (shown.value, shown.state) == (2, FigureState.FROZEN)  # the published figure stands
    assert (shown.differs, shown.recomputed_value, shown.computed_value) == (True, 1, 1)
    assert not figure(6, 2024).differs

    with pytest.raises(ValidationError) as error:
        services.fiscal_year_republish(fiscal_year=2024, reason=" ", user=plan_admin)
    assert "reason" in field_errors(error)

    republished = services.fiscal_year_republish(fiscal_year=2024, reason="新宿区の報告の訂正による", user=plan_admin)

    assert [value.indicator.number for value in republished] == [5]
    shown = figure(5, 2024)
    assert (shown.value, shown.differs, shown.stored.published_reason) == (1, False, "新宿区の報告の訂正による")
    history = list(shown.stored.history.order_by("history_id"))
    assert [entry.published_value for entry in history] == [2, 1]
    assert history[-1].history_change_reason == "再公表（令和6年度）：新宿区の報告の訂正による"
    with pytest.raises(ValidationError):  # nothing differs any more
        services.fiscal_year_republish(fiscal_year=2024, reason="念のため", user=plan_admin)


def test_republishing_an_open_year_is_refused(plan_admin):
    with pytest.raises(ValidationError):
        services.fiscal_year_republish(fiscal_year=2024, reason="訂正", user=plan_admin)


def test_named_indicators_are_republished_even_when_unchanged(plan_admin):
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    republished = services.fiscal_year_republish(fiscal_year=2024, reason="出典の確認", user=plan_admin, indicators=[6])
    assert [value.indicator.number for value in republished] == [6]
    assert republished[0].published_value is None


def test_data_after_the_year_end_leaves_the_frozen_figure(plan_admin):
    provider(name="委託先", start=datetime.date(2024, 4, 1))
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    provider(name="遅れて登録された委託先", start=datetime.date(2024, 10, 1))
    shown = figure(2, 2024)
    assert (shown.value, shown.recomputed_value, shown.recomputed_label) == (1, 2, "2 箇所")
