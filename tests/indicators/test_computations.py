"""Each indicator computed from factory data with a known answer, its drill-down, and the no-data
rules (None, never 0)."""

import datetime
from decimal import Decimal

import pytest

from indicators.computations import (
    INDICATOR_NUMBERS,
    NotCounted,
    PartnerSource,
    _YearData,
    compute,
    compute_all,
)
from indicators.services import metro_trained_workers_set
from meetings.models import Organization
from municipalities import services as return_services
from municipalities.models import (
    CouncilStatus,
    PlanStatus,
    ReturnCourseAttendance,
    WorkerPlacement,
    YesNoUnknown,
)
from municipalities.selectors import latest_accepted_status
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
from tests.meetings.factories import CaseReviewFactory, OrganizationFactory
from tests.municipalities.factories import TrainingCourseFactory, secretariat

pytestmark = pytest.mark.django_db

# Case reviews; providers (organisations, roles); partners (organisations, roles); municipalities;
# accepted returns and their two lists of organisations; the secretariat's figures.
COMPUTE_ALL_QUERIES = 10

NO_PLAN = {
    "plan_status": PlanStatus.NOT_PLANNED,
    "plan_made_on": None,
    "plan_not_planned_reason": "人員不足のため",
    "council_status": CouncilStatus.NOT_SET_UP,
    "council_set_up_on": None,
    "council_has_representatives": False,
    "council_has_practitioners": False,
    "council_representatives_meetings": None,
    "council_practitioners_meetings": None,
    "council_private_participation": "",
    "council_not_set_up_reason": "検討中のため",
}


# --- ① case reviews -------------------------------------------------------------------------------------


def test_share_of_case_reviews_the_woman_took_part_in():
    CaseReviewFactory(date=datetime.date(2025, 4, 1), woman_attended=True)
    CaseReviewFactory(date=datetime.date(2025, 9, 1), woman_attended=False, absence_reason="health")
    CaseReviewFactory(date=datetime.date(2026, 3, 31), woman_attended=True)
    CaseReviewFactory(date=datetime.date(2025, 3, 31), woman_attended=False, absence_reason="other")  # FY2024

    result = compute(1, 2025)

    assert result.value == Decimal("66.7")
    assert (result.detail.numerator, result.detail.denominator) == (2, 3)
    assert [row.date for row in result.detail.rows] == [
        datetime.date(2025, 4, 1),
        datetime.date(2025, 9, 1),
        datetime.date(2026, 3, 31),
    ]
    assert compute(1, 2024).value == Decimal("0.0")  # one meeting, she did not take part: 0%, not no data


def test_no_case_review_in_the_year_is_no_data_not_zero():
    CaseReviewFactory(date=datetime.date(2024, 6, 1))
    result = compute(1, 2025)
    assert result.value is None
    assert result.detail.denominator == 0


# --- ② providers -----------------------------------------------------------------------------------------


def test_providers_active_on_the_last_day_of_the_year():
    provider(name="継続中")
    provider(name="年度末まで", end=datetime.date(2026, 3, 31))
    provider(name="年度途中で終了", end=datetime.date(2026, 3, 30))
    provider(name="翌年度から", start=datetime.date(2026, 4, 1))

    result = compute(2, 2025)

    assert sorted(org.name for org in result.detail.organizations) == sorted(["継続中", "年度末まで"])
    assert result.value == 2
    # The pages mask these names: each organisation knows it is a provider without another query.
    assert all(org.is_confidential for org in result.detail.organizations)


def test_providers_no_role_in_the_registry_is_no_data():
    metro_partner(name="協働団体")
    assert compute(2, 2025).value is None


def test_providers_none_active_at_the_year_end_is_zero():
    provider(name="翌年度から", start=datetime.date(2026, 4, 1))
    assert compute(2, 2025).value == 0


# --- ③ trained workers -------------------------------------------------------------------------------------


def test_trained_workers_are_persons_from_this_years_accepted_returns_plus_the_metropolis():
    course_a, course_b = TrainingCourseFactory(fiscal_year=2025), TrainingCourseFactory(fiscal_year=2025)
    # 4 workers trained; 3 attended course A and 2 course B (someone attended both): 4 persons.
    shinjuku = accept(2025, "新宿区", workers_trained=4, course_attendance={course_a: 3, course_b: 2})
    assert sum(ReturnCourseAttendance.objects.filter(annual_return=shinjuku).values_list("persons", flat=True)) == 5
    accept(2025, "港区", workers_trained=2)
    accept(2024, "八王子市", workers_trained=5)  # last year's training is not carried over
    submit(2025, "渋谷区", workers_trained=3)  # in review: not counted yet
    metro_trained_workers_set(
        fiscal_year=2025, center_workers=5, welfare_office_workers=2, source_note="受講者名簿", user=secretariat()
    )

    result = compute(3, 2025)

    assert result.value == 4 + 2 + 5 + 2
    assert {row.municipality.name: row.workers_trained for row in result.detail.municipal_rows} == {"新宿区": 4, "港区": 2}
    assert result.detail.municipal_total == 6
    assert result.detail.metro.total == 7
    assert "八王子市" in {m.name for m in result.detail.municipalities_without_return}


def test_trained_workers_placed_by_the_metropolis_come_from_the_secretariat():
    accept(
        2025,
        "檜原村",
        workers_placement=WorkerPlacement.METRO,
        workers_full_time=None,
        workers_part_time=None,
        workers_trained=None,
    )
    result = compute(3, 2025)
    assert result.value is None  # the village gives no number, and the secretariat has not entered its figures
    assert [row.placed_by_metro for row in result.detail.municipal_rows] == [True]
    assert [m.name for m in result.detail.municipalities_unknown] == ["檜原村"]


def test_trained_workers_with_neither_returns_nor_figures_is_no_data():
    accept(2024, "新宿区", workers_trained=4)
    assert compute(3, 2025).value is None


def test_trained_workers_from_the_secretariat_alone():
    metro_trained_workers_set(
        fiscal_year=2025, center_workers=5, welfare_office_workers=0, source_note="受講者名簿", user=secretariat()
    )
    assert compute(3, 2025).value == 5


# --- ④ private organisations ---------------------------------------------------------------------------------


def test_an_organisation_working_with_the_metropolis_and_two_municipalities_counts_once():
    shared = metro_partner(name="共同の団体")
    municipal = municipal_partner(name="区市町村と協働する団体")
    metro_partner(name="協働を終えた団体", end=datetime.date(2026, 3, 1))  # ended before the year's end
    public = OrganizationFactory(name="区の窓口", kind=Organization.Kind.GOVERNMENT)
    accept(
        2025,
        "新宿区",
        council_private_participation=YesNoUnknown.YES,
        council_organizations=[shared],
        collaboration_organizations=[public],  # not a private organisation: not counted
    )
    accept(2024, "八王子市", collaboration_organizations=[shared, municipal])  # latest accepted as of FY2025

    result = compute(4, 2025)

    assert result.value == 2
    rows = {row.organization.name: row for row in result.detail.rows}
    assert set(rows) == {"共同の団体", "区市町村と協働する団体"}
    assert rows["共同の団体"].sources == [PartnerSource.METRO, "新宿区", "八王子市"]
    assert rows["区市町村と協働する団体"].sources == [PartnerSource.MUNICIPAL_ROLE, "八王子市"]
    assert {m.name: year for m, year in rows["共同の団体"].municipalities.items()} == {"新宿区": 2025, "八王子市": 2024}
    assert result.detail.count_by_source() == {PartnerSource.METRO: 1, PartnerSource.MUNICIPAL_ROLE: 1, "新宿区": 1, "八王子市": 2}


def test_council_members_do_not_count_where_the_council_does_not():
    member = OrganizationFactory(name="会議の構成団体")
    accept(2025, "新宿区", council_private_participation=YesNoUnknown.YES, council_organizations=[member])
    annual_return = accept(2025, "港区", **NO_PLAN)
    annual_return.council_organizations.add(member)  # left over from an earlier answer
    result = compute(4, 2025)
    assert [row.sources for row in result.detail.rows] == [["新宿区"]]


def test_private_organisations_with_no_data_at_all():
    assert compute(4, 2025).value is None


# --- ⑤ ⑥ municipalities -----------------------------------------------------------------------------------------


def test_latest_accepted_information_as_of_the_year_end():
    accept(2024, "新宿区")  # plan made, council set up
    submit(2025, "新宿区", **NO_PLAN)  # in review: last year's accepted information still counts
    accept(2024, "八王子市", **NO_PLAN)
    send_back(2025, "八王子市")  # says plan made, but sent back: does not count
    draft(2025, "港区", plan_status=PlanStatus.MADE)  # a draft: nothing accepted

    for number, reason in ((5, NotCounted.NO_PLAN), (6, NotCounted.NO_COUNCIL)):
        result = compute(number, 2025)
        assert result.value == 1
        assert [(row.municipality.name, row.information_year) for row in result.detail.counted] == [("新宿区", 2024)]
        not_counted = {row.municipality.name: row for row in result.detail.not_counted}
        assert (not_counted["八王子市"].reason, not_counted["八王子市"].information_year) == (reason, 2024)
        assert (not_counted["港区"].reason, not_counted["港区"].information_year) == (NotCounted.NO_INFORMATION, None)
        assert len(result.detail.rows) == 62


def test_integrated_plan_and_existing_council_count():
    accept(
        2025,
        "新宿区",
        plan_status=PlanStatus.INTEGRATED,
        plan_made_on=None,
        integrated_plan_name="男女平等参画推進計画",
        council_status=CouncilStatus.EXISTING,
        council_existing_name="要保護児童対策地域協議会",
    )
    assert (compute(5, 2025).value, compute(6, 2025).value) == (1, 1)


def test_a_council_set_up_after_the_year_end_does_not_count():
    annual_return = accept(2024, "新宿区")
    # The return's rules refuse such a date for its own round; data that came in another way is
    # still judged against the year's end.
    type(annual_return).objects.filter(pk=annual_return.pk).update(council_set_up_on=datetime.date(2025, 6, 1))

    in_2024 = compute(6, 2024)
    assert in_2024.value == 0
    assert {row.municipality.name: row.reason for row in in_2024.detail.not_counted}["新宿区"] == NotCounted.AFTER_YEAR_END
    assert compute(6, 2025).value == 1  # by the end of FY2025 it was set up
    assert compute(5, 2024).value == 1


def test_no_accepted_information_at_all_is_no_data():
    submit(2025, "新宿区")
    assert compute(5, 2025).value is None
    assert compute(6, 2025).value is None


def test_a_reopened_return_stops_counting_until_accepted_again():
    annual_return = accept(2025, "新宿区")
    return_services.annual_return_reopen(annual_return=annual_return, reason="訂正", user=secretariat())
    assert compute(5, 2025).value is None


def test_the_bulk_reading_agrees_with_latest_accepted_status():
    accept(2024, "新宿区")
    accept(2025, "新宿区", **NO_PLAN)
    accept(2025, "港区")
    send_back(2026, "港区")
    accept(2026, "八王子市")
    years = FiscalYear.range(2024, 2027)
    data = _YearData(years, [5])
    for year in years:
        bulk = [(s.municipality.pk, s.annual_return and s.annual_return.pk) for s in data.latest_accepted(year)]
        one = [(s.municipality.pk, s.annual_return and s.annual_return.pk) for s in latest_accepted_status(year.year)]
        assert bulk == one, year


# --- every drill-down adds up; a fixed number of queries ---------------------------------------------------------


def _sample_data():
    CaseReviewFactory(date=datetime.date(2025, 5, 1), woman_attended=True)
    CaseReviewFactory(date=datetime.date(2024, 5, 1), woman_attended=False, absence_reason="health")
    provider(name="委託先")
    shared = metro_partner(name="団体")
    accept(2024, "新宿区", workers_trained=3, collaboration_organizations=[shared])
    accept(2025, "港区", workers_trained=2, **NO_PLAN)
    metro_trained_workers_set(
        fiscal_year=2025, center_workers=5, welfare_office_workers=2, source_note="受講者名簿", user=secretariat()
    )


def test_each_drill_down_total_equals_the_value():
    _sample_data()
    results = compute_all(range(2024, 2029))
    assert len(results) == 6 * 5
    for (number, year), result in results.items():
        assert result.detail.total == result.value, (number, year)
        assert compute(number, year).value == result.value
    assert results[(3, 2025)].value == 9
    assert results[(5, 2025)].value == 1
    assert results[(6, 2024)].value == 1


@pytest.mark.parametrize("years", [[2025], [2024, 2025, 2026, 2027, 2028]])
def test_compute_all_runs_a_fixed_number_of_queries(django_assert_max_num_queries, years):
    _sample_data()
    with django_assert_max_num_queries(COMPUTE_ALL_QUERIES) as captured:
        results = compute_all(years)
    assert {number for number, _ in results} == set(INDICATOR_NUMBERS)
    assert len(captured) == COMPUTE_ALL_QUERIES  # the same for one year and for five
