"""The annual returns' workflow: rounds, drafts, submission, withdrawal, review, reopening,
pre-filling from last year, and the latest accepted information."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings.models import Organization
from municipalities import services
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    Municipality,
    PlanStatus,
    ReturnRound,
    ReturnState,
    ReturnTransition,
    TrainingCourse,
)
from municipalities.selectors import fields_changed_since_last_accepted, latest_accepted_status
from tests.factories import Role, UserFactory, municipality
from tests.municipalities.factories import (
    YEAR,
    AnnualReturnFactory,
    ReturnRoundFactory,
    TrainingCourseFactory,
    accepted,
    complete_values,
    deadline_for,
    open_round,
    return_of,
    save,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    """A second officer of 新宿区."""
    return UserFactory(username="shinjuku2", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区"))


@pytest.fixture
def draft(plan_admin):
    return AnnualReturnFactory(round=ReturnRoundFactory(opened_by=plan_admin))


def states(annual_return):
    return [(t.from_state, t.to_state, t.by.username, t.comment) for t in annual_return.transitions.order_by("at", "id")]


# --- rounds -------------------------------------------------------------------------------------------


class TestOpeningARound:
    def test_it_creates_a_draft_per_municipality_in_code_order(self, plan_admin):
        round = open_round(YEAR, plan_admin)
        returns = list(AnnualReturn.objects.filter(round=round).order_by("pk").select_related("municipality"))
        assert len(returns) == Municipality.objects.count() == 62
        assert [r.municipality.code for r in returns] == sorted(r.municipality.code for r in returns)
        assert {r.state for r in returns} == {ReturnState.DRAFT}
        assert round.opened_by == plan_admin and round.is_open
        created = returns[0].history.earliest()
        assert created.history_user == plan_admin and created.history_change_reason == "受付開始により作成"

    def test_opening_a_year_twice_is_refused(self, plan_admin):
        open_round(YEAR, plan_admin)
        with pytest.raises(ValidationError) as refused:
            open_round(YEAR, plan_admin)
        assert "既に開始されています" in str(refused.value)
        assert ReturnRound.objects.filter(fiscal_year=YEAR).count() == 1

    def test_a_year_outside_the_plan_is_refused(self, plan_admin):
        with pytest.raises(ValidationError) as refused:
            services.return_round_open(fiscal_year=2023, deadline=deadline_for(2023), message="", user=plan_admin)
        assert "計画期間" in str(refused.value)
        assert not AnnualReturn.objects.exists()

    def test_a_past_deadline_is_refused(self, plan_admin):
        with pytest.raises(ValidationError) as refused:
            services.return_round_open(
                fiscal_year=YEAR, deadline=timezone.localdate() - datetime.timedelta(days=1), message="", user=plan_admin
            )
        assert "過去" in str(refused.value) or "より後" in str(refused.value)

    def test_only_a_plan_admin_opens_a_round(self, municipal_officer, viewer, bureau_staff):
        for user in (municipal_officer, viewer, bureau_staff):
            with pytest.raises(PermissionDenied):
                open_round(YEAR, user)
        assert not ReturnRound.objects.exists()

    def test_closing_and_reopening(self, plan_admin, municipal_officer):
        round = open_round(YEAR, plan_admin)
        closed = services.return_round_close(round=round, user=plan_admin)
        assert closed.is_closed and closed.closed_by == plan_admin
        with pytest.raises(ValidationError):
            services.return_round_close(round=round, user=plan_admin)
        with pytest.raises(PermissionDenied):
            services.return_round_reopen(round=round, user=municipal_officer)
        assert services.return_round_reopen(round=round, user=plan_admin).is_open
        assert [h.history_change_reason for h in round.history.order_by("history_id")] == [
            "受付開始（令和7年度）",
            "受付終了",
            "受付再開",
        ]


# --- drafts ---------------------------------------------------------------------------------------------


class TestSavingADraft:
    def test_an_officer_saves_an_incomplete_draft(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, plan_status=PlanStatus.IN_PROGRESS, workers_full_time="２")
        assert saved.version == 2 and saved.plan_status == PlanStatus.IN_PROGRESS and saved.workers_full_time == 2
        assert saved.updated_by == municipal_officer and not saved.entered_by_secretariat
        entry = saved.history.latest()
        assert entry.history_user == municipal_officer and entry.history_change_reason == "下書き保存"

    def test_a_stale_save_is_refused_and_nothing_is_saved(self, draft, municipal_officer, plan_admin):
        colleague_version = draft.version
        save(draft, plan_admin, plan_name="事務局が入力した名称")
        with pytest.raises(services.ReturnConflict) as conflict:
            services.annual_return_save_draft(
                annual_return=draft,
                values={"plan_name": "担当者の入力", "requests_to_metro": "要望"},
                expected_version=colleague_version,
                user=municipal_officer,
            )
        assert "保存しませんでした" in conflict.value.message and "あなたの入力は消えていません" in conflict.value.message
        assert [change.name for change in conflict.value.changes] == ["plan_name"]
        draft.refresh_from_db()
        assert draft.plan_name == "事務局が入力した名称" and draft.requests_to_metro == "" and draft.version == 2

    def test_invalid_values_save_nothing(self, draft, municipal_officer):
        course = TrainingCourseFactory()
        with pytest.raises(ValidationError) as refused:
            save(draft, municipal_officer, plan_name="新しい名称", workers_trained=-1, course_attendance={course: 2})
        assert "workers_trained" in refused.value.message_dict
        draft.refresh_from_db()
        assert draft.plan_name == "" and draft.version == 1 and not draft.course_attendances.exists()

    def test_organisations_and_attendance_are_saved_with_the_answers(self, draft, municipal_officer):
        organization = Organization.objects.create(name="試験の民間団体", kind=Organization.Kind.PRIVATE)
        course = TrainingCourseFactory()
        saved = save(draft, municipal_officer, council_organizations=[organization], course_attendance={course.pk: "３"})
        assert list(saved.council_organizations.all()) == [organization]
        assert saved.course_attendances.get().persons == 3
        # The history entry holds the organisations saved with it.
        assert list(saved.history.latest().council_organizations.values_list("organization_id", flat=True)) == [
            organization.pk
        ]
        saved = save(saved, municipal_officer, course_attendance={course: None})
        assert not saved.course_attendances.exists()

    def test_a_secretariat_save_marks_the_return_as_entered_for_the_municipality(self, draft, plan_admin):
        assert save(draft, plan_admin, plan_name="Excelから転記").entered_by_secretariat

    def test_the_workflow_fields_are_not_answers(self, draft, municipal_officer):
        with pytest.raises(ValueError):
            save(draft, municipal_officer, state=ReturnState.ACCEPTED)


# --- the workflow -----------------------------------------------------------------------------------------


class TestSubmitting:
    def test_a_complete_return_is_submitted_and_locked(self, draft, municipal_officer):
        returned = submitted(draft, municipal_officer)
        assert returned.state == ReturnState.SUBMITTED
        assert returned.submitted_by == municipal_officer and returned.submitted_at is not None
        assert states(returned) == [("draft", "submitted", "shinjuku", "")]
        assert returned.history.latest().history_change_reason == "提出"
        with pytest.raises(ValidationError) as refused:
            save(returned, municipal_officer, plan_name="提出後の変更")
        assert "提出済みのため編集できません" in str(refused.value)

    def test_an_incomplete_return_is_refused_with_messages_by_field(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, plan_status=PlanStatus.MADE, plan_name="計画")
        with pytest.raises(ValidationError) as refused:
            services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=municipal_officer)
        errors = refused.value.message_dict
        assert errors["plan_made_on"] == ["「策定済み」の場合は策定日を入力してください。"]
        assert {"council_status", "workers_placement"} <= set(errors)
        saved.refresh_from_db()
        assert saved.state == ReturnState.DRAFT and saved.plan_name == "計画"
        assert not saved.transitions.exists()

    def test_a_stale_submission_is_refused(self, draft, municipal_officer, colleague):
        saved = save(draft, municipal_officer, **complete_values())
        seen_version = saved.version
        save(saved, colleague, requests_to_metro="同僚が書き足した要望")
        with pytest.raises(services.ReturnConflict):
            services.annual_return_submit(annual_return=saved, expected_version=seen_version, user=municipal_officer)
        saved.refresh_from_db()
        assert saved.state == ReturnState.DRAFT

    def test_a_second_submission_says_who_submitted(self, draft, municipal_officer, colleague):
        returned = submitted(draft, municipal_officer)
        with pytest.raises(ValidationError) as refused:
            services.annual_return_submit(annual_return=returned, expected_version=returned.version - 1, user=colleague)
        assert "既に" in str(refused.value) and "提出しています" in str(refused.value)

    def test_no_submission_after_acceptance(self, draft, municipal_officer, plan_admin):
        returned = accepted(draft, municipal_officer, plan_admin)
        with pytest.raises(ValidationError) as refused:
            services.annual_return_submit(annual_return=returned, expected_version=returned.version, user=municipal_officer)
        assert "受理されています" in str(refused.value)
        with pytest.raises(ValidationError) as refused:
            save(returned, municipal_officer, plan_name="受理後の変更")
        assert "受理済みのため編集できません" in str(refused.value)

    def test_no_submission_or_save_after_the_round_closes(self, draft, municipal_officer, plan_admin):
        saved = save(draft, municipal_officer, **complete_values())
        services.return_round_close(round=saved.round, user=plan_admin)
        with pytest.raises(ValidationError) as refused:
            services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=municipal_officer)
        assert refused.value.messages == ["この年度の提出受付は終了しました。"]
        with pytest.raises(ValidationError) as refused:
            save(saved, municipal_officer, plan_name="締切後")
        assert refused.value.messages == ["この年度の提出受付は終了しました。"]
        saved.refresh_from_db()
        assert saved.state == ReturnState.DRAFT and saved.edit_refusal() == "この年度の提出受付は終了しました。"

    def test_accepting_goes_on_after_the_round_closes(self, draft, municipal_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        services.return_round_close(round=returned.round, user=plan_admin)
        assert services.annual_return_accept(annual_return=returned, user=plan_admin).state == ReturnState.ACCEPTED


class TestWithdrawing:
    def test_an_officer_withdraws_before_the_secretariat_opens_it(self, draft, municipal_officer, colleague):
        returned = submitted(draft, municipal_officer)
        withdrawn = services.annual_return_withdraw(annual_return=returned, user=colleague)
        assert withdrawn.state == ReturnState.DRAFT and withdrawn.submitted_at is None
        assert states(withdrawn)[-1] == ("submitted", "draft", "shinjuku2", "")
        assert withdrawn.history.latest().history_change_reason == "取下げ"
        assert save(withdrawn, municipal_officer, plan_name="訂正").plan_name == "訂正"

    def test_no_withdrawal_once_opened(self, draft, municipal_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        opened = services.annual_return_mark_opened(annual_return=returned, user=plan_admin)
        first_opened = opened.opened_by_secretariat_at
        assert services.annual_return_mark_opened(annual_return=returned, user=plan_admin).opened_by_secretariat_at == first_opened
        with pytest.raises(ValidationError) as refused:
            services.annual_return_withdraw(annual_return=returned, user=municipal_officer)
        assert "事務局が確認を始めたため" in str(refused.value)
        returned.refresh_from_db()
        assert returned.state == ReturnState.SUBMITTED

    def test_only_the_municipalitys_officers_withdraw(self, draft, municipal_officer, other_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        for user in (other_officer, plan_admin):
            with pytest.raises(PermissionDenied):
                services.annual_return_withdraw(annual_return=returned, user=user)

    def test_a_draft_cannot_be_withdrawn(self, draft, municipal_officer):
        with pytest.raises(ValidationError):
            services.annual_return_withdraw(annual_return=draft, user=municipal_officer)

    def test_officers_do_not_mark_returns_opened(self, draft, municipal_officer):
        returned = submitted(draft, municipal_officer)
        with pytest.raises(PermissionDenied):
            services.annual_return_mark_opened(annual_return=returned, user=municipal_officer)


class TestReview:
    def test_sending_back_needs_a_comment_and_makes_it_editable(self, draft, municipal_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        with pytest.raises(ValidationError) as refused:
            services.annual_return_send_back(annual_return=returned, comment="  ", user=plan_admin)
        assert "comment" in refused.value.message_dict
        sent_back = services.annual_return_send_back(annual_return=returned, comment="開催回数を確認してください。", user=plan_admin)
        assert sent_back.state == ReturnState.SENT_BACK and sent_back.edit_refusal() is None
        assert states(sent_back)[-1] == ("submitted", "sent_back", "secretariat", "開催回数を確認してください。")
        assert sent_back.history.latest().history_change_reason == "差戻し：開催回数を確認してください。"
        corrected = save(sent_back, municipal_officer, council_practitioners_meetings=5)
        resubmitted = services.annual_return_submit(
            annual_return=corrected, expected_version=corrected.version, user=municipal_officer
        )
        assert resubmitted.state == ReturnState.SUBMITTED and resubmitted.opened_by_secretariat_at is None

    def test_officers_do_not_review(self, draft, municipal_officer):
        returned = submitted(draft, municipal_officer)
        with pytest.raises(PermissionDenied):
            services.annual_return_send_back(annual_return=returned, comment="自分で差戻し", user=municipal_officer)
        with pytest.raises(PermissionDenied):
            services.annual_return_accept(annual_return=returned, user=municipal_officer)

    def test_only_submitted_returns_are_accepted(self, draft, plan_admin):
        with pytest.raises(ValidationError) as refused:
            services.annual_return_accept(annual_return=draft, user=plan_admin)
        assert "受理できるのは提出済みの報告だけです" in str(refused.value)

    def test_accepting_several_reports_each_one(self, plan_admin, municipal_officer, other_officer):
        round = open_round(YEAR, plan_admin)
        shinjuku = submitted(return_of(round, "新宿区"), municipal_officer)
        hachioji = return_of(round, "八王子市")  # still a draft
        report = services.annual_returns_accept(returns=[hachioji, shinjuku], user=plan_admin)
        assert [r.pk for r in report.accepted] == [shinjuku.pk]
        assert [(r.pk, "提出済み" in message) for r, message in report.refused] == [(hachioji.pk, True)]
        assert "1件を受理しました" in report.summary and "八王子市" in report.summary
        with pytest.raises(PermissionDenied):
            services.annual_returns_accept(returns=[shinjuku], user=other_officer)


class TestReopening:
    def test_only_an_admin_reopens_with_a_reason(self, draft, municipal_officer, plan_admin):
        returned = accepted(draft, municipal_officer, plan_admin)
        with pytest.raises(PermissionDenied):
            services.annual_return_reopen(annual_return=returned, reason="訂正のため", user=municipal_officer)
        with pytest.raises(ValidationError) as refused:
            services.annual_return_reopen(annual_return=returned, reason="", user=plan_admin)
        assert refused.value.message_dict == {"reason": ["再開する理由を入力してください。"]}
        reopened = services.annual_return_reopen(annual_return=returned, reason="策定日の誤りの訂正", user=plan_admin)
        assert reopened.state == ReturnState.SENT_BACK and reopened.accepted_at is None
        assert states(reopened)[-1] == ("accepted", "sent_back", "secretariat", "策定日の誤りの訂正")
        assert save(reopened, municipal_officer, plan_made_on=datetime.date(2025, 2, 1)).version == reopened.version + 1

    def test_only_accepted_returns_are_reopened(self, draft, municipal_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        with pytest.raises(ValidationError):
            services.annual_return_reopen(annual_return=returned, reason="理由", user=plan_admin)


def test_every_transition_is_logged_and_in_the_history(draft, municipal_officer, plan_admin):
    returned = submitted(draft, municipal_officer)
    returned = services.annual_return_withdraw(annual_return=returned, user=municipal_officer)
    returned = services.annual_return_submit(annual_return=returned, expected_version=returned.version, user=municipal_officer)
    returned = services.annual_return_send_back(annual_return=returned, comment="人数の確認", user=plan_admin)
    returned = services.annual_return_submit(annual_return=returned, expected_version=returned.version, user=municipal_officer)
    returned = services.annual_return_accept(annual_return=returned, user=plan_admin)
    returned = services.annual_return_reopen(annual_return=returned, reason="訂正の申出", user=plan_admin)
    assert states(returned) == [
        ("draft", "submitted", "shinjuku", ""),
        ("submitted", "draft", "shinjuku", ""),
        ("draft", "submitted", "shinjuku", ""),
        ("submitted", "sent_back", "secretariat", "人数の確認"),
        ("sent_back", "submitted", "shinjuku", ""),
        ("submitted", "accepted", "secretariat", ""),
        ("accepted", "sent_back", "secretariat", "訂正の申出"),
    ]
    assert [t.action for t in ReturnTransition.objects.filter(annual_return=returned).order_by("at", "id")] == [
        "提出", "取下げ", "提出", "差戻し", "提出", "受理", "受理の取消し（再開）",
    ]
    history = [
        (entry.state, entry.history_user.username, entry.history_change_reason)
        for entry in returned.history.order_by("history_date", "history_id")
        # Left out: the factory's creation (outside the services) and the draft saves.
        if entry.history_change_reason not in (None, "下書き保存")
    ]
    assert history == [
        ("submitted", "shinjuku", "提出"),
        ("draft", "shinjuku", "取下げ"),
        ("submitted", "shinjuku", "提出"),
        ("sent_back", "secretariat", "差戻し：人数の確認"),
        ("submitted", "shinjuku", "提出"),
        ("accepted", "secretariat", "受理"),
        ("sent_back", "secretariat", "受理の取消し（再開）：訂正の申出"),
    ]


# --- last year's answers ------------------------------------------------------------------------------


class TestPrefilling:
    def test_a_new_round_takes_over_last_years_accepted_answers(self, plan_admin, municipal_officer):
        organization = Organization.objects.create(name="試験の民間団体", kind=Organization.Kind.PRIVATE)
        last_year = open_round(2024, plan_admin)
        accepted(
            return_of(last_year),
            municipal_officer,
            plan_admin,
            plan_made_on=datetime.date(2024, 12, 1),
            council_private_participation="yes",
            council_organizations=[organization],
            workers_trained=3,
        )
        this_year = open_round(2025, plan_admin)
        draft = return_of(this_year)
        assert draft.prefilled_from.round == last_year and draft.state == ReturnState.DRAFT
        assert draft.plan_status == PlanStatus.MADE and draft.plan_made_on == datetime.date(2024, 12, 1)
        assert draft.workers_full_time == 2 and list(draft.council_organizations.all()) == [organization]
        # The year's own answers start empty: meetings held, workers trained, requests.
        assert draft.council_practitioners_meetings is None and draft.workers_trained is None
        assert draft.requests_to_metro == ""
        assert draft.history.latest().history_change_reason == "前回受理された報告から転記（令和6年度）"
        # Another municipality had nothing accepted: a blank draft.
        assert return_of(this_year, "八王子市").plan_status == ""

    def test_an_answer_this_years_rules_refuse_is_left_empty(self, plan_admin, municipal_officer):
        last_year = open_round(2024, plan_admin)
        accepted(
            return_of(last_year),
            municipal_officer,
            plan_admin,
            plan_status=PlanStatus.IN_PROGRESS,
            plan_made_on=None,
            plan_expected_fiscal_year=2025,
        )
        draft = return_of(open_round(2025, plan_admin))
        assert draft.plan_status == PlanStatus.IN_PROGRESS and draft.plan_expected_fiscal_year is None

    def test_only_an_untouched_draft_is_prefilled(self, draft, municipal_officer):
        saved = save(draft, municipal_officer, plan_name="入力済み")
        with pytest.raises(ValidationError):
            services.annual_return_prefill(annual_return=saved)

    def test_the_fields_changed_since_last_year(self, plan_admin, municipal_officer):
        accepted(return_of(open_round(2024, plan_admin)), municipal_officer, plan_admin)
        draft = return_of(open_round(2025, plan_admin))
        saved = save(draft, municipal_officer, **complete_values(workers_full_time=3, council_practitioners_meetings=4))
        changed = fields_changed_since_last_accepted(saved)
        # The requests and the meetings held are the same words and numbers as last year.
        assert [c.name for c in changed] == ["workers_full_time"]
        difference = changed[0]
        assert (difference.label, difference.previous_display, difference.current_display) == (
            "常勤の人数（年度末時点）",
            "2",
            "3",
        )

    def test_nothing_to_compare_without_an_accepted_return(self, draft):
        assert fields_changed_since_last_accepted(draft) == []


class TestLatestAccepted:
    def test_last_years_acceptance_counts_while_this_years_is_in_review(self, plan_admin, municipal_officer):
        accepted(return_of(open_round(2024, plan_admin)), municipal_officer, plan_admin)
        this_year = open_round(2025, plan_admin)
        returned = submitted(
            return_of(this_year),
            municipal_officer,
            plan_status=PlanStatus.NOT_PLANNED,
            plan_made_on=None,
            plan_not_planned_reason="他の計画で対応",
            council_status=CouncilStatus.NOT_SET_UP,
            council_has_representatives=False,
            council_has_practitioners=False,
            council_representatives_meetings=None,
            council_practitioners_meetings=None,
            council_private_participation="",
            council_not_set_up_reason="検討中",
        )
        by_name = {status.municipality.name: status for status in latest_accepted_status(2025)}
        assert len(by_name) == 62
        shinjuku = by_name["新宿区"]
        assert shinjuku.fiscal_year == 2024 and shinjuku.has_basic_plan and shinjuku.council_is_set_up
        assert by_name["八王子市"].annual_return is None and not by_name["八王子市"].has_basic_plan

        services.annual_return_accept(annual_return=returned, user=plan_admin)
        shinjuku = {s.municipality.name: s for s in latest_accepted_status(2025)}["新宿区"]
        assert shinjuku.fiscal_year == 2025 and not shinjuku.has_basic_plan and not shinjuku.council_is_set_up
        # As of 2024 the 2024 return still speaks.
        assert {s.municipality.name: s for s in latest_accepted_status(2024)}["新宿区"].has_basic_plan


# --- training courses ----------------------------------------------------------------------------------


class TestTrainingCourses:
    def test_the_secretariat_records_courses(self, plan_admin):
        course = services.training_course_create(
            course=TrainingCourse(
                fiscal_year=YEAR, name="記録用の研修", start_date=datetime.date(2025, 9, 1), topics=["social_work", "women"]
            ),
            user=plan_admin,
        )
        assert course.topics == ["women", "social_work"] and course.topic_labels == ["女性福祉", "ソーシャルワーク演習"]
        assert course.history.latest().history_user == plan_admin

    def test_others_do_not(self, municipal_officer):
        with pytest.raises(PermissionDenied):
            services.training_course_create(
                course=TrainingCourse(fiscal_year=YEAR, name="x", start_date=datetime.date(2025, 9, 1)),
                user=municipal_officer,
            )

    def test_a_course_must_fall_in_its_year_and_name_known_topics(self, plan_admin):
        with pytest.raises(ValidationError) as refused:
            services.training_course_create(
                course=TrainingCourse(fiscal_year=YEAR, name="x", start_date=datetime.date(2025, 1, 10), topics=["cooking"]),
                user=plan_admin,
            )
        assert set(refused.value.message_dict) == {"start_date", "topics"}

    def test_a_course_with_reported_attendance_is_kept(self, draft, municipal_officer, plan_admin):
        course = TrainingCourseFactory()
        save(draft, municipal_officer, course_attendance={course: 1})
        with pytest.raises(ValidationError):
            services.training_course_delete(course=course, user=plan_admin)
        assert TrainingCourse.objects.filter(pk=course.pk).exists()


def test_merging_organisations_moves_the_returns_links(draft, municipal_officer, plan_admin):
    from meetings.services import organization_merge

    keep = Organization.objects.create(name="NPO法人ひだまり", kind=Organization.Kind.PRIVATE)
    duplicate = Organization.objects.create(name="ＮＰＯ法人ひだまり", kind=Organization.Kind.PRIVATE)
    saved = save(draft, municipal_officer, council_organizations=[duplicate], collaboration_organizations=[keep, duplicate])
    organization_merge(keep=keep, remove=duplicate, user=plan_admin)
    assert list(saved.council_organizations.all()) == [keep]
    assert list(saved.collaboration_organizations.all()) == [keep]
