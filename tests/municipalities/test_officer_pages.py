"""The municipal officer's pages: the return form (save a draft, submit, errors, 不明 and 0,
full-width digits, a stale save), the read-only page with its reason, withdrawal, who may open what,
and the officer's card on the home page."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import Organization
from municipalities import services
from municipalities.models import AnnualReturn, ReturnState
from plan.common.fiscal_year import era_date
from tests.factories import Role, UserFactory, municipality
from tests.html import field_errors, form_value, link_targets, select, select_one, text_of
from tests.meetings.factories import OrganizationFactory, provider
from tests.municipalities.factories import (
    YEAR,
    AnnualReturnFactory,
    ReturnRoundFactory,
    TrainingCourseFactory,
    accepted,
    complete_values,
    save,
    submitted,
)

pytestmark = pytest.mark.django_db


# --- the cast and the return -------------------------------------------------------------------------


@pytest.fixture
def colleague(db):
    """A second officer of 新宿区."""
    return UserFactory(
        username="shinjuku2",
        last_name="新宿",
        first_name="二郎",
        role=Role.MUNICIPAL_OFFICER,
        municipality=municipality("新宿区"),
    )


@pytest.fixture
def hachioji_officer(db):
    return UserFactory(
        username="hachioji-officer", role=Role.MUNICIPAL_OFFICER, municipality=municipality("八王子市")
    )


@pytest.fixture
def round_(plan_admin):
    return ReturnRoundFactory(opened_by=plan_admin)


@pytest.fixture
def draft(round_):
    """新宿区's draft for the round (one return: the pages need a row, not 62)."""
    return AnnualReturnFactory(round=round_)


@pytest.fixture
def officer_client(client, municipal_officer):
    client.force_login(municipal_officer)
    return client


def page_url(annual_return):
    return reverse("municipalities:officer_return", args=[annual_return.pk])


def withdraw_url(annual_return):
    return reverse("municipalities:officer_return_withdraw", args=[annual_return.pk])


def fresh(annual_return) -> AnnualReturn:
    return AnnualReturn.objects.get(pk=annual_return.pk)


def post_data(annual_return, action="save", **overrides) -> dict:
    """What the form sends for a complete return (as `complete_values`), typed as a person types
    it. An override of None leaves the field out (an unticked box)."""
    data = {
        "expected_version": str(fresh(annual_return).version),
        "action": action,
        "plan_status": "made",
        "plan_made_on": "2025-03-01",
        "plan_name": "困難な問題を抱える女性への支援のための基本計画",
        "plan_period_start": "2025",
        "plan_period_end": "2029",
        "council_status": "set_up",
        "council_set_up_on": "2024-10-01",
        "council_has_representatives": "on",
        "council_has_practitioners": "on",
        "council_representatives_meetings": "1",
        "council_practitioners_meetings": "4",
        "council_private_participation": "no",
        "workers_placement": "placed",
        "workers_full_time": "2",
        "workers_part_time": "3",
        "workers_trained": "4",
        "requests_to_metro": "研修の回数を増やしてほしい。",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def is_checked(page, name) -> bool:
    """Whether the page's single checkbox `name` is ticked (Django's checkboxes carry no value)."""
    return "checked" in select_one(page, f'input[type="checkbox"][name="{name}"]').attrs


def typed(page, name) -> str:
    """What a text field shows (Django leaves out an empty value)."""
    return form_value(page, name) or ""


def answers(annual_return) -> dict:
    current = fresh(annual_return)
    return {name: getattr(current, name) for name in AnnualReturn.ANSWER_FIELDS} | {
        "version": current.version,
        "state": current.state,
    }


# --- the form ------------------------------------------------------------------------------------------


class TestTheForm:
    def test_the_officer_sees_their_return_in_sections(self, officer_client, draft):
        response = officer_client.get(page_url(draft))
        assert response.status_code == 200
        legends = [
            text_of(legend) for legend in select(response, "form.return-form fieldset.section > legend")
        ]
        assert legends == [
            "市町村基本計画",
            "支援調整会議",
            "女性相談支援員",
            "民間団体との協働（支援調整会議以外）",
            "課題・都への要望",
        ]
        buttons = [text_of(button) for button in select(response, "form.return-form button")]
        assert buttons == ["一時保存", "提出する"]
        assert "新宿区 令和7年度（2025年度）の取組状況の報告" in text_of(select_one(response, "h1"))
        # Every number has its 不明 box, labelled for a screen reader with the number's label.
        unknown = select_one(response, 'label[for="id_workers_full_time_unknown"]')
        assert text_of(unknown) == "不明（常勤の人数（年度末時点））"
        assert "前年度に受理された内容を初期値にしています" not in text_of(response)

    def test_saving_a_draft_keeps_it_a_draft_incomplete_as_it_is(
        self, officer_client, draft, municipal_officer
    ):
        data = post_data(draft, plan_made_on="", council_status="", workers_placement=None)
        response = officer_client.post(page_url(draft), data)
        assert response.status_code == 302
        assert response["Location"] == page_url(draft)
        saved = fresh(draft)
        assert saved.state == ReturnState.DRAFT
        assert saved.version == draft.version + 1
        assert saved.updated_by == municipal_officer
        assert saved.plan_status == "made" and saved.plan_made_on is None
        assert saved.council_status == "" and saved.workers_placement == ""
        assert not saved.entered_by_secretariat
        page = officer_client.get(page_url(draft))
        assert "一時保存しました" in text_of(select_one(page, ".messages"))

    def test_submitting_a_complete_return(self, officer_client, draft, municipal_officer):
        response = officer_client.post(page_url(draft), post_data(draft, action="submit"))
        assert response.status_code == 302
        submitted_return = fresh(draft)
        assert submitted_return.state == ReturnState.SUBMITTED
        assert submitted_return.submitted_by == municipal_officer
        assert submitted_return.workers_full_time == 2
        transition = submitted_return.transitions.get()
        assert (transition.from_state, transition.to_state, transition.by) == (
            "draft",
            "submitted",
            municipal_officer,
        )

        page = officer_client.get(page_url(draft))
        assert "提出しました" in text_of(select_one(page, ".messages"))
        assert not select(page, "form.return-form")
        readonly = select_one(page, "#readonly")
        assert "提出済み・事務局の確認待ち" in text_of(readonly)
        assert submitted_return.edit_refusal() in text_of(readonly)
        assert [text_of(button) for button in select(readonly, "button")] == ["提出を取下げる"]
        # The answers are shown, 不明 apart from 0, and the step in the log with who took it.
        assert "常勤の人数（年度末時点） 2人" in text_of(page)
        log = text_of(select_one(page, "table.transitions"))
        assert "提出" in log and "作成中 → 提出済み" in log and str(municipal_officer) in log

    def test_an_incomplete_submission_saves_nothing_and_keeps_what_was_typed(self, officer_client, draft):
        before = answers(draft)
        data = post_data(
            draft,
            action="submit",
            plan_made_on="",  # 策定済み needs its date
            workers_placement="placed",
            workers_full_time="",
            workers_part_time="",  # 配置あり needs the counts
            plan_name="途中まで書いた名称",
            requests_to_metro="保存されないはずの要望",
        )
        response = officer_client.post(page_url(draft), data)
        assert response.status_code == 400
        # Nothing saved: not the submission, not the draft under it.
        assert answers(draft) == before
        assert not fresh(draft).transitions.exists()
        # Errors beside the fields, in Japanese, and a summary linking to them.
        assert field_errors(response, "plan_made_on") == ["「策定済み」の場合は策定日を入力してください。"]
        assert field_errors(response, "workers_full_time") == [
            "「配置あり」の場合は、常勤・非常勤の人数を入力してください（いない方は0）。"
        ]
        summary = select_one(response, "#error-summary")
        assert "提出していません" in text_of(summary) and "何も保存していません" in text_of(summary)
        assert "#id_plan_made_on" in link_targets(summary)
        assert "#id_workers_full_time" in link_targets(summary)
        # Everything typed is still there.
        assert form_value(response, "plan_name") == "途中まで書いた名称"
        assert form_value(response, "requests_to_metro") == "保存されないはずの要望"
        assert form_value(response, "plan_status") == "made"
        assert is_checked(response, "council_has_representatives")
        assert not is_checked(response, "council_has_case_review")

    def test_a_field_rule_is_shown_beside_its_field_and_nothing_is_saved(self, officer_client, draft):
        before = answers(draft)
        response = officer_client.post(
            page_url(draft),
            post_data(draft, plan_made_on="2026-04-01", workers_part_time="-1", workers_trained="三"),
        )
        assert response.status_code == 400
        assert "報告対象年度の末日" in field_errors(response, "plan_made_on")[0]
        assert field_errors(response, "workers_part_time") == ["0以上の整数で入力してください。"]
        assert field_errors(response, "workers_trained") == [
            "数字（0以上の整数）で入力してください（例：12）。"
        ]
        assert form_value(response, "workers_trained") == "三"
        assert answers(draft) == before

    def test_full_width_digits_and_era_years_are_normalised(self, officer_client, draft):
        data = post_data(
            draft,
            workers_full_time="１２",
            workers_part_time=" ３ ",
            council_practitioners_meetings="１,０００",
            plan_period_start="２０２５",
            plan_period_end="令和１１年度",
        )
        assert officer_client.post(page_url(draft), data).status_code == 302
        saved = fresh(draft)
        assert (saved.workers_full_time, saved.workers_part_time) == (12, 3)
        assert saved.council_practitioners_meetings == 1000
        assert (saved.plan_period_start, saved.plan_period_end) == (2025, 2029)

    def test_unknown_is_kept_apart_from_zero(self, officer_client, draft):
        data = post_data(draft, workers_full_time="", workers_full_time_unknown="on", workers_part_time="0")
        assert officer_client.post(page_url(draft), data).status_code == 302
        saved = fresh(draft)
        assert saved.workers_full_time is None
        assert saved.workers_part_time == 0
        # Shown back as it was answered: 不明 ticked for the one, 0 for the other.
        page = officer_client.get(page_url(draft))
        assert is_checked(page, "workers_full_time_unknown")
        assert typed(page, "workers_full_time") == ""
        assert not is_checked(page, "workers_part_time_unknown")
        assert typed(page, "workers_part_time") == "0"

    def test_a_number_and_unknown_together_are_refused(self, officer_client, draft):
        before = answers(draft)
        response = officer_client.post(
            page_url(draft), post_data(draft, workers_full_time="2", workers_full_time_unknown="on")
        )
        assert response.status_code == 400
        assert "どちらか一方" in field_errors(response, "workers_full_time")[0]
        assert answers(draft) == before

    def test_a_number_typed_beside_a_saved_unknown_is_the_answer(
        self, officer_client, draft, municipal_officer
    ):
        save(draft, municipal_officer, workers_full_time=None, workers_part_time=3)
        page = officer_client.get(page_url(draft))
        assert is_checked(page, "workers_full_time_unknown")
        # 不明 still ticked as the page showed it, a number typed: the number. And the other way
        # round: 不明 ticked beside the 3 saved earlier: 不明.
        data = post_data(
            draft,
            workers_full_time="2",
            workers_full_time_unknown="on",
            workers_part_time="3",
            workers_part_time_unknown="on",
        )
        assert officer_client.post(page_url(draft), data).status_code == 302
        saved = fresh(draft)
        assert (saved.workers_full_time, saved.workers_part_time) == (2, None)

    def test_a_number_left_empty_is_saved_as_unknown_and_the_officer_is_told(self, officer_client, draft):
        response = officer_client.post(page_url(draft), post_data(draft, workers_trained=""), follow=True)
        assert fresh(draft).workers_trained is None
        message = text_of(select_one(response, ".messages"))
        assert "は「不明」として保存しました" in message
        assert "女性相談支援センターの研修を受講した支援員の実人数（年度内）" in message
        assert "常勤の人数" not in message
        # Shown as 不明 from now on.
        assert is_checked(officer_client.get(page_url(draft)), "workers_trained_unknown")

    def test_course_attendance_per_course_of_the_year(self, officer_client, draft):
        first = TrainingCourseFactory(name="基礎研修", start_date=datetime.date(YEAR, 6, 1))
        second = TrainingCourseFactory(name="中堅研修", start_date=datetime.date(YEAR, 9, 1))
        TrainingCourseFactory(
            fiscal_year=YEAR - 1, name="前年度の研修", start_date=datetime.date(YEAR - 1, 6, 1)
        )
        page = officer_client.get(page_url(draft))
        courses = text_of(select_one(page, "#courses"))
        assert "基礎研修" in courses and "中堅研修" in courses and "前年度の研修" not in courses
        data = post_data(draft, **{f"course_{first.pk}": "２", f"course_{second.pk}": ""})
        assert officer_client.post(page_url(draft), data).status_code == 302
        assert {row.course_id: row.persons for row in fresh(draft).course_attendances.all()} == {first.pk: 2}
        # More attendees at one course than workers trained: refused at submission, beside the field.
        data = post_data(draft, action="submit", workers_trained="1", **{f"course_{first.pk}": "2"})
        response = officer_client.post(page_url(draft), data)
        assert response.status_code == 400
        assert "1つの研修の受講者数（2人）" in field_errors(response, "workers_trained")[0]
        assert fresh(draft).state == ReturnState.DRAFT

    def test_organisations_from_the_registry_and_names_not_in_it(self, officer_client, draft):
        partner = OrganizationFactory(name="NPO法人つばさ")
        shelter = provider("シェルターすみれ")
        page = officer_client.get(page_url(draft))
        offered = text_of(select_one(page, "#id_council_organizations"))
        assert "NPO法人つばさ" in offered
        # A temporary-protection provider is neither offered nor named (not even masked).
        assert "シェルターすみれ" not in text_of(page)
        assert "一時保護委託先" not in text_of(page)
        assert not select(page, f'input[name="council_organizations"][value="{shelter.pk}"]')
        data = post_data(
            draft,
            council_private_participation="yes",
            council_organizations=[str(partner.pk)],
            council_new_organization_names="一般社団法人あおぞら\n",
            action="submit",
        )
        assert officer_client.post(page_url(draft), data).status_code == 302
        saved = fresh(draft)
        assert list(saved.council_organizations.all()) == [partner]
        assert saved.new_organization_name_list == ["一般社団法人あおぞら"]

    def test_a_provider_chosen_by_the_secretariat_is_not_shown_to_the_officer_nor_dropped(
        self, officer_client, draft, plan_admin
    ):
        shelter = provider("シェルターすみれ")
        partner = OrganizationFactory(name="NPO法人つばさ")
        save(draft, plan_admin, council_organizations=[shelter, partner])
        page = officer_client.get(page_url(draft))
        assert "シェルターすみれ" not in text_of(page)
        data = post_data(draft, council_organizations=[str(partner.pk)])
        assert officer_client.post(page_url(draft), data).status_code == 302
        assert set(fresh(draft).council_organizations.all()) == {shelter, partner}

    def test_a_town_may_answer_that_the_metropolis_places_its_workers_a_ward_may_not(self, client, round_):
        town_officer = UserFactory(role=Role.MUNICIPAL_OFFICER, municipality=municipality("瑞穂町"))
        town_return = AnnualReturnFactory(round=round_, municipality=municipality("瑞穂町"))
        client.force_login(town_officer)
        assert select(client.get(page_url(town_return)), 'input[name="workers_placement"][value="metro"]')

    def test_the_ward_is_not_offered_the_metropolis_placing(self, officer_client, draft):
        assert not select(
            officer_client.get(page_url(draft)), 'input[name="workers_placement"][value="metro"]'
        )


# --- two people at once ------------------------------------------------------------------------------


class TestAStaleSave:
    def test_it_is_refused_and_what_was_typed_is_kept(self, officer_client, draft, colleague):
        loaded_at = str(fresh(draft).version)
        # The colleague saves in between.
        save(draft, colleague, plan_name="同僚が保存した名称")
        response = officer_client.post(
            page_url(draft), post_data(draft, expected_version=loaded_at, plan_name="わたしが入力した名称")
        )
        assert response.status_code == 409
        conflict = text_of(select_one(response, "#conflict"))
        assert "新宿 二郎さん" in conflict and "保存しませんでした" in conflict
        assert "計画の名称" in conflict and "同僚が保存した名称" in conflict
        # Their input is still in the form, and the next save starts from the version they have seen.
        assert form_value(response, "plan_name") == "わたしが入力した名称"
        assert form_value(response, "expected_version") == str(fresh(draft).version)
        assert fresh(draft).plan_name == "同僚が保存した名称"
        # Saving again now goes through.
        data = post_data(draft, plan_name="わたしが入力した名称")
        assert officer_client.post(page_url(draft), data).status_code == 302
        assert fresh(draft).plan_name == "わたしが入力した名称"

    def test_a_stale_submission_is_refused_too(self, officer_client, draft, colleague):
        loaded_at = str(fresh(draft).version)
        save(draft, colleague, plan_name="同僚が保存した名称")
        response = officer_client.post(
            page_url(draft), post_data(draft, action="submit", expected_version=loaded_at)
        )
        assert response.status_code == 409
        assert fresh(draft).state == ReturnState.DRAFT

    def test_a_save_after_a_colleague_submitted_is_refused_with_what_was_typed(
        self, officer_client, draft, colleague
    ):
        loaded_at = str(fresh(draft).version)
        submitted(draft, colleague)
        response = officer_client.post(
            page_url(draft), post_data(draft, expected_version=loaded_at, plan_name="わたしが入力した名称")
        )
        assert response.status_code == 409
        refused = text_of(select_one(response, "#refused"))
        assert "提出済みのため編集できません" in refused and "新宿 二郎さん" in refused
        assert form_value(response, "plan_name") == "わたしが入力した名称"
        assert not select(response, "form.return-form button")
        assert fresh(draft).plan_name == complete_values()["plan_name"]


# --- read-only, and why -------------------------------------------------------------------------------


class TestReadOnly:
    def test_an_accepted_return(self, officer_client, draft, municipal_officer):
        accepted(draft, municipal_officer)
        page = officer_client.get(page_url(draft))
        readonly = text_of(select_one(page, "#readonly"))
        assert "受理済み" in readonly and "事務局に連絡してください" in readonly
        assert not select(page, "form.return-form")
        assert not select(page, "#readonly button")

    def test_a_closed_round(self, officer_client, draft, plan_admin):
        services.return_round_close(round=draft.round, user=plan_admin)
        page = officer_client.get(page_url(draft))
        assert "受付終了" in text_of(select_one(page, "#readonly"))
        assert "この年度の提出受付は終了しました。" in text_of(select_one(page, "#readonly"))
        # A POST is refused by the service, the typed input kept.
        response = officer_client.post(page_url(draft), post_data(draft, plan_name="締切後の名称"))
        assert response.status_code == 409
        assert form_value(response, "plan_name") == "締切後の名称"
        assert fresh(draft).plan_name == ""

    def test_a_sent_back_return_shows_the_reason_and_is_editable(
        self, officer_client, draft, municipal_officer, plan_admin
    ):
        returned = submitted(draft, municipal_officer)
        services.annual_return_send_back(
            annual_return=returned, comment="策定日を確認してください。", user=plan_admin
        )
        page = officer_client.get(page_url(draft))
        assert "策定日を確認してください。" in text_of(select_one(page, "#sent-back"))
        assert select(page, "form.return-form")
        log = text_of(select_one(page, "table.transitions"))
        assert "差戻し" in log and "策定日を確認してください。" in log and str(plan_admin) in log
        # When, in the era with the Western year, in Tokyo time.
        sent_back_at = fresh(draft).transitions.last().at
        written = f"{era_date(sent_back_at, western=True)} {timezone.localtime(sent_back_at):%H:%M}"
        assert written.startswith("令和") and written in log
        assert written in text_of(select_one(page, "#sent-back"))

    def test_a_prefilled_draft_says_so(self, officer_client, municipal_officer, plan_admin):
        last_year = AnnualReturnFactory(round=ReturnRoundFactory(fiscal_year=YEAR - 1, opened_by=plan_admin))
        accepted(last_year, municipal_officer, plan_admin)
        this_year = AnnualReturnFactory(round=ReturnRoundFactory(fiscal_year=YEAR, opened_by=plan_admin))
        services.annual_return_prefill(annual_return=this_year, user=plan_admin)
        page = officer_client.get(page_url(this_year))
        assert "前年度に受理された内容を初期値にしています（令和6年度の報告から転記）" in text_of(page)
        assert form_value(page, "plan_name") == complete_values()["plan_name"]
        assert typed(page, "workers_trained") == ""  # the year's own figures start empty
        assert not is_checked(page, "workers_trained_unknown")  # not answered yet, not 不明


# --- withdrawal -------------------------------------------------------------------------------------


class TestWithdrawal:
    def test_confirmed_then_withdrawn_before_the_secretariat_opens_it(
        self, officer_client, draft, municipal_officer
    ):
        submitted(draft, municipal_officer)
        confirm = officer_client.post(withdraw_url(draft))
        assert confirm.status_code == 200
        assert text_of(select_one(confirm, "h1")) == "提出を取下げますか"
        assert fresh(draft).state == ReturnState.SUBMITTED  # asked, not done
        response = officer_client.post(withdraw_url(draft), {"confirm": "yes"}, follow=True)
        assert fresh(draft).state == ReturnState.DRAFT
        assert "提出を取下げました" in text_of(select_one(response, ".messages"))
        assert select(response, "form.return-form")
        assert fresh(draft).transitions.order_by("at", "id").last().action == "取下げ"

    def test_refused_once_the_secretariat_has_opened_it(
        self, officer_client, draft, municipal_officer, plan_admin
    ):
        returned = submitted(draft, municipal_officer)
        services.annual_return_mark_opened(annual_return=returned, user=plan_admin)
        page = officer_client.get(page_url(draft))
        assert not select(page, "#readonly button")
        assert "事務局が確認を始めたため、取下げできません" in text_of(select_one(page, "#readonly"))
        response = officer_client.post(withdraw_url(draft), {"confirm": "yes"}, follow=True)
        assert "取下げできませんでした" in text_of(select_one(response, ".messages"))
        assert fresh(draft).state == ReturnState.SUBMITTED

    def test_it_takes_a_post(self, officer_client, draft, municipal_officer):
        submitted(draft, municipal_officer)
        assert officer_client.get(withdraw_url(draft)).status_code == 405
        assert fresh(draft).state == ReturnState.SUBMITTED

    def test_the_secretariat_does_not_withdraw(self, client, draft, municipal_officer, plan_admin):
        submitted(draft, municipal_officer)
        client.force_login(plan_admin)
        assert client.post(withdraw_url(draft), {"confirm": "yes"}).status_code == 403
        assert fresh(draft).state == ReturnState.SUBMITTED


# --- who may open what ---------------------------------------------------------------------------------


class TestAccess:
    def test_another_municipalitys_officer_gets_404_and_changes_nothing(
        self, client, draft, hachioji_officer, municipal_officer
    ):
        client.force_login(hachioji_officer)
        before = answers(draft)
        assert client.get(page_url(draft)).status_code == 404
        assert client.post(page_url(draft), post_data(draft, action="submit")).status_code == 404
        assert answers(draft) == before
        submitted(draft, municipal_officer)
        assert client.post(withdraw_url(draft), {"confirm": "yes"}).status_code == 404
        assert fresh(draft).state == ReturnState.SUBMITTED

    def test_anonymous_is_sent_to_login(self, client, draft):
        before = answers(draft)
        for response in (client.get(page_url(draft)), client.post(page_url(draft), post_data(draft))):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        assert answers(draft) == before

    @pytest.mark.parametrize("who", ["viewer", "bureau_staff", "case_handler"])
    def test_those_who_see_no_returns_are_refused(self, client, draft, who, request):
        client.force_login(request.getfixturevalue(who))
        before = answers(draft)
        assert client.get(page_url(draft)).status_code == 403
        assert client.post(page_url(draft), post_data(draft)).status_code == 403
        assert client.get(reverse("municipalities:officer_returns")).status_code == 403
        assert answers(draft) == before

    def test_the_secretariat_may_enter_on_the_municipalitys_behalf(self, client, draft, plan_admin):
        client.force_login(plan_admin)
        page = client.get(page_url(draft))
        assert page.status_code == 200
        assert "新宿区に代わって入力しています" in text_of(page)
        assert client.post(page_url(draft), post_data(draft, action="submit")).status_code == 302
        saved = fresh(draft)
        assert saved.state == ReturnState.SUBMITTED and saved.entered_by_secretariat

    def test_a_post_needs_the_csrf_token(self, draft, municipal_officer):
        client = Client(enforce_csrf_checks=True)
        client.force_login(municipal_officer)
        before = answers(draft)
        assert client.post(page_url(draft), post_data(draft, action="submit")).status_code == 403
        assert answers(draft) == before
        submitted(draft, municipal_officer)
        assert client.post(withdraw_url(draft), {"confirm": "yes"}).status_code == 403
        assert fresh(draft).state == ReturnState.SUBMITTED

    def test_an_unknown_id_is_404(self, officer_client, draft):
        assert (
            officer_client.get(reverse("municipalities:officer_return", args=[draft.pk + 1000])).status_code
            == 404
        )


class TestQueries:
    def page_queries(self, client, annual_return, django_assert_max_num_queries, limit):
        with django_assert_max_num_queries(limit) as captured:
            assert client.get(page_url(annual_return)).status_code == 200
        return len(captured.captured_queries)

    def test_the_form_page_runs_the_same_queries_whatever_the_size(
        self, officer_client, draft, plan_admin, django_assert_max_num_queries
    ):
        organization = OrganizationFactory()
        course = TrainingCourseFactory()
        save(draft, plan_admin, council_organizations=[organization], course_attendance={course.pk: 1})
        few = self.page_queries(officer_client, draft, django_assert_max_num_queries, 30)
        organizations = OrganizationFactory.create_batch(30)
        provider("シェルターすみれ")
        courses = TrainingCourseFactory.create_batch(8)
        save(
            draft,
            plan_admin,
            council_organizations=organizations[:10],
            collaboration_organizations=organizations[10:],
            course_attendance={course.pk: 1 for course in courses},
        )
        assert self.page_queries(officer_client, draft, django_assert_max_num_queries, few) == few

    def test_the_read_only_page_too(
        self, officer_client, draft, municipal_officer, django_assert_max_num_queries
    ):
        course = TrainingCourseFactory()
        submitted(draft, municipal_officer, course_attendance={course.pk: 1})
        few = self.page_queries(officer_client, draft, django_assert_max_num_queries, 30)
        services.annual_return_withdraw(annual_return=fresh(draft), user=municipal_officer)
        courses = TrainingCourseFactory.create_batch(5)
        submitted(
            draft,
            municipal_officer,
            council_organizations=OrganizationFactory.create_batch(5),
            course_attendance={course.pk: 1 for course in courses},
        )
        assert self.page_queries(officer_client, draft, django_assert_max_num_queries, few) == few


# --- the home page and the list ------------------------------------------------------------------------


class TestHomeCard:
    def test_the_officer_is_one_click_from_the_form(self, officer_client, draft):
        home = officer_client.get(reverse("home"))
        card = select_one(home, 'section[aria-labelledby="officer-returns-heading"]')
        text = text_of(card)
        assert "令和7年度（2025年度）の報告" in text
        assert "作成中" in text
        deadline = draft.round.deadline
        reiwa = deadline.year - 2018
        assert f"令和{reiwa}年（{deadline.year}年）{deadline.month}月{deadline.day}日" in text
        assert link_targets(card, "報告を入力する") == [page_url(draft)]

    def test_the_secretariats_latest_comment(self, officer_client, draft, municipal_officer, plan_admin):
        returned = submitted(draft, municipal_officer)
        services.annual_return_send_back(
            annual_return=returned, comment="人数を確認してください。", user=plan_admin
        )
        text = text_of(
            select_one(
                officer_client.get(reverse("home")), 'section[aria-labelledby="officer-returns-heading"]'
            )
        )
        assert "差戻し" in text and "人数を確認してください。" in text

    def test_no_open_round(self, officer_client, draft, plan_admin):
        services.return_round_close(round=draft.round, user=plan_admin)
        text = text_of(officer_client.get(reverse("home")))
        assert "現在、受付中の報告はありません。" in text

    def test_other_roles_have_no_officer_card(self, client, draft, viewer):
        client.force_login(viewer)
        assert not select(client.get(reverse("home")), 'section[aria-labelledby="officer-returns-heading"]')

    def test_the_home_page_runs_the_same_queries_whatever_the_history(
        self, officer_client, draft, municipal_officer, plan_admin, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(30) as quiet:
            officer_client.get(reverse("home"))
        returned = submitted(draft, municipal_officer)
        services.annual_return_send_back(annual_return=returned, comment="一回目", user=plan_admin)
        returned = submitted(draft, municipal_officer)
        services.annual_return_send_back(annual_return=returned, comment="二回目", user=plan_admin)
        AnnualReturnFactory(round=ReturnRoundFactory(fiscal_year=YEAR - 1, opened_by=plan_admin))
        with django_assert_max_num_queries(len(quiet.captured_queries)):
            response = officer_client.get(reverse("home"))
        assert "二回目" in text_of(response) and "一回目" not in text_of(response)


class TestMyReturns:
    def test_the_officers_returns_of_every_round(self, officer_client, draft, plan_admin, round_):
        older = AnnualReturnFactory(round=ReturnRoundFactory(fiscal_year=YEAR - 1, opened_by=plan_admin))
        AnnualReturnFactory(round=round_, municipality=municipality("八王子市"))
        page = officer_client.get(reverse("municipalities:officer_returns"))
        assert page.status_code == 200
        assert link_targets(page).count(page_url(draft)) == 1
        assert page_url(older) in link_targets(page)
        assert len(select(page, "tbody tr")) == 2


class TestMarkup:
    """Every id the pages point to (labels, help and error texts, the summary's links) is there, once."""

    def test_the_form_empty_with_errors_in_conflict_and_read_only(
        self, officer_client, draft, colleague, municipal_officer
    ):
        from tests.test_aria_references import broken_references

        TrainingCourseFactory()
        OrganizationFactory()
        pages = {"empty": officer_client.get(page_url(draft))}
        pages["errors"] = officer_client.post(
            page_url(draft),
            post_data(
                draft,
                action="submit",
                plan_made_on="",
                workers_full_time="x",
                council_private_participation="yes",
            ),
        )
        loaded_at = str(fresh(draft).version)
        save(draft, colleague, plan_name="同僚")
        pages["conflict"] = officer_client.post(page_url(draft), post_data(draft, expected_version=loaded_at))
        submitted(draft, municipal_officer)
        pages["read-only"] = officer_client.get(page_url(draft))
        pages["withdraw"] = officer_client.post(withdraw_url(draft))
        pages["home"] = officer_client.get(reverse("home"))
        pages["list"] = officer_client.get(reverse("municipalities:officer_returns"))
        problems = [
            f"{label}: {problem}" for label, page in pages.items() for problem in broken_references(page)
        ]
        assert problems == []

    def test_no_organisations_in_the_registry(self, officer_client, draft):
        from tests.test_aria_references import broken_references

        Organization.objects.all().delete()
        response = officer_client.post(
            page_url(draft), post_data(draft, action="submit", council_private_participation="yes")
        )
        assert "一覧に登録されている団体はありません" in text_of(response)
        assert "#id_council_organizations" in link_targets(select_one(response, "#error-summary"))
        assert broken_references(response) == []


@pytest.mark.parametrize(
    "day, label",
    [
        (datetime.date(2026, 6, 30), "令和8年（2026年）6月30日"),
        (datetime.date(2019, 5, 1), "令和元年（2019年）5月1日"),
        (datetime.date(2019, 4, 30), "平成31年（2019年）4月30日"),
    ],
)
def test_dates_are_shown_in_the_era_with_the_western_year(day, label):
    from municipalities.views.officer import era_date_label

    assert era_date_label(day) == label
