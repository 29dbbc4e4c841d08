"""The secretariat's pages for the annual returns (issue 10, step 2b): the rounds, a round's page with
its figures, filters and accepting several returns at once, the review page (send back, accept,
reopen), the status matrix and a municipality's returns; who may open them, CSRF, and a fixed
number of queries whatever the number of municipalities."""

import datetime
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import Organization, OrganizationRole
from municipalities import services
from municipalities.models import (
    AnnualReturn,
    Municipality,
    ReturnRound,
    ReturnState,
    ReturnTransition,
    WorkerPlacement,
    check_digit,
)
from municipalities.selectors import era_date, era_datetime
from tests.factories import municipality
from tests.html import field_errors, link_targets, rows_of, section, select, select_one, text_of
from tests.municipalities.factories import (
    YEAR,
    accepted,
    complete_values,
    deadline_for,
    open_round,
    return_of,
    save,
    submitted,
)
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"municipalities:review_{name}", args=args)


def messages_of(response):
    return [text_of(item) for item in select(response, "ul.messages li")]


def cells_of(row):
    return [text_of(cell) for cell in row.elements]


def row_for(response, name, prefix="return"):
    """The row of a municipality (the round page's, or the matrix's with prefix "municipality"),
    as the texts of its cells."""
    return cells_of(select_one(response, f"tr#{prefix}-{municipality(name).code}"))


@pytest.fixture
def round_(plan_admin):
    return open_round(YEAR, user=plan_admin)


@pytest.fixture
def shinjuku_submitted(round_, municipal_officer):
    return submitted(return_of(round_), municipal_officer)


def snapshot(annual_return):
    """What an action would change: the state, the version, the secretariat's opening, the log."""
    annual_return = AnnualReturn.objects.get(pk=annual_return.pk)
    return (
        annual_return.state,
        annual_return.version,
        annual_return.opened_by_secretariat_at,
        annual_return.transitions.count(),
    )


# --- dates ---------------------------------------------------------------------------------------------


class TestEraDates:
    def test_dates_read_in_the_era(self):
        assert era_date(datetime.date(2026, 5, 31)) == "令和8年5月31日"
        assert era_date(datetime.date(2019, 5, 1)) == "令和元年5月1日"
        assert era_date(datetime.date(2019, 4, 30)) == "平成31年4月30日"
        assert era_date(None) == ""

    def test_a_moment_reads_in_tokyo_time(self):
        moment = datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)  # 00:30 on 1 April in Tokyo
        assert era_datetime(moment) == "令和8年4月1日 00:30"


# --- the rounds -----------------------------------------------------------------------------------------


class TestRoundList:
    def test_lists_each_round_with_its_counts_and_deadline(self, plan_admin_client, round_, shinjuku_submitted):
        response = plan_admin_client.get(url("rounds"))
        assert response.status_code == 200
        table = select_one(section(response, "受付の一覧"), "table")
        header, row = rows_of(table)
        assert header[:3] == ["報告対象年度", "提出期限", "受付"]
        assert row[0] == "令和7年度（2025年度）"
        assert row[1] == era_date(round_.deadline, western=True)
        assert row[1].startswith("令和") and f"（{round_.deadline.year}年）" in row[1]
        assert row[2] == "受付中"
        # 作成中, 提出済み, 差戻し, 受理, 計
        assert row[3:8] == ["61", "1", "0", "0", "62"]
        assert url("round", YEAR) in link_targets(table)

    def test_the_form_offers_only_the_years_not_yet_opened(self, plan_admin_client, round_):
        response = plan_admin_client.get(url("rounds"))
        options = [text_of(option) for option in select(response, "select[name=fiscal_year] option")]
        assert "令和7年度（2025年度）" not in options
        assert "令和6年度（2024年度）" in options
        assert select_one(response, "label[for=id_deadline]")

    def test_opening_a_round_makes_a_return_per_municipality(self, plan_admin_client):
        deadline = deadline_for(2024)
        response = plan_admin_client.post(
            url("rounds"), {"fiscal_year": 2024, "deadline": deadline.isoformat(), "message": "ご報告ください。"}
        )
        assert response.status_code == 302
        assert response["Location"] == url("round", 2024)
        round = ReturnRound.objects.get(fiscal_year=2024)
        assert round.deadline == deadline
        assert round.message == "ご報告ください。"
        assert round.returns.count() == Municipality.objects.count() == 62
        page = plan_admin_client.get(response["Location"])
        assert "令和6年度（2024年度）の報告の受付を開始しました（62団体の報告を作成しました）。" in messages_of(page)

    def test_a_deadline_within_the_year_is_refused_beside_the_field(self, plan_admin_client):
        response = plan_admin_client.post(url("rounds"), {"fiscal_year": 2024, "deadline": "2025-03-01", "message": ""})
        assert response.status_code == 400
        assert field_errors(response, "deadline") == [
            "提出期限は報告対象年度の末日（2025年3月31日）より後の日付にしてください。"
        ]
        assert not ReturnRound.objects.exists()

    def test_a_year_already_opened_is_refused(self, plan_admin_client, round_):
        response = plan_admin_client.post(
            url("rounds"), {"fiscal_year": YEAR, "deadline": deadline_for(YEAR).isoformat()}
        )
        assert response.status_code == 400
        assert field_errors(response, "fiscal_year") == ["受付を開始できる年度を選んでください。"]
        assert ReturnRound.objects.count() == 1


class TestClosingAndReopening:
    def test_closing_asks_first_then_closes(self, plan_admin_client, round_, plan_admin):
        confirm = plan_admin_client.get(url("round_close", YEAR))
        assert confirm.status_code == 200
        assert text_of(select_one(confirm, "h1")) == "令和7年度（2025年度）の報告の受付を終了しますか"
        round_.refresh_from_db()
        assert round_.is_open  # asking changes nothing

        response = plan_admin_client.post(url("round_close", YEAR), follow=True)
        round_.refresh_from_db()
        assert round_.is_closed and round_.closed_by == plan_admin
        assert "令和7年度（2025年度）の報告の受付を終了しました。" in messages_of(response)
        notice = select_one(response, "#round-closed")
        assert "この年度の報告の受付は終了しています" in text_of(notice)

    def test_reopening_a_closed_round(self, plan_admin_client, round_, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        assert "受付終了" in text_of(select_one(plan_admin_client.get(url("rounds")), "table tbody"))
        confirm = plan_admin_client.get(url("round_reopen", YEAR))
        assert "受付を再開しますか" in text_of(select_one(confirm, "h1"))
        response = plan_admin_client.post(url("round_reopen", YEAR), follow=True)
        round_.refresh_from_db()
        assert round_.is_open
        assert "令和7年度（2025年度）の報告の受付を再開しました。" in messages_of(response)
        assert not select(response, "#round-closed")

    def test_closing_a_closed_round_says_so(self, plan_admin_client, round_, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        response = plan_admin_client.post(url("round_close", YEAR), follow=True)
        assert "令和7年度（2025年度）の報告の受付は既に終了しています。" in messages_of(response)

    def test_a_year_without_a_round_is_not_found(self, plan_admin_client):
        assert plan_admin_client.get(url("round", 2026)).status_code == 404
        assert plan_admin_client.post(url("round_close", 2026)).status_code == 404


# --- a round's page -----------------------------------------------------------------------------------


class TestRoundPage:
    def test_every_municipality_in_code_order_with_its_state(self, plan_admin_client, round_, shinjuku_submitted):
        response = plan_admin_client.get(url("round", YEAR))
        assert response.status_code == 200
        rows = select(response, "table.returns-table tbody tr")
        codes = [row.get("id").removeprefix("return-") for row in rows]
        assert codes == list(Municipality.objects.order_by("code").values_list("code", flat=True))
        assert len(codes) == 62
        shinjuku = row_for(response, "新宿区")
        assert shinjuku[1:5] == ["131041", "新宿区", "区部・区", "提出済み 未確認"]
        assert row_for(response, "八王子市")[4] == "作成中"

    def test_on_time_late_and_not_yet(self, plan_admin_client, round_, municipal_officer, other_officer, plan_admin):
        submitted(return_of(round_), municipal_officer)
        late = submitted(return_of(round_, "八王子市"), other_officer)
        # 八王子市's submission is dated after the deadline: as if it came in two days late.
        ReturnTransition.objects.filter(annual_return=late).update(at=timezone.now() + datetime.timedelta(days=60))
        ReturnRound.objects.filter(pk=round_.pk).update(deadline=timezone.localdate() + datetime.timedelta(days=58))
        response = plan_admin_client.get(url("round", YEAR))
        assert row_for(response, "新宿区")[5] == f"期限内 {era_date(timezone.localdate())}"
        assert row_for(response, "八王子市")[5].startswith("期限後 令和")
        assert row_for(response, "港区")[5] == "未提出"

        figures = {row[0]: row[1] for row in rows_of(select_one(response, "#round-figures"))}
        assert figures["提出"] == "2/62"
        assert figures["期限内の提出"] == "1/62（1.6%）"
        assert figures["確認待ち（提出済み）"] == "2"
        assert figures["作成中（未提出）"] == "60"

    def test_the_figures_count_accepted_and_sent_back(self, plan_admin_client, round_, municipal_officer, other_officer, plan_admin):
        accepted(return_of(round_), municipal_officer, plan_admin)
        sent = submitted(return_of(round_, "八王子市"), other_officer)
        services.annual_return_send_back(annual_return=sent, comment="計画期間を確認してください。", user=plan_admin)
        response = plan_admin_client.get(url("round", YEAR))
        figures = {row[0]: row[1] for row in rows_of(select_one(response, "#round-figures"))}
        assert figures["提出"] == "2/62"
        assert figures["受理"] == "1"
        assert figures["差戻し"] == "1"
        # A sent-back return stays counted as in, with its first submission's date.
        assert row_for(response, "八王子市")[4:6] == ["差戻し", f"期限内 {era_date(timezone.localdate())}"]

    def test_the_last_change_says_who_and_when(self, plan_admin_client, round_, shinjuku_submitted, municipal_officer):
        response = plan_admin_client.get(url("round", YEAR))
        last = row_for(response, "新宿区")[6]
        assert last == f"提出：{municipal_officer} {era_datetime(shinjuku_submitted.submitted_at)}"
        assert row_for(response, "港区")[6] == "未着手"

    @pytest.mark.parametrize(
        "params, expected",
        [
            ({"region": "島しょ"}, 9),
            ({"kind": "村"}, 8),
            ({"region": "多摩", "kind": "町"}, 3),
            ({"state": "submitted"}, 1),
            ({"timeliness": "not_yet"}, 61),
        ],
    )
    def test_filters(self, plan_admin_client, round_, shinjuku_submitted, params, expected):
        response = plan_admin_client.get(url("round", YEAR), params)
        rows = select(response, "table.returns-table tbody tr")
        assert len(rows) == expected
        # The figures are the round's, whatever the filters.
        assert rows_of(select_one(response, "#round-figures"))[0][1] == "1/62"
        assert "条件を解除" in text_of(select_one(response, "form.progress-filters"))

    def test_the_filters_have_labels(self, plan_admin_client, round_):
        response = plan_admin_client.get(url("round", YEAR))
        labels = {select_one(response, f"label[for=id_{name}]") for name in ("region", "kind", "state", "timeliness")}
        assert [text_of(label) for label in sorted(labels, key=lambda label: label.get("for"))] == [
            "種別",
            "地域",
            "状態",
            "提出（期限との関係）",
        ]

    def test_an_unknown_filter_value_shows_everything_and_says_so(self, plan_admin_client, round_):
        response = plan_admin_client.get(url("round", YEAR), {"region": "大阪"})
        assert response.status_code == 200
        assert len(select(response, "table.returns-table tbody tr")) == 62
        assert field_errors(response, "region")

    def test_only_submitted_returns_can_be_ticked(self, plan_admin_client, round_, shinjuku_submitted):
        response = plan_admin_client.get(url("round", YEAR))
        boxes = select(response, "input[type=checkbox][name=returns]")
        assert [box.get("value") for box in boxes] == [str(shinjuku_submitted.pk)]
        assert text_of(select_one(response, f'label[for="accept-{shinjuku_submitted.pk}"]')) == "新宿区の報告を選ぶ"

    def test_a_closed_round_says_so(self, plan_admin_client, round_, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        response = plan_admin_client.get(url("round", YEAR))
        assert "この年度の報告の受付は終了しています" in text_of(select_one(response, "#round-closed"))


class TestAcceptingSeveral:
    def test_accepts_the_submitted_and_reports_the_others(
        self, plan_admin_client, round_, municipal_officer, other_officer, plan_admin
    ):
        shinjuku = submitted(return_of(round_), municipal_officer)
        hachioji = submitted(return_of(round_, "八王子市"), other_officer)
        draft = return_of(round_, "港区")  # e.g. withdrawn a moment ago
        back = url("round", YEAR) + "?" + urlencode({"region": "区部"})  # the page's own address, filters and all
        response = plan_admin_client.post(
            url("round_accept", YEAR), {"returns": [shinjuku.pk, hachioji.pk, draft.pk], "next": back}
        )
        assert response.status_code == 302
        assert response["Location"] == back
        assert AnnualReturn.objects.get(pk=shinjuku.pk).state == ReturnState.ACCEPTED
        assert AnnualReturn.objects.get(pk=hachioji.pk).state == ReturnState.ACCEPTED
        assert AnnualReturn.objects.get(pk=draft.pk).state == ReturnState.DRAFT
        shown = messages_of(plan_admin_client.get(back))
        assert "2件の報告を受理しました：新宿区、八王子市" in shown
        assert "1件は受理できませんでした：港区（受理できるのは提出済みの報告だけです（この報告は「作成中」です）。）" in shown

    def test_nothing_ticked(self, plan_admin_client, round_, shinjuku_submitted):
        response = plan_admin_client.post(url("round_accept", YEAR), {}, follow=True)
        assert "受理する報告を選んでください。" in messages_of(response)
        assert snapshot(shinjuku_submitted)[0] == ReturnState.SUBMITTED

    def test_a_return_of_another_round_is_refused_and_nothing_changes(
        self, plan_admin_client, round_, shinjuku_submitted, other_officer
    ):
        other_round = open_round(2024)
        other = submitted(return_of(other_round, "八王子市"), other_officer)
        response = plan_admin_client.post(
            url("round_accept", YEAR), {"returns": [shinjuku_submitted.pk, other.pk]}, follow=True
        )
        assert "この年度の報告ではないものが選ばれています。画面を読み込み直してください。" in messages_of(response)
        assert snapshot(shinjuku_submitted)[0] == ReturnState.SUBMITTED
        assert snapshot(other)[0] == ReturnState.SUBMITTED

    def test_an_address_off_the_round_page_is_not_followed(self, plan_admin_client, round_, shinjuku_submitted):
        response = plan_admin_client.post(
            url("round_accept", YEAR), {"returns": [shinjuku_submitted.pk], "next": "https://example.com/"}
        )
        assert response["Location"] == url("round", YEAR)

    def test_accepting_after_the_round_closed(self, plan_admin_client, round_, shinjuku_submitted, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        plan_admin_client.post(url("round_accept", YEAR), {"returns": [shinjuku_submitted.pk]})
        assert snapshot(shinjuku_submitted)[0] == ReturnState.ACCEPTED


# --- the review page ---------------------------------------------------------------------------------


@pytest.fixture
def with_last_year(plan_admin, municipal_officer):
    """新宿区's return for 2024 accepted (2 full-time workers), and its 2025 return submitted with 5."""
    last_round = open_round(2024, user=plan_admin)
    accepted(return_of(last_round), municipal_officer, plan_admin)
    this_round = open_round(YEAR, user=plan_admin)
    return submitted(return_of(this_round), municipal_officer, workers_full_time=5)


class TestReviewPage:
    def test_shows_every_section_read_only(self, plan_admin_client, shinjuku_submitted):
        response = plan_admin_client.get(url("return", shinjuku_submitted.pk))
        assert response.status_code == 200
        headings = [text_of(heading) for heading in select(response, "main h2")]
        for title in ("市町村基本計画", "支援調整会議", "女性相談支援員", "民間団体との協働（支援調整会議以外）", "課題・都への要望"):
            assert title in headings
        plan = rows_of(select_one(section(response, "市町村基本計画"), "table"))
        assert ["基本計画の策定状況", "策定済み"] in plan
        assert ["策定日", "令和7年3月1日"] in plan
        assert ["計画期間（開始年度）", "令和7年度（2025年度）"] in plan
        council = rows_of(select_one(section(response, "支援調整会議"), "table"))
        assert ["個別ケース検討会議の開催回数（年度内）", "不明"] in council
        # Read-only: no field of the answers, only the review's own forms.
        assert not select(response, "input[name=plan_status], select[name=plan_status]")
        assert {field.get("name") for field in select(response, "main textarea")} == {"comment"}

    def test_highlights_what_changed_since_the_last_accepted_return(self, plan_admin_client, with_last_year):
        response = plan_admin_client.get(url("return", with_last_year.pk))
        changes = rows_of(select_one(response, "table#changes"))
        assert changes == [["項目", "前回（受理済み）", "今回"], ["常勤の人数（年度末時点）", "2", "5"]]
        changed = select_one(response, "tr#answer-workers_full_time")
        assert "changed" in changed.classes
        assert text_of(select_one(changed, "mark")) == "5"
        assert "前回：2" in text_of(changed)
        assert "changed" not in select_one(response, "tr#answer-workers_part_time").classes
        assert "令和6年度（2024年度）に受理された報告" in text_of(select_one(response, "#return-facts"))

    def test_without_an_earlier_accepted_return_nothing_is_highlighted(self, plan_admin_client, shinjuku_submitted):
        response = plan_admin_client.get(url("return", shinjuku_submitted.pk))
        assert not select(response, "tr.changed")
        assert "前回受理された報告がないため、比較できません。" in text_of(section(response, "前回受理された報告からの変更"))

    def test_opening_a_submitted_return_marks_it_opened(self, plan_admin_client, shinjuku_submitted, plan_admin):
        assert shinjuku_submitted.withdraw_refusal() is None
        response = plan_admin_client.get(url("return", shinjuku_submitted.pk))
        opened = AnnualReturn.objects.get(pk=shinjuku_submitted.pk)
        assert opened.opened_by_secretariat_by == plan_admin
        assert opened.withdraw_refusal().startswith("事務局が確認を始めたため")
        assert "この報告の確認を開始しました" in text_of(select_one(response, "#just-opened"))
        # Once: a second look changes nothing and says nothing.
        again = plan_admin_client.get(url("return", shinjuku_submitted.pk))
        assert not select(again, "#just-opened")
        assert AnnualReturn.objects.get(pk=shinjuku_submitted.pk).opened_by_secretariat_at == opened.opened_by_secretariat_at

    def test_opening_a_draft_changes_nothing(self, plan_admin_client, round_):
        draft = return_of(round_)
        before = snapshot(draft)
        assert plan_admin_client.get(url("return", draft.pk)).status_code == 200
        assert snapshot(draft) == before

    def test_the_transitions_say_who_when_and_why(self, plan_admin_client, shinjuku_submitted, municipal_officer, plan_admin):
        sent = services.annual_return_send_back(
            annual_return=shinjuku_submitted, comment="計画期間を確認してください。", user=plan_admin
        )
        response = plan_admin_client.get(url("return", sent.pk))
        log = [text_of(item) for item in select(section(response, "状態の変更記録"), "li")]
        transitions = list(sent.transitions.order_by("at", "id"))
        assert log == [
            f"{era_datetime(transitions[0].at)} {municipal_officer} 提出 （作成中 → 提出済み）",
            f"{era_datetime(transitions[1].at)} {plan_admin} 差戻し （提出済み → 差戻し） 計画期間を確認してください。",
        ]

    def test_providers_names_are_shown_to_the_secretariat(self, plan_admin_client, round_, municipal_officer):
        provider = Organization.objects.create(name="シェルターあおぞら", kind=Organization.Kind.PRIVATE)
        OrganizationRole.objects.create(
            organization=provider, role=OrganizationRole.Kind.TEMPORARY_PROTECTION, start_date=datetime.date(2024, 4, 1)
        )
        other = Organization.objects.create(name="NPO法人ひだまり", kind=Organization.Kind.PRIVATE)
        annual_return = submitted(
            return_of(round_),
            municipal_officer,
            council_private_participation="yes",
            council_organizations=[provider, other],
        )
        response = plan_admin_client.get(url("return", annual_return.pk))
        row = text_of(select_one(response, "tr#answer-council_organizations"))
        assert row == "参加している民間団体 NPO法人ひだまり、シェルターあおぞら"

    def test_the_course_attendance_is_shown(self, plan_admin_client, round_, municipal_officer):
        from tests.municipalities.factories import TrainingCourseFactory

        course = TrainingCourseFactory(name="初任者研修")
        annual_return = save(return_of(round_), municipal_officer, **complete_values(), course_attendance={course: 2})
        response = plan_admin_client.get(url("return", annual_return.pk))
        assert text_of(select_one(response, "tr#answer-course_attendance")) == "研修ごとの受講者数 初任者研修：2人"


class TestSendingBack:
    def test_needs_a_comment_beside_the_field(self, plan_admin_client, shinjuku_submitted):
        plan_admin_client.get(url("return", shinjuku_submitted.pk))  # opened
        before = snapshot(shinjuku_submitted)
        response = plan_admin_client.post(url("send_back", shinjuku_submitted.pk), {"comment": ""})
        assert response.status_code == 400
        assert field_errors(response, "comment") == ["差戻しの理由（区市町村へのコメント）を入力してください。"]
        assert snapshot(shinjuku_submitted) == before

    def test_a_comment_of_spaces_only_is_no_comment(self, plan_admin_client, shinjuku_submitted):
        plan_admin_client.get(url("return", shinjuku_submitted.pk))
        before = snapshot(shinjuku_submitted)
        response = plan_admin_client.post(url("send_back", shinjuku_submitted.pk), {"comment": "　　"})
        assert response.status_code == 400
        assert field_errors(response, "comment") == ["差戻しの理由（区市町村へのコメント）を入力してください。"]
        assert snapshot(shinjuku_submitted) == before

    def test_sends_back_with_the_comment(self, plan_admin_client, shinjuku_submitted, plan_admin):
        response = plan_admin_client.post(
            url("send_back", shinjuku_submitted.pk), {"comment": "計画期間を確認してください。"}, follow=True
        )
        returned = AnnualReturn.objects.get(pk=shinjuku_submitted.pk)
        assert returned.state == ReturnState.SENT_BACK
        last = returned.transitions.order_by("-at", "-id").first()
        assert (last.by, last.comment) == (plan_admin, "計画期間を確認してください。")
        assert "新宿区の報告を差し戻しました。" in messages_of(response)
        assert not select(response, "#send-back-form")

    def test_not_while_the_round_is_closed(self, plan_admin_client, round_, shinjuku_submitted, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        page = plan_admin_client.get(url("return", shinjuku_submitted.pk))
        assert not select(page, "#send-back-form")
        assert select(page, "#accept-form")
        assert "この年度の報告の受付は終了しています" in text_of(select_one(page, "#round-closed"))
        before = snapshot(shinjuku_submitted)
        response = plan_admin_client.post(url("send_back", shinjuku_submitted.pk), {"comment": "修正してください。"})
        assert response.status_code == 400
        assert "この年度の提出受付は終了しました。差し戻すには、先に受付を再開してください。" in text_of(
            select_one(response, "#send-back-form .error-summary")
        )
        assert snapshot(shinjuku_submitted) == before


class TestAcceptingOne:
    def test_accepts(self, plan_admin_client, shinjuku_submitted, plan_admin):
        response = plan_admin_client.post(url("accept", shinjuku_submitted.pk), follow=True)
        returned = AnnualReturn.objects.get(pk=shinjuku_submitted.pk)
        assert (returned.state, returned.accepted_by) == (ReturnState.ACCEPTED, plan_admin)
        assert "新宿区の報告を受理しました。" in messages_of(response)
        assert select(response, "#reopen-form")
        assert not select(response, "#accept-form")

    def test_a_draft_cannot_be_accepted(self, plan_admin_client, round_):
        draft = return_of(round_)
        before = snapshot(draft)
        response = plan_admin_client.post(url("accept", draft.pk), follow=True)
        assert "受理できるのは提出済みの報告だけです（この報告は「作成中」です）。" in messages_of(response)
        assert snapshot(draft) == before


class TestReopening:
    @pytest.fixture
    def accepted_return(self, round_, municipal_officer, plan_admin):
        return accepted(return_of(round_), municipal_officer, plan_admin)

    def test_needs_a_reason_beside_the_field(self, plan_admin_client, accepted_return):
        before = snapshot(accepted_return)
        response = plan_admin_client.post(url("reopen", accepted_return.pk), {"reason": ""})
        assert response.status_code == 400
        assert field_errors(response, "reason") == ["再開する理由を入力してください。"]
        assert snapshot(accepted_return) == before

    def test_reopens_as_sent_back(self, plan_admin_client, accepted_return, plan_admin):
        response = plan_admin_client.post(
            url("reopen", accepted_return.pk), {"reason": "人数の誤りの連絡がありました。"}, follow=True
        )
        returned = AnnualReturn.objects.get(pk=accepted_return.pk)
        assert returned.state == ReturnState.SENT_BACK
        assert returned.accepted_at is None
        assert returned.transitions.order_by("-at", "-id").first().comment == "人数の誤りの連絡がありました。"
        assert "新宿区の報告の受理を取り消し、差戻しとして区市町村に戻しました。" in messages_of(response)

    def test_not_while_the_round_is_closed(self, plan_admin_client, round_, accepted_return, plan_admin):
        services.return_round_close(round=round_, user=plan_admin)
        page = plan_admin_client.get(url("return", accepted_return.pk))
        assert not select(page, "#reopen-form")
        assert "受付が終了しているため、受理を取り消せません。" in text_of(section(page, "確認の操作"))


# --- the status matrix ----------------------------------------------------------------------------------


class TestStatusMatrix:
    def test_latest_accepted_information_grouped_by_region(
        self, plan_admin_client, plan_admin, municipal_officer, other_officer
    ):
        last_round = open_round(2024, user=plan_admin)
        accepted(return_of(last_round), municipal_officer, plan_admin)  # 新宿区, 2024
        round = open_round(YEAR, user=plan_admin)
        # 八王子市 this year: no plan yet, an existing council, workers' counts unknown.
        accepted(
            return_of(round, "八王子市"),
            other_officer,
            plan_admin,
            plan_status="in_progress",
            plan_made_on=None,
            plan_expected_fiscal_year=2027,
            council_status="existing",
            council_existing_name="要保護児童対策地域協議会",
            council_private_participation="unknown",
            workers_placement=WorkerPlacement.PLACED,
            workers_full_time=1,
            workers_part_time=None,
            workers_trained=None,
        )
        # 新宿区's 2025 return is only submitted: the matrix still shows its 2024 information.
        submitted(return_of(round), municipal_officer, workers_full_time=9)

        response = plan_admin_client.get(url("round_matrix", YEAR))
        assert response.status_code == 200
        assert [text_of(heading) for heading in select(response, "main h2")] == ["合計", "区部 23団体", "多摩 30団体", "島しょ 9団体"]
        wards = select_one(section(response, "区部 23団体"), "table")
        codes = [row.get("id").removeprefix("municipality-") for row in select(wards, "tbody tr")]
        assert codes == list(Municipality.objects.filter(region="区部").order_by("code").values_list("code", flat=True))

        shinjuku = row_for(response, "新宿区", "municipality")
        assert shinjuku == ["新宿区", "令和6年度", "策定済み", "設置済み", "○", "○", "—", "いいえ", "配置あり", "2", "3", "4"]
        hachioji = row_for(response, "八王子市", "municipality")
        assert hachioji == [
            "八王子市", "令和7年度", "策定中", "既存の会議を活用", "○", "○", "—", "不明", "配置あり", "1", "不明", "不明",
        ]
        minato = row_for(response, "港区", "municipality")
        assert minato == ["港区", "受理された報告なし（不明）"]

        totals = {row[0]: row[1] for row in rows_of(select_one(response, "#matrix-totals"))}
        assert totals["受理された報告がある団体"] == "2/62"
        assert totals["基本計画を策定している団体（一体的な策定を含む）"] == "1"
        assert totals["支援調整会議を設置している団体（既存の会議の活用を含む）"] == "2"
        assert totals["女性相談支援員（常勤）"] == "3人 （不明 60団体を除く）"
        # 不明 is never added as 0: 八王子市's unknown counts are left out and counted as unknown.
        assert totals["センターの研修を受講した支援員（実人数）"] == "4人 （不明 61団体を除く）"

    def test_workers_placed_by_the_metropolis_are_not_unknown(self, plan_admin_client, plan_admin):
        round = open_round(YEAR, user=plan_admin)
        town = return_of(round, "瑞穂町")
        values = complete_values(
            workers_placement=WorkerPlacement.METRO, workers_full_time=None, workers_part_time=None, workers_trained=None
        )
        accepted(town, plan_admin, plan_admin, **values)
        response = plan_admin_client.get(url("round_matrix", YEAR))
        row = row_for(response, "瑞穂町", "municipality")
        assert row[-4:] == ["都が配置（町村部の福祉事務所）", "—", "—", "—"]


# --- a municipality's returns ---------------------------------------------------------------------------


class TestMunicipalityPage:
    def test_every_year_with_links_and_transitions(self, plan_admin_client, with_last_year, municipal_officer):
        code = municipality("新宿区").code
        response = plan_admin_client.get(url("municipality", code))
        assert response.status_code == 200
        assert text_of(select_one(response, "h1")) == "新宿区の年次報告"
        headings = [text_of(heading) for heading in select(response, "main h2")]
        assert headings == ["令和7年度（2025年度）の報告 提出済み", "令和6年度（2024年度）の報告 受理"]
        last_year = AnnualReturn.objects.get(municipality__name="新宿区", round__fiscal_year=2024)
        assert link_targets(response, "令和6年度（2024年度）の報告") == [url("return", last_year.pk)]
        assert link_targets(response, "令和7年度（2025年度）の報告") == [url("return", with_last_year.pk)]
        log = texts_of_log(select_one(response, "#round-2024"))
        assert len(log) == 2
        assert log[0].endswith(f"{municipal_officer} 提出 （作成中 → 提出済み）")
        assert log[1].endswith("受理 （提出済み → 受理）")

    def test_an_unknown_code_is_not_found(self, plan_admin_client):
        assert plan_admin_client.get(url("municipality", "999999")).status_code == 404


def texts_of_log(element):
    return [text_of(item) for item in select(element, "ol.transitions li")]


# --- who may open the pages -------------------------------------------------------------------------------


def page_requests(annual_return):
    """Every page and action of the secretariat's side: (method, address, data)."""
    year, pk, code = annual_return.round.fiscal_year, annual_return.pk, annual_return.municipality.code
    return [
        ("get", url("rounds"), None),
        ("post", url("rounds"), {"fiscal_year": 2024, "deadline": deadline_for(2024).isoformat()}),
        ("get", url("round", year), None),
        ("get", url("round_close", year), None),
        ("post", url("round_close", year), {}),
        ("get", url("round_reopen", year), None),
        ("post", url("round_reopen", year), {}),
        ("post", url("round_accept", year), {"returns": [pk]}),
        ("get", url("round_matrix", year), None),
        ("get", url("return", pk), None),
        ("post", url("send_back", pk), {"comment": "修正してください。"}),
        ("post", url("accept", pk), {}),
        ("post", url("reopen", pk), {"reason": "誤りがありました。"}),
        ("get", url("municipality", code), None),
    ]


def world(annual_return):
    return (snapshot(annual_return), list(ReturnRound.objects.values_list("fiscal_year", "closed_at")))


class TestOthersAreRefused:
    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "municipal_officer", "case_handler"])
    def test_every_page_and_action_is_forbidden(self, request, client, shinjuku_submitted, role):
        # The municipal officer is 新宿区's own: even its own return's review is not theirs.
        client.force_login(request.getfixturevalue(role))
        before = world(shinjuku_submitted)
        for method, address, data in page_requests(shinjuku_submitted):
            response = getattr(client, method)(address, data)
            assert response.status_code == 403, f"{method} {address}: {response.status_code}"
        assert world(shinjuku_submitted) == before

    def test_anonymous_users_are_sent_to_sign_in(self, client, shinjuku_submitted):
        before = world(shinjuku_submitted)
        login = reverse("login")
        for method, address, data in page_requests(shinjuku_submitted):
            response = getattr(client, method)(address, data)
            assert response.status_code == 302 and response["Location"].startswith(login), f"{method} {address}"
        assert world(shinjuku_submitted) == before

    def test_every_action_needs_the_csrf_token(self, plan_admin, shinjuku_submitted):
        client = Client(enforce_csrf_checks=True)
        client.force_login(plan_admin)
        client.get(url("return", shinjuku_submitted.pk))  # opened, so that a refused POST is all that is left
        before = world(shinjuku_submitted)
        for method, address, data in page_requests(shinjuku_submitted):
            if method == "post":
                response = client.post(address, data)
                assert response.status_code == 403, f"{address}: {response.status_code}"
        assert world(shinjuku_submitted) == before


# --- a fixed number of queries ----------------------------------------------------------------------------

# The session, the user, their groups, the round, then every return's state and first submission
# (for the filters, the pager and the figures), the page's returns and their transitions (the round
# page) or the accepted returns and the municipalities (the matrix); and the request's savepoint.
# The round page reads its reminder log too (one query, tests/municipalities/test_reminders.py).
QUERY_LIMIT_ROUND_PAGE = 10
QUERY_LIMIT_MATRIX = 8


def add_municipalities(count: int) -> None:
    """Municipalities beyond Tokyo's 62 (codes with valid check digits, outside Tokyo's 13xxx), so
    that a page's queries can be counted at 600."""
    kinds = list(Municipality.Kind.values)
    regions = list(Municipality.Region.values)
    rows = []
    for number in range(count):
        code5 = f"{47001 + number:05d}"
        rows.append(
            Municipality(
                code=f"{code5}{check_digit(code5)}",
                code5=code5,
                name=f"試験団体{number:04d}",
                kana=f"シケンダンタイ{number:04d}",
                kind=kinds[number % len(kinds)],
                region=regions[number % len(regions)],
            )
        )
    Municipality.objects.bulk_create(rows)


def vary(round, officer, other_officer, admin):
    """Returns in every state, with transitions, so that nothing is loaded row by row unseen."""
    accepted(return_of(round), officer, admin)
    sent = submitted(return_of(round, "八王子市"), other_officer)
    services.annual_return_send_back(annual_return=sent, comment="確認してください。", user=admin)
    save(return_of(round, "港区"), admin, workers_full_time=1)


class TestQueryCounts:
    def test_round_page_and_matrix_at_62_and_600_municipalities(
        self, plan_admin_client, plan_admin, municipal_officer, other_officer, django_assert_max_num_queries
    ):
        small = open_round(2024, user=plan_admin)
        vary(small, municipal_officer, other_officer, plan_admin)
        at_62 = (
            count_queries(plan_admin_client, url("round", 2024), django_assert_max_num_queries, QUERY_LIMIT_ROUND_PAGE),
            count_queries(plan_admin_client, url("round_matrix", 2024), django_assert_max_num_queries, QUERY_LIMIT_MATRIX),
        )

        add_municipalities(600 - 62)
        large = open_round(YEAR, user=plan_admin)
        assert large.returns.count() == 600
        vary(large, municipal_officer, other_officer, plan_admin)
        extra = list(large.returns.filter(municipality__code5__startswith="47").select_related("municipality")[:5])
        for annual_return in extra:
            accepted(annual_return, plan_admin, plan_admin)
        at_600 = (
            count_queries(plan_admin_client, url("round", YEAR), django_assert_max_num_queries, QUERY_LIMIT_ROUND_PAGE),
            count_queries(plan_admin_client, url("round_matrix", YEAR), django_assert_max_num_queries, QUERY_LIMIT_MATRIX),
        )
        assert at_600 == at_62
        # A later page costs the same (the pager pages the rows already read).
        assert (
            count_queries(plan_admin_client, url("round", YEAR) + "?page=6", django_assert_max_num_queries, QUERY_LIMIT_ROUND_PAGE),
            count_queries(plan_admin_client, url("round_matrix", YEAR) + "?page=6", django_assert_max_num_queries, QUERY_LIMIT_MATRIX),
        ) == at_62
        response = plan_admin_client.get(url("round", YEAR))
        assert len(select(response, "table.returns-table tbody tr")) == 100  # one page of 600
        assert rows_of(select_one(response, "#round-figures"))[0][1] == "7/600"


# --- paging at more municipalities than Tokyo's (issue 13) ----------------------------------------------


def pager(response):
    """The pager's text and its links' addresses (None when the list fits on one page)."""
    navs = select(response, "nav.pagination")
    if not navs:
        return None
    (nav,) = navs
    return text_of(nav), {text_of(link): link.get("href") for link in select(nav, "a")}


def codes_on(response, css):
    return [row.get("id").split("-", 1)[1] for row in select(response, css)]


class TestPaging:
    """With 250 municipalities the round page and the status matrix show 100 at a time; the figures
    and totals stay the round's, over all 250; Tokyo's 62 stay on one page with no pager."""

    @pytest.fixture
    def big_round(self, plan_admin, municipal_officer):
        add_municipalities(250 - 62)
        round = open_round(YEAR, user=plan_admin)
        submitted(return_of(round), municipal_officer)  # 新宿区
        return round

    def test_round_page_in_pages_of_100(self, plan_admin_client, big_round):
        all_codes = list(Municipality.objects.order_by("code").values_list("code", flat=True))
        first = plan_admin_client.get(url("round", YEAR))
        assert codes_on(first, "table.returns-table tbody tr") == all_codes[:100]
        text, links = pager(first)
        assert "1 / 3 ページ（全 250 件）" in text
        assert list(links) == ["次の 100 件"]
        assert "250団体（1〜100件目を表示）" in text_of(select_one(first, "#returns-heading"))

        last = plan_admin_client.get(url("round", YEAR), {"page": 3})
        assert codes_on(last, "table.returns-table tbody tr") == all_codes[200:]
        assert list(pager(last)[1]) == ["前の 100 件"]
        # A page number past the end shows the last page; one that is not a number, the first.
        assert codes_on(plan_admin_client.get(url("round", YEAR), {"page": 99}), "table.returns-table tbody tr") == all_codes[200:]
        assert codes_on(plan_admin_client.get(url("round", YEAR), {"page": "x"}), "table.returns-table tbody tr") == all_codes[:100]
        # A printed page (the pager is not printed) says which rows it holds.
        assert text_of(select_one(last, ".print-filters")) == "絞り込み条件：なし（すべて）（250団体のうち201〜250件目）"
        # The round's figures, over every return, on every page.
        for response in (first, last):
            figures = {row[0]: row[1] for row in rows_of(select_one(response, "#round-figures"))}
            assert figures["提出"] == "1/250"
            assert figures["作成中（未提出）"] == "249"

    def test_the_filters_apply_before_paging_and_stay_in_the_links(self, plan_admin_client, big_round):
        not_yet = list(
            AnnualReturn.objects.filter(round=big_round, state=ReturnState.DRAFT)
            .order_by("municipality__code")
            .values_list("municipality__code", flat=True)
        )
        assert len(not_yet) == 249
        first = plan_admin_client.get(url("round", YEAR), {"timeliness": "not_yet"})
        text, links = pager(first)
        assert "1 / 3 ページ（全 249 件）" in text
        following = links["次の 100 件"]
        assert "timeliness=not_yet" in following and "page=2" in following
        second = plan_admin_client.get(url("round", YEAR) + following)  # the link is the query string
        assert codes_on(second, "table.returns-table tbody tr") == not_yet[100:200]
        last = plan_admin_client.get(url("round", YEAR) + pager(second)[1]["次の 100 件"])
        assert codes_on(last, "table.returns-table tbody tr") == not_yet[200:]
        assert rows_of(select_one(last, "#round-figures"))[0][1] == "1/250"
        # After accepting from a later page, the secretariat comes back to that page.
        assert "page=3" in select_one(last, "input[name=next]").get("value")
        # The download still takes every row under the filters, whatever the page.
        export = plan_admin_client.get(url("round_export", YEAR), {"timeliness": "not_yet", "page": 3, "format": "csv"})
        assert export.status_code == 200
        assert export.content.decode("utf-8-sig").count("試験団体") == 188

    def test_the_matrix_in_pages_of_100_with_totals_over_all(self, plan_admin_client, plan_admin, big_round):
        by_region = [
            list(Municipality.objects.filter(region=region).order_by("code").values_list("code", flat=True))
            for region in Municipality.Region.values
        ]
        in_order = [code for codes in by_region for code in codes]
        first = plan_admin_client.get(url("round_matrix", YEAR))
        assert codes_on(first, "tr[id^=municipality-]") == in_order[:100]
        assert "1 / 3 ページ（全 250 件）" in pager(first)[0]
        last = plan_admin_client.get(url("round_matrix", YEAR), {"page": 3})
        assert codes_on(last, "tr[id^=municipality-]") == in_order[200:]
        assert text_of(select_one(last, ".print-filters")).endswith("（250団体のうち201〜250件目）")
        for response in (first, last):
            totals = {row[0]: row[1] for row in rows_of(select_one(response, "#matrix-totals"))}
            assert totals["受理された報告がある団体"] == "0/250"
        # A region cut by the page says so, and its 計 is still over the whole region.
        wards, tama = len(by_region[0]), len(by_region[1])
        headings = [text_of(heading) for heading in select(first, "main h2")]
        assert headings == ["合計", f"区部 {wards}団体", f"多摩 {tama}団体（このページに{100 - wards}団体）"]
        tama_total = text_of(select_one(section(first, headings[2]), "tfoot tr"))
        assert f"0/{tama}団体" in tama_total

    def test_tokyo_stays_on_one_page(self, plan_admin_client, round_):
        for name in ("round", "round_matrix"):
            response = plan_admin_client.get(url(name, YEAR))
            assert pager(response) is None
        assert len(select(plan_admin_client.get(url("round", YEAR)), "table.returns-table tbody tr")) == 62
        assert len(select(plan_admin_client.get(url("round_matrix", YEAR)), "tr[id^=municipality-]")) == 62


# --- references between the pages' elements ---------------------------------------------------------------


def dangling_references(response):
    """Ids that the page's labels, aria attributes and in-page links name but that are not on the
    page exactly once."""
    ids = [element.get("id") for element in select(response, "[id]")]
    named = [label.get("for") for label in select(response, "label[for]")]
    for attribute in ("aria-describedby", "aria-labelledby"):
        named += [target for element in select(response, f"[{attribute}]") for target in element.get(attribute).split()]
    named += [link.get("href")[1:] for link in select(response, 'a[href^="#"]') if len(link.get("href")) > 1]
    return sorted({target for target in named if ids.count(target) != 1})


class TestReferences:
    def test_the_pages_with_their_errors(self, plan_admin_client, with_last_year):
        pages = [
            plan_admin_client.post(url("rounds"), {"fiscal_year": 2026, "deadline": ""}),
            plan_admin_client.get(url("round", YEAR), {"state": "unknown"}),
            plan_admin_client.get(url("round_matrix", YEAR)),
            plan_admin_client.post(url("send_back", with_last_year.pk), {"comment": ""}),
            plan_admin_client.get(url("municipality", with_last_year.municipality.code)),
        ]
        for page in pages:
            assert page.status_code in (200, 400)
            assert dangling_references(page) == [], page.request["PATH_INFO"]
        assert select(pages[0], "#id_deadline_error") and select(pages[3], "#id_comment_error")
