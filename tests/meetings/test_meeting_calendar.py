"""The calendar shows one month at a time, reading only that month's meetings (issue 13: it read
every meeting of the year), with links to the months around it and to the fiscal year's months."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Meeting
from tests.html import link_targets, select, text_of, texts_of
from tests.meetings.factories import MeetingFactory, case_review, committee_meeting
from tests.queries import count_queries

CALENDAR = "meetings:meeting_calendar"


def calendar(client, **params):
    response = client.get(reverse(CALENDAR), params)
    assert response.status_code == 200
    return response


def titles(response):
    return texts_of(response, ".calendar-meetings a")


@pytest.fixture
def today(monkeypatch):
    """Today is 10 June 2025 (FY2025)."""
    day = datetime.date(2025, 6, 10)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)
    return day


class TestOneMonth:
    def test_it_shows_the_months_meetings_and_no_other(self, client, viewer):
        committee_meeting(title="推進委員会 第1回", date=datetime.date(2025, 4, 24))
        MeetingFactory(title="実務者会議 4月", date=datetime.date(2025, 4, 3))
        MeetingFactory(title="実務者会議 5月", date=datetime.date(2025, 5, 1))
        MeetingFactory(title="実務者会議 3月", date=datetime.date(2025, 3, 31))
        case_review(date=datetime.date(2025, 4, 8))
        client.force_login(viewer)
        response = calendar(client, month="2025-04")

        assert text_of(select(response, "h1")[0]) == "年間の予定と実績 2025年4月"
        assert titles(response) == ["実務者会議 4月", "推進委員会 第1回"]  # by date
        page = text_of(response)
        assert "実務者会議 5月" not in page and "実務者会議 3月" not in page
        assert "個別ケース検討会議 1 件" in page

    def test_it_links_to_the_months_around_it_and_to_the_fiscal_years_months(self, client, viewer):
        MeetingFactory(date=datetime.date(2025, 5, 1))
        MeetingFactory(date=datetime.date(2026, 3, 2))
        MeetingFactory(date=datetime.date(2026, 3, 3))
        client.force_login(viewer)
        response = calendar(client, month="2026-01")
        assert "?month=2025-12" in link_targets(response, "← 2025年12月")
        assert "?month=2026-02" in link_targets(response, "2026年2月 →")
        months = texts_of(response, ".calendar-year a")
        assert months[0] == "4月（0件）" and months[1] == "5月（1件）" and months[-1] == "3月（2件）"
        assert len(months) == 12
        current = select(response, '.calendar-year a[aria-current="page"]')
        assert [text_of(link) for link in current] == ["1月（0件）"]
        assert "この月の会議はありません。" in text_of(response)

    def test_a_month_across_the_new_year_follows_on(self, client, viewer):
        client.force_login(viewer)
        response = calendar(client, month="2025-12")
        assert "?month=2026-01" in link_targets(response, "2026年1月 →")

    def test_the_default_is_this_month_when_it_has_a_meeting(self, client, viewer, today):
        MeetingFactory(title="6月の会議", date=datetime.date(2025, 6, 2))
        MeetingFactory(title="8月の会議", date=datetime.date(2025, 8, 2))
        client.force_login(viewer)
        assert titles(calendar(client)) == ["6月の会議"]

    def test_else_the_month_of_the_next_meeting(self, client, viewer, today):
        MeetingFactory(title="5月の会議", date=datetime.date(2025, 5, 2))
        MeetingFactory(title="8月の会議", date=datetime.date(2025, 8, 2), status=Meeting.Status.PLANNED)
        client.force_login(viewer)
        response = calendar(client)
        assert text_of(select(response, "h1")[0]) == "年間の予定と実績 2025年8月"
        assert titles(response) == ["8月の会議"]

    def test_else_this_month(self, client, viewer, today):
        MeetingFactory(title="5月の会議", date=datetime.date(2025, 5, 2))
        client.force_login(viewer)
        response = calendar(client, month="not-a-month")
        assert text_of(select(response, "h1")[0]) == "年間の予定と実績 2025年6月"

    def test_a_fiscal_year_opens_at_its_first_month_with_a_meeting(self, client, viewer):
        MeetingFactory(title="10月の会議", date=datetime.date(2025, 10, 15))
        client.force_login(viewer)
        assert titles(calendar(client, year="2025")) == ["10月の会議"]
        assert text_of(select(calendar(client, year="2030"), "h1")[0]) == "年間の予定と実績 2030年4月"

    def test_a_month_out_of_range_is_not_an_error(self, client, viewer, today):
        client.force_login(viewer)
        for month in ("0000-01", "9999-12", "2025-13", "2025-00", "１２３４-05", "²⁰²⁵-05"):
            assert text_of(select(calendar(client, month=month), "h1")[0]) == "年間の予定と実績 2025年6月"
        for year in ("²⁰²⁵", "0", "99999"):
            assert text_of(select(calendar(client, year=year), "h1")[0]) == "年間の予定と実績 2025年6月"


class TestWhoSeesIt:
    def test_anonymous_users_are_sent_to_log_in(self, client, db):
        response = client.get(reverse(CALENDAR), {"month": "2025-04"})
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_an_account_without_a_role_is_refused(self, client, no_role):
        MeetingFactory(title="見せない会議", date=datetime.date(2025, 4, 3))
        client.force_login(no_role)
        response = client.get(reverse(CALENDAR), {"month": "2025-04"})
        assert response.status_code == 403
        assert "見せない会議" not in text_of(response)


def test_the_queries_stay_the_same_whatever_the_number_of_meetings(
    client, viewer, django_assert_max_num_queries
):
    def add(count, *, month, day=1):
        Meeting.objects.bulk_create(
            MeetingFactory.build(title=f"{month}月の会議{n}", date=datetime.date(2025, month, day))
            for n in range(count)
        )

    add(3, month=4)
    client.force_login(viewer)
    address = f"{reverse(CALENDAR)}?month=2025-04"
    client.get(address)  # warm the session
    small = count_queries(client, address, django_assert_max_num_queries, 15)
    add(200, month=4, day=2)
    for month in (5, 6, 7):
        add(100, month=month)
    assert count_queries(client, address, django_assert_max_num_queries, small) <= small
    response = calendar(client, month="2025-04")
    assert len(titles(response)) == 203
    assert "5月の会議" not in text_of(response)
