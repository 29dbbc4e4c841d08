"""A meeting's date must fall in the plan's period with a year's margin (1900 or 2099 is a typing
slip), and a planned meeting whose date has passed shows 「記録待ち」 — on the list, in its filter
and on the secretariat's dashboard — rather than staying 「予定」."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from plan.models import Plan
from tests.html import field_errors, link_targets, rows_of, section, select, select_one, text_of
from tests.meetings.factories import MeetingFactory
from tests.meetings.helpers import meeting_post
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

RANGE_MESSAGE = (
    "開催日は令和5年（2023年）4月1日から令和12年（2030年）3月31日までの日付で入力してください"
    "（計画期間の前後1年まで）。"
)


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


class TestDateRange:
    def test_the_range_is_the_plans_period_with_a_years_margin(self):
        plan = Plan.objects.current()
        assert (plan.start_fiscal_year, plan.end_fiscal_year) == (2024, 2028)
        assert Meeting.date_range(today=datetime.date(2026, 11, 29)) == (
            datetime.date(2023, 4, 1),
            datetime.date(2030, 3, 31),
        )

    def test_after_the_plan_has_ended_the_current_year_is_allowed(self):
        assert Meeting.date_range(today=datetime.date(2031, 5, 1))[1] == datetime.date(2033, 3, 31)

    @pytest.mark.parametrize("typed", ["1900-10-15", "2099-10-15", "2023-03-31", "2030-04-01"])
    def test_a_date_outside_is_refused_beside_the_date(self, client, plan_admin, typed):
        client.force_login(plan_admin)
        response = client.post(reverse("meetings:meeting_create"), meeting_post(date=typed, status="planned"))
        assert response.status_code == 200
        assert field_errors(response, "date") == [RANGE_MESSAGE]
        assert "id_date_error" in select_one(response, "#id_date").get("aria-describedby")
        assert not Meeting.objects.exists()

    @pytest.mark.parametrize("typed", ["2023-04-01", "2025-10-15"])
    def test_a_date_inside_is_kept(self, client, plan_admin, typed):
        client.force_login(plan_admin)
        response = client.post(reverse("meetings:meeting_create"), meeting_post(date=typed))
        assert response.status_code == 302
        assert Meeting.objects.get().date == datetime.date.fromisoformat(typed)

    def test_editing_to_1900_is_refused_and_nothing_changes(self, client, plan_admin):
        meeting = MeetingFactory(date=datetime.date(2025, 10, 15))
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:meeting_edit", args=[meeting.pk]), meeting_post(date="1900-10-15")
        )
        assert field_errors(response, "date") == [RANGE_MESSAGE]
        meeting.refresh_from_db()
        assert meeting.date == datetime.date(2025, 10, 15)


class TestAwaitingRecord:
    def test_the_property(self):
        assert MeetingFactory.build(status="planned", date=days_ago(1)).status_shown == "記録待ち"
        assert MeetingFactory.build(status="planned", date=timezone.localdate()).status_shown == "予定"
        assert MeetingFactory.build(status="held", date=days_ago(1)).status_shown == "開催済み"

    def test_the_list_shows_it(self, client, viewer):
        MeetingFactory(title="過ぎた予定の会議", status="planned", date=days_ago(3))
        MeetingFactory(
            title="これからの会議", status="planned", date=timezone.localdate() + datetime.timedelta(days=3)
        )
        MeetingFactory(title="開催した会議", status="held", date=days_ago(10))
        client.force_login(viewer)
        response = client.get(reverse("meetings:meeting_list"), {"year": "all"})
        statuses = {row[2]: row[3] for row in rows_of(select_one(response, "table.meetings"))[1:]}
        assert statuses == {
            "過ぎた予定の会議": "記録待ち",
            "これからの会議": "予定",
            "開催した会議": "開催済み",
        }

    def test_the_list_filters_by_it(self, client, viewer):
        MeetingFactory(title="過ぎた予定の会議", status="planned", date=days_ago(3))
        MeetingFactory(
            title="これからの会議", status="planned", date=timezone.localdate() + datetime.timedelta(days=3)
        )
        MeetingFactory(title="開催した会議", status="held", date=days_ago(10))
        client.force_login(viewer)

        def titles(status):
            response = client.get(reverse("meetings:meeting_list"), {"year": "all", "status": status})
            return [row[2] for row in rows_of(select_one(response, "table.meetings"))[1:]]

        assert titles("awaiting") == ["過ぎた予定の会議"]
        assert titles("planned") == ["これからの会議"]
        assert titles("held") == ["開催した会議"]
        page = client.get(reverse("meetings:meeting_list"))
        assert text_of(select_one(page, 'select[name="status"] option[value="awaiting"]')) == "記録待ち"

    def test_the_list_runs_the_same_queries_whatever_the_rows(
        self, client, viewer, django_assert_max_num_queries
    ):
        MeetingFactory(status="planned", date=days_ago(3))
        client.force_login(viewer)
        url = reverse("meetings:meeting_list") + "?year=all&status=awaiting"
        few = count_queries(client, url, django_assert_max_num_queries, 30)
        for days in range(4, 14):
            MeetingFactory(status="planned", date=days_ago(days))
        assert count_queries(client, url, django_assert_max_num_queries, few) == few

    def test_the_secretariats_dashboard_lists_them(self, client, plan_admin):
        meeting = MeetingFactory(title="令和8年度 第1回 実務者会議", status="planned", date=days_ago(3))
        MeetingFactory(title="開催した会議", status="held", date=days_ago(10))
        client.force_login(plan_admin)
        response = client.get("/")
        part = section(response, "記録待ちの会議")
        assert "1 件" in text_of(part)
        rows = rows_of(select_one(part, "table"))[1:]
        assert [(row[2], row[3]) for row in rows] == [("令和8年度 第1回 実務者会議", "記録待ち")]
        assert meeting.get_absolute_url() in link_targets(part, "令和8年度 第1回 実務者会議")
        assert reverse("meetings:meeting_list") + "?year=all&status=awaiting" in link_targets(part)
        # And no longer among the upcoming 「予定」.
        assert text_of(section(response, "会議と対応事項")).count("令和8年度 第1回 実務者会議") == 1

    def test_the_dashboard_says_when_there_are_none(self, client, plan_admin):
        client.force_login(plan_admin)
        assert "記録待ちの会議はありません。" in text_of(section(client.get("/"), "記録待ちの会議"))


class TestAwaitingRecordEverywhere:
    """Every page that shows a meeting's state shows 記録待ち for a planned meeting now past (one
    snippet, meetings/snippets/status_badge.html)."""

    def test_the_calendar_and_the_meetings_page(self, client, viewer):
        past = MeetingFactory(title="過ぎた予定の会議", status="planned", date=days_ago(3))
        client.force_login(viewer)
        calendar = client.get(reverse("meetings:meeting_calendar"), {"month": past.date.strftime("%Y-%m")})
        assert [text_of(badge) for badge in select(calendar, ".calendar-meetings .badge-awaiting")] == [
            "記録待ち"
        ]
        detail = client.get(past.get_absolute_url())
        assert text_of(select_one(detail, ".meeting-kind .badge-awaiting")) == "記録待ち"
