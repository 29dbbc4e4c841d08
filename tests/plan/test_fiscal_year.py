"""Japanese fiscal years (年度): boundaries, labels and the default reporting year."""

import datetime

import pytest

from plan.common.fiscal_year import FiscalYear

PLAN_FIRST, PLAN_LAST = 2024, 2028  # 令和6〜10年度


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (datetime.date(2025, 3, 31), 2024),
        (datetime.date(2025, 4, 1), 2025),
        (datetime.date(2025, 12, 31), 2025),
        (datetime.date(2026, 1, 1), 2025),
    ],
)
def test_of_starts_the_fiscal_year_on_1_april(day, year):
    assert FiscalYear.of(day) == FiscalYear(year)


def test_of_converts_aware_datetimes_to_tokyo_time():
    # 15:30 UTC on 31 March is 00:30 on 1 April in Tokyo.
    assert FiscalYear.of(datetime.datetime(2025, 3, 31, 15, 30, tzinfo=datetime.UTC)) == FiscalYear(2025)
    assert FiscalYear.of(datetime.datetime(2025, 3, 31, 14, 59, tzinfo=datetime.UTC)) == FiscalYear(2024)


def test_of_takes_naive_datetimes_as_they_are():
    assert FiscalYear.of(datetime.datetime(2025, 3, 31, 23, 59)) == FiscalYear(2024)


@pytest.mark.parametrize(
    ("year", "label"),
    [
        (2025, "令和7年度（2025年度）"),
        (2024, "令和6年度（2024年度）"),
        (2028, "令和10年度（2028年度）"),
        (2019, "令和元年度（2019年度）"),
        (2018, "平成30年度（2018年度）"),
        (1989, "平成元年度（1989年度）"),
        (1988, "昭和63年度（1988年度）"),
    ],
)
def test_label_gives_the_era_year_and_the_western_year(year, label):
    assert FiscalYear(year).label == label
    assert str(FiscalYear(year)) == label


def test_era_label_alone():
    assert FiscalYear(2025).era_label == "令和7年度"
    assert FiscalYear(2018).era_label == "平成30年度"


def test_start_and_end_dates():
    fiscal_year = FiscalYear(2025)
    assert fiscal_year.start == datetime.date(2025, 4, 1)
    assert fiscal_year.end == datetime.date(2026, 3, 31)


def test_in_checks_the_days_of_the_fiscal_year():
    fiscal_year = FiscalYear(2025)
    assert datetime.date(2025, 4, 1) in fiscal_year
    assert datetime.date(2026, 3, 31) in fiscal_year
    assert datetime.date(2025, 3, 31) not in fiscal_year
    assert datetime.date(2026, 4, 1) not in fiscal_year


def test_range_covers_the_plan_period_inclusive():
    years = FiscalYear.range(PLAN_FIRST, PLAN_LAST)
    assert years == [FiscalYear(2024), FiscalYear(2025), FiscalYear(2026), FiscalYear(2027), FiscalYear(2028)]
    assert years[0].label == "令和6年度（2024年度）"
    assert years[-1].label == "令和10年度（2028年度）"


def test_next_previous_and_order():
    assert FiscalYear(2025).next() == FiscalYear(2026)
    assert FiscalYear(2025).previous() == FiscalYear(2024)
    assert FiscalYear(2024) < FiscalYear(2025)


def test_current_uses_the_given_day():
    assert FiscalYear.current(datetime.date(2026, 3, 31)) == FiscalYear(2025)


@pytest.mark.parametrize(
    ("today", "year"),
    [
        (datetime.date(2026, 5, 1), 2025),  # the year that ended on 31 March
        (datetime.date(2026, 4, 1), 2025),
        (datetime.date(2026, 3, 31), 2024),  # FY2025 has not ended yet
        (datetime.date(2024, 5, 1), 2024),  # nothing ended inside the plan yet: clamped to its first year
        (datetime.date(2031, 1, 1), 2028),  # after the plan: its last year
    ],
)
def test_default_reporting_year_is_the_year_just_ended_within_the_plan(today, year):
    assert FiscalYear.default_reporting_year(today=today, first=PLAN_FIRST, last=PLAN_LAST) == FiscalYear(
        year
    )


def test_default_reporting_year_reads_aware_datetimes_in_tokyo_time():
    # 2026-03-31T15:30Z is 1 April 2026 in Tokyo: FY2025 has just ended.
    moment = datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)
    assert FiscalYear.default_reporting_year(today=moment, first=PLAN_FIRST, last=PLAN_LAST) == FiscalYear(
        2025
    )
