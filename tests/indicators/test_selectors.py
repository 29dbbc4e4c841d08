"""The figures the pages show: value, state, grade against the path with its thresholds, progress
toward the target, none-safe; a fixed number of queries whatever the number of years."""

from decimal import Decimal

import pytest

from indicators import services
from indicators.grading import BEFORE_PATH, NO_DATA, NOT_SET
from indicators.models import Indicator
from indicators.selectors import FigureState, format_value, indicator_year_figures
from tests.indicators.helpers import accept, provider

pytestmark = pytest.mark.django_db


def figures_of(number, years):
    return next(row for row in indicator_year_figures(years) if row.indicator.number == number)


@pytest.fixture
def with_target(plan_admin):
    """② from 50 providers in FY2023 to 100 in FY2028: the path stands at 70 in FY2025."""
    return services.indicator_set_target(
        indicator=Indicator.objects.get(number=2),
        baseline_value=50,
        baseline_fiscal_year=2023,
        target_value=100,
        target_fiscal_year=2028,
        user=plan_admin,
    )


@pytest.mark.parametrize(
    "value, letter, label, path_progress, progress",
    [
        (70, "A", "達成", "100.0", "40.0"),
        (75, "A", "達成", "125.0", "50.0"),
        (67, "B", "概ね達成", "85.0", "34.0"),
        (66, "B", "概ね達成", "80.0", "32.0"),
        (65, "C", "未達成", "75.0", "30.0"),
        (40, "C", "未達成", "-50.0", "-20.0"),
    ],
)
def test_grade_against_the_path_from_baseline_to_target(plan_admin, with_target, value, letter, label, path_progress, progress):
    services.indicator_value_enter(indicator=with_target, fiscal_year=2025, value=value, source="資料", user=plan_admin)
    figure = figures_of(2, [2025]).years[0]
    assert (figure.grade.letter, figure.grade.label) == (letter, label)
    assert figure.grade.path_progress == Decimal(path_progress)
    assert figure.grade.expected_value == 70
    assert figure.progress == Decimal(progress)
    assert figure.grade.thresholds_label == "A：100.0％以上／B：80.0％以上／C：80.0％未満"
    assert figure.grade_label == f"{letter}（{label}）"


def test_the_secretariats_thresholds_decide_the_grade(plan_admin, with_target):
    services.indicator_set_target(
        indicator=with_target,
        baseline_value=50,
        baseline_fiscal_year=2023,
        target_value=100,
        target_fiscal_year=2028,
        grade_a_threshold=90,
        grade_b_threshold=60,
        user=plan_admin,
    )
    services.indicator_value_enter(indicator=with_target, fiscal_year=2025, value=65, source="資料", user=plan_admin)
    figure = figures_of(2, [2025]).years[0]
    assert figure.grade.letter == "B"
    assert figure.grade.thresholds_label == "A：90.0％以上／B：60.0％以上／C：60.0％未満"


def test_after_the_target_year_the_path_stays_at_the_target(plan_admin):
    indicator = services.indicator_set_target(
        indicator=Indicator.objects.get(number=5),
        baseline_value=10,
        baseline_fiscal_year=2024,
        target_value=30,
        target_fiscal_year=2026,
        user=plan_admin,
    )
    services.indicator_value_enter(indicator=indicator, fiscal_year=2028, value=30, source="資料", user=plan_admin)
    figure = figures_of(5, [2028]).years[0]
    assert (figure.grade.expected_value, figure.grade.letter) == (30, "A")


def test_no_target_no_data_and_before_the_path_are_said_not_graded(plan_admin):
    provider(name="委託先")
    row = figures_of(2, [2025])
    assert (row.baseline_label, row.target_label) == (NOT_SET, NOT_SET)
    assert (row.years[0].grade, row.years[0].grade_label, row.years[0].progress) == (None, NOT_SET, None)

    services.indicator_set_target(
        indicator=row.indicator,
        baseline_value=1,
        baseline_fiscal_year=2024,
        target_value=3,
        target_fiscal_year=2028,
        user=plan_admin,
    )
    row = figures_of(2, [2024, 2025])
    assert row.baseline_label == "1 箇所（令和6年度（2024年度））"
    assert row.years[0].grade_label == BEFORE_PATH
    assert row.years[1].grade.letter == "C"  # 1 against a path at 1.5: 0%

    share = figures_of(1, [2025]).years[0]
    assert (share.value, share.value_label, share.progress) == (None, NO_DATA, None)


def test_states_of_a_figure(plan_admin):
    accept(2024, "新宿区")
    services.indicator_value_enter(
        indicator=Indicator.objects.get(number=2), fiscal_year=2025, value=7, source="事業概要", user=plan_admin
    )
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    by_number = {row.indicator.number: row for row in indicator_year_figures([2024, 2025])}
    frozen, computed = by_number[5].years
    assert (frozen.state, frozen.state_label, frozen.value, frozen.frozen_was_computed) == (
        FigureState.FROZEN,
        "確定値（年度の締め）",
        1,
        True,
    )
    assert frozen.closed_label.startswith("令和")
    assert (computed.state, computed.value, computed.source) == (FigureState.COMPUTED, 1, "システムで算出")
    entered = by_number[2].years[1]
    assert (entered.state, entered.value_label, entered.source) == (FigureState.ENTERED, "7 箇所", "事業概要")


def test_format_value():
    assert format_value(Decimal("12.0"), "箇所") == "12 箇所"
    assert format_value(Decimal("87.5"), "％") == "87.5 ％"
    assert format_value(None, "人") == NO_DATA


@pytest.mark.parametrize("years", [[2025], [2024, 2025, 2026, 2027, 2028]])
def test_a_fixed_number_of_queries_whatever_the_years(plan_admin, django_assert_max_num_queries, years):
    accept(2024, "新宿区")
    provider(name="委託先")
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    with django_assert_max_num_queries(13) as captured:
        rows = indicator_year_figures(years)
    assert [len(row.years) for row in rows] == [len(years)] * 6
    assert len(captured) == 13  # indicators, values, closings, and compute_all's ten
