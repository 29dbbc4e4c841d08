"""What a return must meet: the field rules every save meets (`clean()`), and what a submission
needs besides (`completeness_errors()`). Messages in Japanese, by field."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from meetings.models import Organization
from municipalities import services
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    PlanStatus,
    ReturnRound,
    WorkerPlacement,
    YesNoUnknown,
)
from tests.factories import municipality
from tests.municipalities.factories import (
    YEAR,
    AnnualReturnFactory,
    ReturnRoundFactory,
    TrainingCourseFactory,
    complete_values,
    deadline_for,
    save,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(plan_admin):
    return AnnualReturnFactory(round=ReturnRoundFactory(opened_by=plan_admin))


def save_errors(annual_return, user, **values) -> dict:
    with pytest.raises(ValidationError) as refused:
        save(annual_return, user, **values)
    return refused.value.message_dict


def completeness(annual_return, user, **values) -> dict:
    """The submission's errors for a return saved with `values`."""
    return save(annual_return, user, **values).completeness_errors()


# --- whole numbers -----------------------------------------------------------------------------------


class TestWholeNumbers:
    def test_full_width_digits_are_normalised(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, workers_full_time="１２", council_case_review_meetings=" ３ ")
        assert (saved.workers_full_time, saved.council_case_review_meetings) == (12, 3)

    def test_zero_and_not_known_are_different_answers(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, workers_full_time="０", workers_part_time="")
        assert saved.workers_full_time == 0 and saved.workers_part_time is None
        saved.refresh_from_db()
        assert saved.workers_full_time == 0 and saved.workers_part_time is None

    @pytest.mark.parametrize("typed", [-1, "－３", "3.5", "たくさん"])
    def test_anything_but_a_whole_number_from_zero_is_refused(self, draft, municipal_officer, typed):
        errors = save_errors(draft, municipal_officer, workers_trained=typed)
        assert list(errors) == ["workers_trained"]

    def test_a_negative_number_gets_a_message_of_ours(self, draft, municipal_officer):
        assert save_errors(draft, municipal_officer, workers_part_time=-2) == {
            "workers_part_time": ["0以上の整数で入力してください。"]
        }

    def test_an_implausible_number_is_refused(self, draft, municipal_officer):
        assert save_errors(draft, municipal_officer, council_case_review_meetings=100000) == {
            "council_case_review_meetings": ["9999以下の整数で入力してください。"]
        }


# --- dates and years -------------------------------------------------------------------------------------


class TestDatesAndYears:
    def test_a_date_after_the_reporting_years_end_is_refused(self, draft, municipal_officer):
        errors = save_errors(draft, municipal_officer, plan_made_on=datetime.date(2026, 4, 1))
        assert "年度末時点の状況" in errors["plan_made_on"][0] and "2026年3月31日" in errors["plan_made_on"][0]
        assert save(draft, municipal_officer, plan_made_on=datetime.date(2026, 3, 31)).plan_made_on.day == 31

    def test_a_date_before_2000_is_refused(self, draft, municipal_officer):
        errors = save_errors(draft, municipal_officer, council_set_up_on=datetime.date(1999, 12, 1))
        assert errors == {"council_set_up_on": ["2000年4月1日以降の日付を入力してください。"]}

    def test_an_expected_year_must_be_after_the_reporting_year(self, draft, municipal_officer):
        errors = save_errors(draft, municipal_officer, plan_expected_fiscal_year=2025, council_expected_fiscal_year=2099)
        assert "より後の年度" in errors["plan_expected_fiscal_year"][0]
        assert "以前の年度" in errors["council_expected_fiscal_year"][0]
        assert save(draft, municipal_officer, plan_expected_fiscal_year=2026).plan_expected_fiscal_year == 2026

    def test_the_plan_period_ends_after_it_starts(self, draft, municipal_officer):
        errors = save_errors(draft, municipal_officer, plan_period_start=2026, plan_period_end=2025)
        assert errors == {"plan_period_end": ["計画期間の終了年度は開始年度以降にしてください。"]}

    def test_a_round_reports_on_a_year_of_the_plan_with_a_deadline_after_it(self):
        round = ReturnRound(fiscal_year=2030, deadline=datetime.date(2031, 5, 1))
        with pytest.raises(ValidationError) as refused:
            round.full_clean()
        assert "計画期間" in refused.value.message_dict["fiscal_year"][0]
        round = ReturnRound(fiscal_year=YEAR, deadline=datetime.date(2026, 3, 31))
        with pytest.raises(ValidationError) as refused:
            round.full_clean()
        assert "より後の日付" in refused.value.message_dict["deadline"][0]
        ReturnRound(fiscal_year=YEAR, deadline=deadline_for(YEAR)).full_clean()


# --- what a submission needs ------------------------------------------------------------------------------


class TestCompleteness:
    def test_a_draft_may_be_incomplete_a_submission_may_not(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, plan_name="途中まで")
        assert set(saved.completeness_errors()) == {"plan_status", "council_status", "workers_placement"}
        assert save(saved, municipal_officer, **complete_values()).completeness_errors() == {}

    @pytest.mark.parametrize(
        ("answers", "field", "words"),
        [
            ({"plan_status": PlanStatus.MADE, "plan_made_on": None}, "plan_made_on", "策定日"),
            ({"plan_status": PlanStatus.INTEGRATED, "integrated_plan_name": ""}, "integrated_plan_name", "計画の名称"),
            ({"plan_status": PlanStatus.IN_PROGRESS}, "plan_expected_fiscal_year", "策定予定年度"),
            ({"plan_status": PlanStatus.NOT_PLANNED}, "plan_not_planned_reason", "理由"),
            (
                {"council_status": CouncilStatus.SET_UP, "council_has_representatives": False, "council_has_practitioners": False,
                 "council_representatives_meetings": None, "council_practitioners_meetings": None},
                "council_has_representatives",
                "1つ以上",
            ),
            ({"council_status": CouncilStatus.EXISTING}, "council_existing_name", "会議の名称"),
            ({"council_status": CouncilStatus.NOT_SET_UP}, "council_not_set_up_reason", "設置予定年度か"),
            ({"council_has_representatives": False}, "council_representatives_meetings", "開催回数を入力しないで"),
            ({"council_private_participation": ""}, "council_private_participation", "参加の有無"),
            ({"council_private_participation": YesNoUnknown.YES}, "council_organizations", "一覧から選ぶか"),
            ({"workers_full_time": None, "workers_part_time": None}, "workers_full_time", "人数を入力"),
            ({"workers_placement": WorkerPlacement.NOT_PLACED}, "workers_full_time", "入力しないで"),
            ({"workers_trained": 6}, "workers_trained_explanation", "配置人数（5人）を超えています"),
        ],
    )
    def test_each_status_needs_its_details(self, draft, municipal_officer, answers, field, words):
        errors = completeness(draft, municipal_officer, **complete_values(**answers))
        assert field in errors and words in errors[field], errors

    def test_an_explanation_allows_more_trained_than_placed(self, draft, municipal_officer):
        values = complete_values(workers_trained=6, workers_trained_explanation="年度途中に2人が退職したため")
        assert completeness(draft, municipal_officer, **values) == {}

    def test_an_unknown_number_trained_is_an_answer(self, draft, municipal_officer):
        assert completeness(draft, municipal_officer, **complete_values(workers_trained=None)) == {}

    def test_a_council_not_set_up_with_an_expected_year_is_complete(self, draft, municipal_officer):
        values = complete_values(
            council_status=CouncilStatus.NOT_SET_UP,
            council_has_representatives=False,
            council_has_practitioners=False,
            council_representatives_meetings=None,
            council_practitioners_meetings=None,
            council_private_participation="",
            council_expected_fiscal_year=2027,
        )
        assert completeness(draft, municipal_officer, **values) == {}

    def test_organisations_named_by_hand_answer_the_participation(self, draft, municipal_officer):
        values = complete_values(
            council_private_participation=YesNoUnknown.YES, council_new_organization_names="\n  NPO法人みらい  \n\n"
        )
        saved = save(draft, municipal_officer, **values)
        assert saved.completeness_errors() == {} and saved.new_organization_name_list == ["NPO法人みらい"]
        organization = Organization.objects.create(name="登録済みの団体", kind=Organization.Kind.PRIVATE)
        saved = save(saved, municipal_officer, council_new_organization_names="", council_organizations=[organization])
        assert saved.completeness_errors() == {}

    def test_the_metropolis_places_workers_only_for_towns_and_villages(self, plan_admin, municipal_officer):
        errors = save_errors(
            AnnualReturnFactory(round=ReturnRoundFactory(opened_by=plan_admin)),
            municipal_officer,
            workers_placement=WorkerPlacement.METRO,
        )
        assert errors == {"workers_placement": ["「都が配置」を選べるのは町村だけです。"]}

    def test_a_town_whose_workers_the_metropolis_places_reports_no_training(self, plan_admin):
        from tests.factories import Role, UserFactory

        officer = UserFactory(role=Role.MUNICIPAL_OFFICER, municipality=municipality("奥多摩町"))
        town = AnnualReturnFactory(round=ReturnRoundFactory(opened_by=plan_admin), municipality=municipality("奥多摩町"))
        values = complete_values(workers_placement=WorkerPlacement.METRO, workers_full_time=None, workers_part_time=None)
        assert "workers_trained" in completeness(town, officer, **values)
        assert completeness(town, officer, **(values | {"workers_trained": None})) == {}


class TestCourseAttendance:
    def test_a_course_of_another_year_is_refused(self, draft, municipal_officer):
        course = TrainingCourseFactory(fiscal_year=2024, start_date=datetime.date(2024, 6, 1))
        errors = save_errors(draft, municipal_officer, course_attendance={course: 1})
        assert "報告対象年度の研修" in errors["course_attendance"][0]

    def test_attendance_is_a_whole_number(self, draft, municipal_officer):
        course = TrainingCourseFactory()
        errors = save_errors(draft, municipal_officer, course_attendance={course: -1})
        assert errors["course_attendance"] == [f"{course.name}：0以上の整数で入力してください。"]

    def test_an_unknown_course_is_refused(self, draft, municipal_officer):
        assert "course_attendance" in save_errors(draft, municipal_officer, course_attendance={999999: 1})

    def test_one_course_cannot_have_more_than_the_workers_trained(self, draft, municipal_officer):
        course = TrainingCourseFactory()
        errors = completeness(draft, municipal_officer, **complete_values(workers_trained=2), course_attendance={course: 3})
        assert "1つの研修の受講者数（3人）" in errors["workers_trained"]


def test_long_text_is_refused(draft, municipal_officer):
    errors = save_errors(draft, municipal_officer, requests_to_metro="あ" * (AnnualReturn.TEXT_MAX_LENGTH + 1))
    assert "2000文字以内" in errors["requests_to_metro"][0]


def test_text_is_stored_normalised(draft, municipal_officer):
    saved = save(draft, municipal_officer, requests_to_metro="  研修を\r\n増やしてほしい　ＡＢＣ  ")
    assert saved.requests_to_metro == "研修を\n増やしてほしい ABC"


def test_the_model_states_why_a_return_is_locked(draft, municipal_officer, plan_admin):
    assert draft.edit_refusal() is None
    saved = save(draft, municipal_officer, **complete_values())
    returned = services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=municipal_officer)
    assert "事務局の確認待ち" in returned.edit_refusal()
    returned = services.annual_return_accept(annual_return=returned, user=plan_admin)
    assert "受理済み" in returned.edit_refusal()
