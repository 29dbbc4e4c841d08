"""A measure's page shows the latest few of its progress changes per year and of the meetings
that discussed it, each with 「すべて見る（N件）」 leading to the full, paginated list (issue 13)."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Meeting
from plan.models import Measure, MeasureProgress
from plan.progress.services import progress_update, progress_year_start
from tests.html import link_targets, section, select, select_one, text_of
from tests.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def save_changes(plan_admin, count, number=86, year=2025):
    """`count` saved changes to the measure's record for `year`, each with its own achievements."""
    for n in range(count):
        record = MeasureProgress.objects.get(measure__number=number, fiscal_year=year)
        progress_update(
            progress=record,
            expected_version=record.version,
            values={
                "assessment": "on_track",
                "direction": "expand",
                "achievements": f"{year}年度の実績その{n + 1}",
            },
            user=plan_admin,
        )


def meetings_about(number, count):
    measure = Measure.objects.get(number=number)
    meetings = []
    for n in range(count):
        meeting = MeetingFactory(
            title=f"施策の会議{n + 1:02d}", date=datetime.date(2025, 5, 1) + datetime.timedelta(days=n)
        )
        AgendaItem.objects.create(meeting=meeting, title="議題").measures.add(measure)
        meetings.append(meeting)
    return meetings


def measure_page(client, number=86):
    return client.get(reverse("plan:measure_detail", args=[number]))


def history_of(response):
    return select(response, "ol.history > li")


class TestMeetingsOnTheMeasurePage:
    def test_a_measure_with_12_meetings_shows_the_latest_5_and_a_link_to_all(self, client, viewer):
        meetings_about(86, 12)
        client.force_login(viewer)
        meetings = section(measure_page(client), "この施策に関する会議")
        titles = [text_of(link) for link in select(meetings, "ul.measure-meetings a")]
        assert titles == [f"施策の会議{n:02d}" for n in (12, 11, 10, 9, 8)]
        full_list = reverse("meetings:measure_meetings", args=[86])
        link = [a for a in select(meetings, "a") if a.get("href") == full_list]
        assert len(link) == 1 and text_of(link[0]).startswith("すべて見る（12件）")

    def test_five_or_fewer_meetings_need_no_link(self, client, viewer):
        meetings_about(86, 5)
        client.force_login(viewer)
        meetings = section(measure_page(client), "この施策に関する会議")
        assert len(select(meetings, "ul.measure-meetings > li")) == 5
        assert "すべて見る" not in text_of(meetings)

    def test_the_full_list_shows_all_12_over_pages(self, client, viewer, monkeypatch):
        import meetings.views

        monkeypatch.setattr(meetings.views, "PAGE_SIZE", 5)  # a page size, not the database
        created = meetings_about(86, 12)
        MeetingFactory(title="関係のない会議")
        client.force_login(viewer)
        seen = []
        for page in (1, 2, 3):
            response = client.get(reverse("meetings:measure_meetings", args=[86]), {"page": page})
            assert response.status_code == 200
            seen += [a.get("href") for a in select(response, "ul.measure-meetings a")]
        assert len(seen) == 12
        assert sorted(seen) == sorted(m.get_absolute_url() for m in created)
        assert "全 12 件" in text_of(response)
        assert "関係のない会議" not in text_of(response)

    def test_the_full_list_runs_the_same_queries_at_two_sizes(
        self, client, viewer, django_assert_max_num_queries
    ):
        meetings_about(86, 3)
        client.force_login(viewer)
        address = reverse("meetings:measure_meetings", args=[86])
        client.get(address)
        with django_assert_max_num_queries(20) as small:
            client.get(address)
        meetings_about(86, 70)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(address)
        assert len(select(response, "ul.measure-meetings > li")) == 50
        assert Meeting.objects.count() == 73

    def test_the_measure_page_runs_the_same_queries_with_more_meetings(
        self, client, viewer, django_assert_max_num_queries
    ):
        meetings_about(86, 2)
        client.force_login(viewer)
        measure_page(client)
        with django_assert_max_num_queries(60) as small:
            measure_page(client)
        meetings_about(86, 30)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = measure_page(client)
        assert "すべて見る（32件）" in text_of(response)


class TestHistoryOnTheMeasurePage:
    @pytest.fixture
    def two_years(self, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2024, user=None)
        progress_year_start(plan=plan, fiscal_year=2025, user=None)
        save_changes(plan_admin, 8, year=2025)
        save_changes(plan_admin, 2, year=2024)

    def test_each_year_shows_its_latest_5_changes_and_a_link_to_all(self, client, viewer, two_years):
        client.force_login(viewer)
        response = measure_page(client)
        progress = section(response, "進捗状況")
        lists = select(progress, "ol.history")
        assert len(lists) == 2  # 2025 first, then 2024
        recent = text_of(lists[0])
        assert len(history_of(lists[0])) == 5
        assert "2025年度の実績その8" in recent and "2025年度の実績その4" in recent  # as the new value
        assert "2025年度の実績その2" not in recent  # its change is the sixth newest
        # 2024: its two changes and the year's start, all shown, no link.
        assert len(history_of(lists[1])) == 3
        links = [a for a in select(progress, "a") if "すべて見る" in text_of(a)]
        assert [text_of(a).split("：")[0] for a in links] == ["すべて見る（9件）"]
        assert links[0].get("href") == reverse("plan:measure_history", args=[86]) + "?year=2025"

    def test_the_history_page_lists_every_change_over_pages(self, client, viewer, two_years):
        client.force_login(viewer)
        address = reverse("plan:measure_history", args=[86])
        first = client.get(address)
        assert len(history_of(first)) == 12  # 9 for 2025, 3 for 2024: one page of 20
        only_2025 = client.get(address, {"year": 2025})
        assert len(history_of(only_2025)) == 9
        assert "令和7年度（2025年度）の変更 9 件" in text_of(only_2025)
        assert reverse("plan:measure_detail", args=[86]) + "#progress" in link_targets(only_2025)

    def test_the_history_page_paginates(self, client, viewer, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2025, user=None)
        save_changes(plan_admin, 24)
        client.force_login(viewer)
        address = reverse("plan:measure_history", args=[86])
        first, second = client.get(address), client.get(address, {"page": 2})
        assert len(history_of(first)) == 20 and len(history_of(second)) == 5
        assert "2025年度の実績その24" in text_of(first) and "年度の開始" in text_of(second)
        assert "1 / 2 ページ（全 25 件）" in text_of(select_one(first, "nav.pagination"))

    def test_the_history_page_runs_the_same_queries_at_two_sizes(
        self, client, viewer, plan, plan_admin, django_assert_max_num_queries
    ):
        progress_year_start(plan=plan, fiscal_year=2025, user=None)
        save_changes(plan_admin, 2)
        client.force_login(viewer)
        address = reverse("plan:measure_history", args=[86])
        client.get(address)
        with django_assert_max_num_queries(30) as small:
            client.get(address)
        save_changes(plan_admin, 30)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(address).status_code == 200


def test_anonymous_users_go_to_login(client):
    for address in (
        reverse("plan:measure_history", args=[86]),
        reverse("meetings:measure_meetings", args=[86]),
    ):
        response = client.get(address)
        assert response.status_code == 302 and "login" in response["Location"]


def test_an_account_without_a_role_sees_neither_page(client, no_role):
    client.force_login(no_role)
    for address in (
        reverse("plan:measure_history", args=[86]),
        reverse("meetings:measure_meetings", args=[86]),
    ):
        assert client.get(address).status_code == 403


def test_an_unknown_measure_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("plan:measure_history", args=[999])).status_code == 404
    assert client.get(reverse("meetings:measure_meetings", args=[999])).status_code == 404
