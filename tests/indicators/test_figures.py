"""The figures alone (the overview, the dashboard) are counted by the database; they must be the very
figures the drill-down adds up to, year by year, on data that tries every rule: roles ending on and
before a year's end, returns superseded, sent back, reopened, dated after the year's end, councils
not set up whose members are still listed, organisations that are not private."""

import datetime
from decimal import Decimal

import pytest

from indicators.computations import INDICATOR_NUMBERS, _YearData, compute_all
from indicators.selectors import indicator_year_figures
from indicators.services import metro_trained_workers_set
from meetings.models import Organization, OrganizationRole
from municipalities import services as return_services
from municipalities.models import AnnualReturn, CouncilStatus, PlanStatus, WorkerPlacement, YesNoUnknown
from plan.common.fiscal_year import FiscalYear
from tests.indicators.helpers import (
    accept,
    draft,
    metro_partner,
    municipal_partner,
    provider,
    send_back,
    submit,
)
from tests.indicators.test_computations import NO_PLAN
from tests.meetings.factories import CaseReviewFactory, OrganizationFactory, OrganizationRoleFactory
from tests.municipalities.factories import secretariat

pytestmark = pytest.mark.django_db

YEARS = list(range(2022, 2029))
# Case reviews, provider roles, the returns' groups, the secretariat's figures, and for ④ the partner
# roles and the two lists of organisations named in returns: whatever the years and the records.
FIGURE_QUERIES = 7
IN_2023 = {"plan_made_on": datetime.date(2023, 6, 1), "council_set_up_on": datetime.date(2023, 6, 1)}


def _varied_data():
    day = datetime.date
    # ① in several years, one on each edge of FY2024.
    for date, attended in [
        (day(2023, 6, 1), True),
        (day(2024, 3, 31), False),
        (day(2024, 4, 1), True),
        (day(2024, 9, 1), True),
        (day(2025, 3, 31), False),
        (day(2026, 5, 1), False),
    ]:
        CaseReviewFactory(
            date=date, woman_attended=attended, **({} if attended else {"absence_reason": "health"})
        )
    # ② ending on and before a year's end, starting later, a provider of another kind, two periods.
    provider(name="継続中", start=day(2022, 4, 1))
    provider(name="FY2024末まで", start=day(2022, 4, 1), end=day(2025, 3, 31))
    provider(name="年度途中で終了", end=day(2025, 3, 30))
    provider(name="翌年度から", start=day(2026, 4, 1))
    provider(name="公的な委託先", kind=Organization.Kind.MEDICAL)
    twice = provider(name="二つの期間", start=day(2022, 4, 1), end=day(2024, 3, 31))
    OrganizationRoleFactory(
        organization=twice, role=OrganizationRole.Kind.TEMPORARY_PROTECTION, start_date=day(2025, 4, 1)
    )
    # ④ roles and organisations named by returns.
    with_metro = metro_partner(name="都と協働", start=day(2023, 4, 1), end=day(2026, 3, 31))
    with_municipal = municipal_partner(name="区市町村と協働", start=day(2025, 4, 1))
    named_only = OrganizationFactory(name="報告にだけ載る団体")
    member = OrganizationFactory(name="会議の構成団体")
    public = OrganizationFactory(name="区の窓口", kind=Organization.Kind.GOVERNMENT)

    # 新宿区: FY2023 naming two, superseded in FY2024 by a return naming none, FY2026 naming one again.
    accept(2023, "新宿区", workers_trained=3, collaboration_organizations=[named_only, with_metro], **IN_2023)
    accept(2024, "新宿区", workers_trained=None, **NO_PLAN)
    accept(2026, "新宿区", collaboration_organizations=[named_only, with_municipal])
    # 港区: a council with a private member in FY2025; in FY2024 no council, the member left listed.
    left_over = accept(2024, "港区", **NO_PLAN)
    left_over.council_organizations.add(member)
    accept(
        2025,
        "港区",
        council_private_participation=YesNoUnknown.YES,
        council_organizations=[member, public],
        collaboration_organizations=[public],
    )
    draft(2026, "港区", plan_status=PlanStatus.NOT_PLANNED)
    # 八王子市: dates after the year's end (reached the table another way), then sent back.
    late = accept(
        2024, "八王子市", council_private_participation=YesNoUnknown.YES, council_organizations=[member]
    )
    AnnualReturn.objects.filter(pk=late.pk).update(
        plan_made_on=day(2026, 4, 1), council_set_up_on=day(2025, 6, 1)
    )
    send_back(2025, "八王子市")
    # 渋谷区: accepted in FY2025, reopened (no longer counts), and in review in FY2026.
    reopened = accept(2025, "渋谷区", workers_trained=5)
    return_services.annual_return_reopen(annual_return=reopened, reason="訂正", user=secretariat())
    accept(
        2024,
        "渋谷区",
        workers_trained=2,
        plan_status=PlanStatus.IN_PROGRESS,
        plan_made_on=None,
        plan_expected_fiscal_year=2026,
    )
    submit(2026, "渋谷区")
    # A plan made as part of another, an existing council; a village whose workers the metropolis places.
    accept(
        2025,
        "世田谷区",
        plan_status=PlanStatus.INTEGRATED,
        plan_made_on=None,
        integrated_plan_name="男女平等参画推進計画",
        council_status=CouncilStatus.EXISTING,
        council_set_up_on=None,
        council_existing_name="要保護児童対策地域協議会",
        workers_trained=0,
    )
    accept(
        2025,
        "檜原村",
        workers_placement=WorkerPlacement.METRO,
        workers_full_time=None,
        workers_part_time=None,
        workers_trained=None,
    )
    for year, center, offices in ((2024, 5, 2), (2026, 0, 0)):
        metro_trained_workers_set(
            fiscal_year=year,
            center_workers=center,
            welfare_office_workers=offices,
            source_note="名簿",
            user=secretariat(),
        )


def _values(results):
    return {key: computation.value for key, computation in results.items()}


@pytest.mark.parametrize(
    "years", [YEARS, [2025], [2022, 2024, 2027]], ids=["every year", "one year", "some years"]
)
def test_the_figures_counted_by_the_database_are_the_drill_downs_totals(years):
    _varied_data()
    with_drill_down = compute_all(years)
    figures_only = compute_all(years, detail_years=())

    assert _values(figures_only) == _values(with_drill_down)
    assert all(computation.detail is None for computation in figures_only.values())
    assert set(figures_only) == {(number, year) for number in INDICATOR_NUMBERS for year in years}


def test_the_data_tries_every_kind_of_figure():
    """The comparison above means something: figures of every kind, none and zero among them."""
    _varied_data()
    values = _values(compute_all(YEARS, detail_years=()))
    expected = {  # FY2022 … FY2028, worked out by hand from the data above
        1: [None, "50.0", "66.7", None, "0.0", None, None],
        2: [3, 3, 3, 3, 4, 4, 4],
        3: [None, 3, 17, 4, 4, None, None],  # FY2024: 4 + 4 + 2 and the secretariat's 7
        4: [0, 2, 1, 3, 3, 3, 3],  # FY2022: no organisation yet, but partner roles are recorded
        5: [None, 1, 0, 3, 5, 5, 5],
        6: [None, 1, 1, 5, 6, 6, 6],
    }
    for number, row in expected.items():
        assert [values[(number, year)] for year in YEARS] == [
            None if value is None else Decimal(value) for value in row
        ], number


def test_only_the_years_asked_for_come_with_their_drill_down():
    _varied_data()
    results = compute_all(YEARS, detail_years=[2025])
    assert _values(results) == _values(compute_all(YEARS))
    assert {year for (_, year), computation in results.items() if computation.detail is not None} == {2025}
    assert results[(5, 2025)].detail.total == results[(5, 2025)].value


@pytest.mark.parametrize("many", [False, True], ids=["one year, little data", "seven years, varied data"])
def test_the_figures_alone_run_a_fixed_number_of_queries(many, django_assert_max_num_queries):
    if many:
        _varied_data()
        years = YEARS
    else:
        accept(2025, "新宿区")
        years = [2025]
    with django_assert_max_num_queries(FIGURE_QUERIES) as captured:
        compute_all(years, detail_years=())
    assert len(captured) == FIGURE_QUERIES


def test_the_selector_passes_the_choice_on(indicators_data):
    _varied_data()
    figures = indicator_year_figures(YEARS, detail_years=())
    drilled = indicator_year_figures(YEARS)
    assert [[figure.value for figure in row.years] for row in figures] == [
        [figure.value for figure in row.years] for row in drilled
    ]
    assert all(figure.computation.detail is None for row in figures for figure in row.years)


def test_the_drill_down_reads_only_the_latest_accepted_returns_as_of_its_years():
    """Not every return of every year: each municipality's latest accepted one as of the year."""
    accept(2022, "新宿区", **NO_PLAN)
    accept(2023, "新宿区", **IN_2023)
    latest = accept(2024, "新宿区")
    accept(2023, "港区", **IN_2023)
    submit(2024, "港区")
    data = _YearData([FiscalYear(2024)], [5])
    assert sorted(annual_return.pk for annual_return in data.accepted) == sorted(
        [latest.pk, AnnualReturn.objects.get(round__fiscal_year=2023, municipality__name="港区").pk]
    )
