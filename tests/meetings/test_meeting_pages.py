"""What people read: the list by year, body and tier, the year by month, a meeting, follow-ups,
the bodies, and the counts of meetings."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Meeting
from tests.html import (
    link_targets,
    row_of,
    rows_of,
    section,
    select,
    select_one,
    source_of,
    text_of,
    texts_of,
)
from tests.meetings.factories import (
    CommitteeMemberFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganizationFactory,
    case_review,
    committee,
    committee_meeting,
    council,
    tier,
)


def list_page(client, **params):
    return client.get(reverse("meetings:meeting_list"), params)


class TestMeetingList:
    def test_it_shows_the_chosen_years_meetings_in_date_order(self, client, viewer):
        MeetingFactory(title="十月の実務者会議", date=datetime.date(2025, 10, 15))
        committee_meeting(title="七月の推進委員会", date=datetime.date(2025, 7, 30))
        MeetingFactory(title="前年度の会議", date=datetime.date(2025, 3, 31))
        client.force_login(viewer)
        response = list_page(client, year=2025)
        titles = [row[2] for row in rows_of(select_one(response, "table.meetings"))[1:]]
        assert titles == ["七月の推進委員会", "十月の実務者会議"]
        assert "前年度の会議" not in text_of(response)
        assert "令和7年度（2025年度）の会議 2 件" in texts_of(response, "h2")

    def test_it_defaults_to_the_reporting_year(self, client, viewer):
        from plan.models import Plan

        plan = Plan.objects.current()
        year = plan.current_reporting_year()
        MeetingFactory(title="報告対象年度の会議", date=year.start)
        MeetingFactory(title="その前の年度の会議", date=year.start - datetime.timedelta(days=1))
        client.force_login(viewer)
        page = text_of(list_page(client))
        assert "報告対象年度の会議" in page
        assert "その前の年度の会議" not in page

    def test_it_filters_by_body_and_tier(self, client, viewer):
        committee_meeting(title="推進委員会の会議")
        MeetingFactory(title="代表者会議の会議", tier=tier("representatives"))
        MeetingFactory(title="実務者会議の会議", tier=tier("practitioners"))
        client.force_login(viewer)
        assert "推進委員会の会議" in text_of(list_page(client, year=2025, body=committee().pk))
        assert "代表者会議の会議" not in text_of(list_page(client, year=2025, body=committee().pk))
        page = text_of(list_page(client, year=2025, tier=tier("representatives").pk))
        assert "代表者会議の会議" in page
        assert "実務者会議の会議" not in page and "推進委員会の会議" not in page

    def test_planned_and_held_are_both_shown_and_labelled(self, client, viewer):
        MeetingFactory(title="開催した会議", status=Meeting.Status.HELD)
        # Planned for a day now past: waiting for its record (記録待ち), not 予定.
        MeetingFactory(title="予定の会議", status=Meeting.Status.PLANNED, date=datetime.date(2026, 2, 10))
        client.force_login(viewer)
        rows = select(list_page(client, year=2025), "table.meetings > tbody > tr")
        status_of = {text_of(select(row, "td")[2]): select(row, "td")[3] for row in rows}  # title: status cell
        assert texts_of(status_of["開催した会議"], ".badge.badge-held") == ["開催済み"]
        assert texts_of(status_of["予定の会議"], ".badge.badge-awaiting") == ["記録待ち"]
        held_only = text_of(list_page(client, year=2025, status="held"))
        assert "開催した会議" in held_only and "予定の会議" not in held_only

    def test_case_reviews_are_counted_for_everyone_but_never_listed(self, client, municipal_officer):
        case_review(case_code="C-SECRET-1", date=datetime.date(2025, 5, 1))
        case_review(
            case_code="C-SECRET-2",
            date=datetime.date(2025, 6, 1),
            woman_attended=False,
            absence_reason="health",
        )
        client.force_login(municipal_officer)
        response = list_page(client, year=2025)
        assert texts_of(section(response, "個別ケース検討会議（ケース検討会）"), "strong") == ["2 件"]
        assert "C-SECRET" not in source_of(response)
        assert reverse("meetings:case_review_list") not in link_targets(response)

    def test_it_is_paginated(self, client, viewer):
        Meeting.objects.bulk_create(
            [
                Meeting(
                    body=council(),
                    tier=tier("practitioners"),
                    title=f"会議{n:03d}",
                    date=datetime.date(2025, 5, 1) + datetime.timedelta(days=n % 300),
                    place="会場",
                )
                for n in range(60)
            ]
        )
        client.force_login(viewer)
        response = list_page(client, year=2025)
        assert len(select(response, "table.meetings td.col-date")) == 50
        assert "1 / 2 ページ（全 60 件）" in text_of(response)
        assert len(select(list_page(client, year=2025, page=2), "table.meetings td.col-date")) == 10

    def test_it_runs_the_same_number_of_queries_with_20_and_2000_meetings(
        self, client, viewer, django_assert_max_num_queries
    ):
        organizations = [OrganizationFactory() for _ in range(3)]

        def add_meetings(count):
            meetings = Meeting.objects.bulk_create(
                [
                    Meeting(
                        body=council(),
                        tier=tier("practitioners" if n % 2 else "representatives"),
                        title=f"会議{n}",
                        date=datetime.date(2025, 4, 1) + datetime.timedelta(days=n % 365),
                        place="会場",
                    )
                    for n in range(count)
                ]
            )
            through = Meeting.attending_organizations.through
            through.objects.bulk_create(
                [through(meeting_id=m.pk, organization_id=o.pk) for m in meetings for o in organizations]
            )

        client.force_login(viewer)
        add_meetings(20)
        list_page(client, year=2025)  # warm the session
        with django_assert_max_num_queries(15) as small:
            client.get(reverse("meetings:meeting_list"), {"year": 2025})
        add_meetings(1980)
        assert Meeting.objects.count() == 2000
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(reverse("meetings:meeting_list"), {"year": 2025})
        assert "全 2000 件" in text_of(response)


class TestCalendar:
    """One month at a time (issue 13); more in tests/meetings/test_meeting_calendar.py."""

    def test_the_year_runs_april_to_march_with_each_meeting_in_its_month(self, client, viewer):
        committee_meeting(title="推進委員会 第1回", date=datetime.date(2025, 7, 30))
        committee_meeting(title="推進委員会 第2回", date=datetime.date(2026, 2, 5), status="planned")
        case_review(date=datetime.date(2025, 11, 4))
        client.force_login(viewer)
        response = client.get(reverse("meetings:meeting_calendar"), {"year": 2025})
        months = [f"{m}月" for m in (*range(4, 13), 1, 2, 3)]
        assert [text.split("（")[0] for text in texts_of(response, ".calendar-year a")] == months
        assert "推進委員会 第1回" in text_of(select_one(response, "section.calendar-month"))
        february = client.get(reverse("meetings:meeting_calendar"), {"month": "2026-02"})
        assert "推進委員会 第2回" in text_of(select_one(february, "section.calendar-month"))
        november = client.get(reverse("meetings:meeting_calendar"), {"month": "2025-11"})
        assert "個別ケース検討会議 1 件" in text_of(select_one(november, "section.calendar-month"))


class TestMeetingPage:
    def test_it_shows_the_meeting_in_full_to_the_bureau(self, client, bureau_staff):
        meeting = MeetingFactory(
            title="第2回 実務者会議",
            start_time=datetime.time(14),
            end_time=datetime.time(16),
            attendee_count=18,
            minutes="退所先について意見交換",
            decisions="事例を共有する",
        )
        meeting.attending_organizations.add(OrganizationFactory(name="NPO法人ぱっぷす"))
        item = AgendaItem.objects.create(meeting=meeting, title="一時保護からの退所", position=1)
        from plan.models import Measure

        item.measures.add(Measure.objects.get(number=9))
        FollowUpFactory(meeting=meeting, description="事例を集める", due_date=datetime.date(2026, 1, 31))
        client.force_login(bureau_staff)
        response = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
        page = text_of(response)
        assert "2025年10月15日（水） 14:00〜16:00" in page
        assert "支援調整会議 実務者会議（担当者会）" in page
        council_page = reverse("meetings:body_detail", args=["support-coordination-council"])
        assert council_page in link_targets(response, "支援調整会議")
        assert "一時保護からの退所" in page and "/plan/measures/9/" in link_targets(response, "No.9")
        assert "NPO法人ぱっぷす" in page
        assert "18 人" in page
        assert "退所先について意見交換" in page and "事例を共有する" in page and "事例を集める" in page

    def test_a_closed_meetings_minutes_are_not_shown_to_municipal_officers(self, client, municipal_officer):
        meeting = committee_meeting(title="推進委員会", minutes="非公開の議事内容", decisions="非公開の決定")
        FollowUpFactory(meeting=meeting, description="非公開の対応事項")
        client.force_login(municipal_officer)
        response = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
        assert "推進委員会" in text_of(response)
        assert "非公開の会議のため、議事録・決定事項・対応事項は閲覧できません。" in text_of(response)
        for secret in ("非公開の議事内容", "非公開の決定", "非公開の対応事項"):
            assert secret not in source_of(response)

    def test_an_open_meetings_minutes_are_shown_to_municipal_officers(self, client, municipal_officer):
        meeting = MeetingFactory(openness=Meeting.Openness.OPEN, minutes="公開の議事内容")
        client.force_login(municipal_officer)
        assert "公開の議事内容" in text_of(client.get(reverse("meetings:meeting_detail", args=[meeting.pk])))

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "plan_admin"])
    def test_committee_members_bureau_and_secretariat_read_closed_minutes(self, client, db, role, request):
        meeting = committee_meeting(minutes="非公開の議事内容")
        client.force_login(request.getfixturevalue(role))
        assert "非公開の議事内容" in text_of(
            client.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
        )

    def test_only_the_secretariat_gets_an_edit_link(self, client, viewer, plan_admin):
        meeting = MeetingFactory()
        edit = reverse("meetings:meeting_edit", args=[meeting.pk])
        client.force_login(viewer)
        assert edit not in link_targets(client.get(meeting.get_absolute_url()))
        client.force_login(plan_admin)
        assert edit in link_targets(client.get(meeting.get_absolute_url()))

    def test_a_planned_meeting_past_its_date_is_flagged(self, client, plan_admin):
        meeting = MeetingFactory(status=Meeting.Status.PLANNED, date=datetime.date(2025, 5, 1))
        client.force_login(plan_admin)
        assert "開催日を過ぎていますが、状態が「予定」のままです。" in text_of(
            client.get(meeting.get_absolute_url())
        )


class TestFollowUps:
    def test_open_follow_ups_overdue_first_then_by_due_date(self, client, viewer):
        today = datetime.date.today()
        FollowUpFactory(description="期限なし")
        FollowUpFactory(description="来月まで", due_date=today + datetime.timedelta(days=30))
        FollowUpFactory(description="先月まで", due_date=today - datetime.timedelta(days=30))
        FollowUpFactory(description="完了済み", due_date=today - datetime.timedelta(days=60), done=True)
        FollowUpFactory(description="来週まで", due_date=today + datetime.timedelta(days=7))
        client.force_login(viewer)
        response = client.get(reverse("meetings:follow_up_list"))
        descriptions = [row[1] for row in rows_of(select_one(response, "table.follow-ups"))[1:]]
        assert descriptions == ["先月まで", "来週まで", "来月まで", "期限なし"]  # 完了済み is not listed
        assert texts_of(response, ".badge-overdue") == ["期限超過"]

    def test_municipal_officers_do_not_see_closed_meetings_follow_ups(self, client, municipal_officer):
        FollowUpFactory(description="非公開会議の対応", meeting=committee_meeting())
        FollowUpFactory(description="公開会議の対応", meeting=MeetingFactory(openness=Meeting.Openness.OPEN))
        client.force_login(municipal_officer)
        response = client.get(reverse("meetings:follow_up_list"))
        assert "公開会議の対応" in text_of(response)
        assert "非公開会議の対応" not in source_of(response)

    def test_the_secretariat_closes_a_follow_up(self, client, plan_admin):
        follow_up = FollowUpFactory(description="事例を集める")
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:follow_up_done", args=[follow_up.pk]),
            {"next": reverse("meetings:follow_up_list")},
        )
        assert response.status_code == 302
        follow_up.refresh_from_db()
        assert follow_up.done and follow_up.done_at
        still_open = texts_of(client.get(reverse("meetings:follow_up_list")), "table.follow-ups")
        assert "事例を集める" not in " ".join(still_open)

    def test_closing_does_not_redirect_to_another_site(self, client, plan_admin):
        follow_up = FollowUpFactory()
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:follow_up_done", args=[follow_up.pk]), {"next": "https://evil.example/"}
        )
        assert response["Location"] == reverse("meetings:follow_up_list")


class TestBodyPages:
    def test_the_council_page_shows_its_legal_basis_and_three_tiers(self, client, municipal_officer):
        client.force_login(municipal_officer)
        page = text_of(client.get(reverse("meetings:body_detail", args=["support-coordination-council"])))
        assert "困難な問題を抱える女性への支援に関する法律第15条第1項" in page
        assert "東京都若年被害女性等支援事業連携会議" in page
        for name in ("代表者会議", "課長会", "実務者会議", "担当者会", "個別ケース検討会議", "ケース検討会"):
            assert name in page
        assert "守秘義務" in page

    def test_the_committee_page_lists_current_members_and_keeps_past_ones_apart(self, client, viewer):
        CommitteeMemberFactory(name="山田 花子", affiliation="○○大学 教授", title="委員長")
        CommitteeMemberFactory(
            name="佐藤 次郎", term_start=datetime.date(2022, 7, 1), term_end=datetime.date(2024, 6, 30)
        )
        client.force_login(viewer)
        response = client.get(reverse("meetings:body_detail", args=["promotion-committee"]))
        page = text_of(response)
        assert "設置要綱" in page
        assert row_of(select_one(response, "table.members"), "山田 花子")[:3] == ["山田 花子", "○○大学 教授", "委員長"]
        assert "現任 1 名" in page
        assert "任期を終えた委員（1 名）" in page

    def test_an_unknown_body_is_404(self, client, viewer):
        client.force_login(viewer)
        assert client.get(reverse("meetings:body_detail", args=["no-such-body"])).status_code == 404
