"""The home dashboard, role by role: what each role finds there, and what it must not find.

The secretariat follows the year's progress, the return round, meetings and follow-ups; bureau
staff find their measures still to update, one click from each edit page; a municipal officer sees
their own municipality's return and nothing of another's; a viewer reads progress by goal and the
next committee meeting, with no way to change anything. No role finds a case review or a
provider's name there, and each role's home runs the same queries with 1 and with 5 years of data.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from municipalities import services as return_services
from plan.common.fiscal_year import FiscalYear, era_date
from plan.models import Measure, MeasureProgress, Plan
from plan.progress.services import plan_set_reporting_year, progress_update, progress_year_start
from tests.factories import Role, UserFactory, municipality
from tests.html import definition_of, link_targets, row_of, rows_of, section, select, select_one, text_of
from tests.meetings.factories import (
    FollowUpFactory,
    MeetingFactory,
    case_review,
    committee_meeting,
    provider,
    tier,
)
from tests.municipalities.factories import (
    AnnualReturnFactory,
    ReturnRoundFactory,
    accepted,
    open_round,
    return_of,
    submitted,
)
from tests.queries import count_queries

YEAR = 2025
GOOD = {"direction": "continue", "achievements": "実施した"}
HOME = "/"


@pytest.fixture
def plan(db):
    plan = Plan.objects.current()
    plan_set_reporting_year(plan=plan, fiscal_year=YEAR, user=None)
    return plan


@pytest.fixture
def year_started(plan):
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    return YEAR


def assess(user, number, assessment, year=YEAR):
    record = MeasureProgress.objects.get(measure__number=number, fiscal_year=year)
    progress_update(
        progress=record, expected_version=record.version, values=GOOD | {"assessment": assessment}, user=user
    )


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def days_from_today(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def edit_links(page):
    return [target for target in link_targets(page) if "/edit/" in target]


# --- who may open it -------------------------------------------------------------------------------


class TestWhoMayOpenIt:
    def test_anonymous_users_go_to_the_login_page(self, client, plan):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_an_account_without_a_role_is_refused(self, client, no_role, plan):
        client.force_login(no_role)
        assert client.get(reverse("home")).status_code == 403

    def test_every_role_has_the_plan_card(
        self, client, plan, plan_admin, bureau_staff, municipal_officer, viewer
    ):
        for user in (plan_admin, bureau_staff, municipal_officer, viewer):
            card = section(home(client, user), plan.name)
            assert "令和7年度（2025年度）" in text_of(definition_of(card, "報告対象年度"))


# --- the secretariat ---------------------------------------------------------------------------------


class TestSecretariat:
    def test_measures_by_assessment_for_the_reporting_year(self, client, plan_admin, year_started):
        assess(plan_admin, 1, "on_track")
        assess(plan_admin, 2, "on_track")
        assess(plan_admin, 86, "delayed")
        card = section(home(client, plan_admin), "施策の進捗状況 令和7年度（2025年度）")
        table = select_one(card, "table")
        assert rows_of(table)[0] == ["対象", "順調", "概ね順調", "遅れ", "未着手", "完了", "未入力", "施策数"]
        assert row_of(table, "全施策") == ["全施策", "2", "0", "1", "0", "0", "117", "120"]
        assert "/plan/progress/?year=2025&assessment=on_track" in link_targets(table)
        assert "所管局がまだ記入していない施策（未更新）は 117 件 です。" in text_of(card)
        assert "/plan/progress/?year=2025&not_updated=1" in link_targets(card)

    def test_a_reporting_year_not_started_is_all_not_entered(self, client, plan_admin, plan):
        card = section(home(client, plan_admin), "施策の進捗状況 令和7年度（2025年度）")
        assert row_of(select_one(card, "table"), "全施策")[-2:] == ["120", "120"]
        assert "年度が開始されていません" in text_of(card)
        assert reverse("plan:progress_years") in link_targets(card)

    def test_the_open_rounds_progress(self, client, plan_admin, municipal_officer, other_officer, plan):
        round_ = open_round(YEAR, user=plan_admin)
        submitted(return_of(round_, "新宿区"), municipal_officer)
        sent_back = submitted(return_of(round_, "八王子市"), other_officer)
        return_services.annual_return_send_back(
            annual_return=sent_back, comment="確認してください。", user=plan_admin
        )
        minato = UserFactory(role=Role.MUNICIPAL_OFFICER, municipality=municipality("港区"))
        accepted(return_of(round_, "港区"), minato, plan_admin)
        card = section(home(client, plan_admin), "区市町村の年次報告の受付状況")
        assert text_of(definition_of(card, "提出期限")) == era_date(round_.deadline, western=True)
        assert text_of(definition_of(card, "提出済み（確認待ち）")) == "1 団体"
        assert text_of(definition_of(card, "差戻し")) == "1 団体"
        assert text_of(definition_of(card, "受理")) == "1 団体"
        assert text_of(definition_of(card, "未提出")) == "59 団体"
        assert link_targets(card, "受付状況の詳細") == [reverse("municipalities:review_round", args=[YEAR])]
        # Figures, never the municipalities' comments or names.
        assert "確認してください。" not in text_of(card) and "八王子市" not in text_of(card)

    def test_a_closed_round_is_not_followed_here(self, client, plan_admin, plan):
        round_ = open_round(YEAR, user=plan_admin)
        return_services.return_round_close(round=round_, user=plan_admin)
        card = section(home(client, plan_admin), "区市町村の年次報告の受付状況")
        assert "現在、受付中の年次報告はありません。" in text_of(card)
        assert reverse("municipalities:review_rounds") in link_targets(card)

    def test_meetings_in_the_next_30_days_with_body_and_tier(self, client, plan_admin, plan):
        soon = MeetingFactory(
            status=Meeting.Status.PLANNED, date=days_from_today(10), title="第2回 実務者会議"
        )
        committee_meeting(status=Meeting.Status.PLANNED, date=days_from_today(3), title="第1回 推進委員会")
        MeetingFactory(status=Meeting.Status.PLANNED, date=days_from_today(45), title="先の会議")
        MeetingFactory(date=days_from_today(-5), title="終わった会議")
        card = section(home(client, plan_admin), "会議と対応事項")
        rows = rows_of(select_one(card, "table"))
        assert [row[3] for row in rows[1:]] == ["第1回 推進委員会", "第2回 実務者会議"]
        assert rows[2][0] == era_date(soon.date, western=True)
        assert rows[2][2] == f"{soon.body.short_name} {tier('practitioners').name}"
        assert soon.get_absolute_url() in link_targets(card)
        assert "先の会議" not in text_of(card) and "終わった会議" not in text_of(card)

    def test_overdue_follow_ups_are_counted_with_a_link_to_the_list(self, client, plan_admin, plan):
        FollowUpFactory(due_date=days_from_today(-1), description="遅れている対応")
        FollowUpFactory(due_date=days_from_today(-30))
        FollowUpFactory(due_date=days_from_today(-3), done=True)
        FollowUpFactory(due_date=days_from_today(7))
        FollowUpFactory(due_date=None)
        card = section(home(client, plan_admin), "会議と対応事項")
        assert "期限を過ぎて完了していない対応事項が 2 件 あります。" in text_of(card)
        assert "遅れている対応" not in text_of(card)  # a count, not the follow-ups themselves
        assert reverse("meetings:follow_up_list") in link_targets(card)

    def test_headings_still_to_confirm(self, client, plan_admin, plan):
        count = Measure.objects.filter(heading_inferred=True, heading_reviewed_at__isnull=True).count()
        card = section(home(client, plan_admin), "確認が必要な事項")
        assert f"推定した事項が {count} 件 未確認です。" in text_of(card)
        assert reverse("plan:inferred_headings") in link_targets(card)

    def test_no_case_review_and_no_other_roles_parts(self, client, plan_admin, year_started):
        case_review(case_code="C-SECRET-1")
        page = home(client, plan_admin)
        assert "C-SECRET-1" not in page.content.decode()
        assert reverse("meetings:case_review_list") not in link_targets(page)
        assert not select(page, 'section[aria-labelledby="officer-returns-heading"]')
        assert not select(page, 'section[aria-labelledby="bureau-heading"]')


# --- bureau staff ------------------------------------------------------------------------------------


def dashboard_numbers(page):
    return [
        int(text_of(row.elements[0]))
        for row in select(page, 'section[aria-labelledby="bureau-heading"] tbody tr')
    ]


def listed_numbers(client, **params):
    """The numbers the progress list shows (originals, not re-listings) for these filters."""
    page = client.get(reverse("plan:progress_list"), params)
    return [
        int(text_of(select(row, "td.col-number > a")[0]))
        for row in select(page, "table.progress-table > tbody > tr")
        if "relisted" not in row.classes
    ]


class TestBureauStaff:
    def test_their_measures_to_update_are_those_of_the_filtered_list(
        self, client, bureau_staff, year_started
    ):
        page = home(client, bureau_staff)
        numbers = dashboard_numbers(page)
        assert 86 in numbers  # the center's DX: 福祉局's
        assert 112 not in numbers  # crime-prevention leaflets: 警視庁's
        assert numbers == listed_numbers(client, year=YEAR, mine=1, not_updated=1)
        card = section(page, "所管の施策の進捗 令和7年度（2025年度）")
        assert f"{len(numbers)} 件がまだ更新されていません。" in text_of(card)
        assert "/plan/progress/?year=2025&mine=1&not_updated=1" in link_targets(card)

    def test_each_link_opens_the_measures_edit_page(self, client, bureau_staff, year_started):
        page = home(client, bureau_staff)
        links = edit_links(page)
        assert links and len(links) == len(dashboard_numbers(page))
        assert f"{reverse('plan:progress_edit', args=[YEAR, 86])}?next=/" in links
        for link in links:
            assert client.get(link).status_code == 200

    def test_a_measure_once_updated_leaves_the_list(self, client, bureau_staff, year_started):
        before = dashboard_numbers(home(client, bureau_staff))
        assess(bureau_staff, 86, "on_track")
        after = dashboard_numbers(home(client, bureau_staff))
        assert 86 not in after and len(after) == len(before) - 1

    def test_all_updated(self, client, bureau_staff, year_started):
        for number in dashboard_numbers(home(client, bureau_staff)):
            assess(bureau_staff, number, "on_track")
        card = section(home(client, bureau_staff), "所管の施策の進捗 令和7年度（2025年度）")
        assert "すべて更新済みです。" in text_of(card) and not edit_links(card)

    def test_a_year_not_started(self, client, bureau_staff, plan):
        card = section(home(client, bureau_staff), "所管の施策の進捗 令和7年度（2025年度）")
        assert "進捗の記録はまだありません" in text_of(card) and not edit_links(card)

    def test_another_bureaus_staff_see_their_own(self, client, year_started):
        from plan.models import Department

        police = UserFactory(
            role=Role.BUREAU_STAFF, departments=[Department.objects.get(name="警視庁", parent=None)]
        )
        numbers = dashboard_numbers(home(client, police))
        assert 112 in numbers and 86 not in numbers

    def test_no_secretariat_parts_and_no_case_review(self, client, case_handler, year_started):
        case_review(case_code="C-SECRET-2")
        page = home(client, case_handler)
        assert "C-SECRET-2" not in page.content.decode()
        assert not select(page, 'section[aria-labelledby="dashboard-rounds-heading"]')
        assert not select(page, 'section[aria-labelledby="review-heading"]')


# --- municipal officers ------------------------------------------------------------------------------


class TestMunicipalOfficer:
    def test_their_return_and_their_municipalitys_page(self, client, municipal_officer, plan_admin, plan):
        round_ = open_round(YEAR, user=plan_admin)
        card = section(home(client, municipal_officer), "取組状況の報告")
        assert "令和7年度（2025年度）の報告" in text_of(card)
        assert text_of(definition_of(card, "提出期限")) == era_date(round_.deadline, western=True)
        assert reverse("municipalities:officer_returns") in link_targets(card)
        code = municipality("新宿区").code
        shared = f"{reverse('municipalities:shared_status_latest')}#municipality-{code}"
        assert link_targets(card, "新宿区の計画・支援調整会議の状況（区市町村の取組状況）") == [shared]
        status_page = client.get(reverse("municipalities:shared_status_latest"), follow=True)
        assert select(status_page, f"#municipality-{code}")

    def test_the_secretariats_comment(self, client, municipal_officer, plan_admin, plan):
        round_ = open_round(YEAR, user=plan_admin)
        returned = submitted(return_of(round_, "新宿区"), municipal_officer)
        return_services.annual_return_send_back(
            annual_return=returned, comment="人数を確認してください。", user=plan_admin
        )
        card = section(home(client, municipal_officer), "取組状況の報告")
        assert "人数を確認してください。" in text_of(definition_of(card, "事務局からのコメント"))

    def test_nothing_of_another_municipality(
        self, client, municipal_officer, other_officer, plan_admin, year_started
    ):
        round_ = open_round(YEAR, user=plan_admin)
        theirs = submitted(return_of(round_, "八王子市"), other_officer, requests_to_metro="八王子の要望")
        return_services.annual_return_send_back(
            annual_return=theirs, comment="八王子への差戻し", user=plan_admin
        )
        page = home(client, municipal_officer)
        text = text_of(page)
        assert "八王子" not in text
        assert reverse("municipalities:officer_return", args=[theirs.pk]) not in link_targets(page)
        assert link_targets(page, "報告を入力する") == [
            reverse("municipalities:officer_return", args=[return_of(round_, "新宿区").pk])
        ]

    def test_no_other_roles_parts(self, client, municipal_officer, year_started):
        case_review(case_code="C-SECRET-3")
        page = home(client, municipal_officer)
        assert "C-SECRET-3" not in page.content.decode()
        assert not edit_links(page)
        for heading in (
            "dashboard-rounds-heading",
            "dashboard-meetings-heading",
            "bureau-heading",
            "review-heading",
        ):
            assert not select(page, f'section[aria-labelledby="{heading}"]')


# --- viewers -----------------------------------------------------------------------------------------


class TestViewer:
    def test_the_plans_progress_by_goal(self, client, viewer, plan_admin, year_started):
        assess(plan_admin, 1, "on_track")
        assess(plan_admin, 2, "completed")
        assess(plan_admin, 86, "delayed")
        card = section(home(client, viewer), "基本目標ごとの進捗状況 令和7年度（2025年度）")
        rows = rows_of(select_one(card, "table"))
        assert rows[0] == ["基本目標", "順調", "概ね順調", "遅れ", "未着手", "完了", "未入力", "施策数"]
        goals = [row for row in rows[1:-1]]
        assert [row[0].split()[0] for row in goals] == [f"基本目標{n}" for n in range(1, 6)]
        assert goals[0][1] == "1" and goals[0][5] == "1"
        assert sum(int(row[-1]) for row in goals) == 120
        assert rows[-1] == ["合計", "1", "0", "1", "0", "1", "117", "120"]
        assert "/plan/progress/?year=2025&goal=1&assessment=on_track" in link_targets(card)

    def test_no_edit_links_and_no_secretariat_parts(self, client, viewer, year_started):
        FollowUpFactory(due_date=days_from_today(-1))
        page = home(client, viewer)
        assert not edit_links(page)
        assert not [
            target
            for target in link_targets(page)
            if target.startswith("/returns/") and "shared" not in target
        ]
        for heading in (
            "dashboard-rounds-heading",
            "dashboard-meetings-heading",
            "bureau-heading",
            "review-heading",
        ):
            assert not select(page, f'section[aria-labelledby="{heading}"]')
        assert "対応事項" not in text_of(page)

    def test_the_next_committee_meeting_and_nothing_confidential(self, client, viewer, plan):
        provider("シェルターすみれ")
        MeetingFactory(status=Meeting.Status.PLANNED, date=days_from_today(2), title="実務者会議（先）")
        later = committee_meeting(
            status=Meeting.Status.PLANNED, date=days_from_today(90), title="第2回 推進委員会"
        )
        nearest = committee_meeting(
            status=Meeting.Status.PLANNED,
            date=days_from_today(20),
            title="第1回 推進委員会 シェルターすみれの報告",
            place="秘密の会場",
            minutes="非公開の議事",
        )
        committee_meeting(date=days_from_today(-10), title="前回の推進委員会")
        card = section(home(client, viewer), "次回の推進委員会")
        text = text_of(card)
        assert text_of(definition_of(card, "開催日")) == era_date(nearest.date, western=True)
        assert "第1回 推進委員会 一時保護委託先（非公開）の報告" in text
        assert "シェルターすみれ" not in home(client, viewer).content.decode()
        assert "秘密の会場" not in text and "非公開の議事" not in text
        assert later.title not in text and "前回" not in text and "実務者会議（先）" not in text
        assert link_targets(card, "第1回 推進委員会 一時保護委託先（非公開）の報告") == [
            nearest.get_absolute_url()
        ]

    def test_no_committee_meeting_planned(self, client, viewer, plan):
        assert "予定されている推進委員会はありません。" in text_of(
            section(home(client, viewer), "次回の推進委員会")
        )

    def test_no_case_review(self, client, viewer, plan):
        case_review(case_code="C-SECRET-4")
        assert "C-SECRET-4" not in home(client, viewer).content.decode()


# --- the same queries with 1 and with 5 fiscal years of data -----------------------------------------


# --- indicators (secretariat and viewers) -----------------------------------------------------------------


class TestIndicators:
    def indicator_rows(self, page):
        table = select_one(section(page, "指標の状況 令和7年度（2025年度）"), "table")
        return {row[0]: row[1:] for row in rows_of(table)[1:]}

    @pytest.mark.parametrize("role", ["plan_admin", "viewer"])
    def test_the_six_for_the_reporting_year_with_no_data_and_no_target_said_so(self, role, request, client, plan):
        rows = self.indicator_rows(home(client, request.getfixturevalue(role)))
        assert len(rows) == 6
        assert all(row[1] == "未設定" for row in rows.values())  # no target in the sources
        # No case review in the year: no data, never 0 ％.
        first = next(value for name, value in rows.items() if name.startswith("①"))
        assert first[0].startswith("データなし")

    def test_a_figure_from_the_system_with_its_link_to_the_drill_down(
        self, client, viewer, plan, plan_admin, municipal_officer
    ):
        round_ = ReturnRoundFactory(fiscal_year=YEAR, opened_by=plan_admin)
        accepted(AnnualReturnFactory(round=round_, municipality=municipality("新宿区")), municipal_officer, plan_admin)
        page = home(client, viewer)
        rows = self.indicator_rows(page)
        fifth = next(value for name, value in rows.items() if name.startswith("⑤"))
        assert fifth[0].startswith("1 区市町村")
        assert f"{reverse('indicators:detail', args=[5])}?year={YEAR}" in link_targets(page)

    @pytest.mark.parametrize("role", ["bureau_staff", "municipal_officer"])
    def test_not_on_the_other_roles_home(self, role, request, client, plan):
        page = home(client, request.getfixturevalue(role))
        assert not select(page, 'section[aria-labelledby="dashboard-indicators-heading"]')


def add_year_of_data(plan, year, admin, officer):
    """A fiscal year's worth: progress records (some assessed), a round with the officer's return
    sent back, meetings held and planned, follow-ups (one overdue) and a case review."""
    progress_year_start(plan=plan, fiscal_year=year, user=None)
    for number, assessment in ((1, "on_track"), (86, "delayed")):
        assess(admin, number, assessment, year=year)
    round_ = ReturnRoundFactory(fiscal_year=year, opened_by=admin)
    annual_return = AnnualReturnFactory(round=round_, municipality=municipality("新宿区"))
    returned = submitted(annual_return, officer)
    return_services.annual_return_send_back(annual_return=returned, comment=f"{year}年度の確認", user=admin)
    AnnualReturnFactory(round=round_, municipality=municipality("八王子市"))
    held = MeetingFactory(date=FiscalYear(year).start + datetime.timedelta(days=100))
    FollowUpFactory(meeting=held, due_date=days_from_today(-(year - 2020)))
    offset = year - 2020
    MeetingFactory(status=Meeting.Status.PLANNED, date=days_from_today(offset))
    committee_meeting(status=Meeting.Status.PLANNED, date=days_from_today(offset + 1))
    case_review(date=FiscalYear(year).start + datetime.timedelta(days=30))


@pytest.mark.parametrize("role", ["plan_admin", "bureau_staff", "municipal_officer", "viewer"])
def test_each_roles_home_runs_the_same_queries_with_1_and_5_years(
    role, request, client, plan, plan_admin, municipal_officer, django_assert_max_num_queries
):
    user = request.getfixturevalue(role)
    provider("シェルターすみれ")
    add_year_of_data(plan, YEAR, plan_admin, municipal_officer)
    client.force_login(user)
    one_year = count_queries(client, HOME, django_assert_max_num_queries, 40)
    for year in (2024, 2026, 2027, 2028):
        add_year_of_data(plan, year, plan_admin, municipal_officer)
    assert count_queries(client, HOME, django_assert_max_num_queries, one_year) == one_year


# --- markup ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["plan_admin", "bureau_staff", "municipal_officer", "viewer"])
def test_headings_in_order_and_every_reference_found(role, request, client, plan, plan_admin, year_started):
    from tests.test_aria_references import broken_references

    user = request.getfixturevalue(role)
    open_round(YEAR, user=plan_admin)
    MeetingFactory(status=Meeting.Status.PLANNED, date=days_from_today(5))
    committee_meeting(status=Meeting.Status.PLANNED, date=days_from_today(6))
    page = home(client, user)
    assert broken_references(page) == []
    levels = [int(heading.tag[1]) for heading in select(select_one(page, "main"), "h1, h2, h3, h4, h5, h6")]
    assert levels[0] == 1 and all(
        later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False)
    )
    for table in select(page, "main table"):
        assert select(table, "caption") and not [
            cell for cell in select(table, "th") if not cell.get("scope")
        ]
