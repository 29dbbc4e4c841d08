"""The meetings list over every year (?year=all): paging through it shows every meeting exactly
once, newest first, and the organisations are counted on the page's rows only; the organisation
registry counts meetings on its page's rows too (issue 13)."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Meeting, Organization, OrganizationRole
from meetings.views import PAGE_SIZE
from tests.html import rows_of, select, select_one, texts_of
from tests.meetings.factories import MeetingFactory, OrganizationFactory, OrganizationRoleFactory, provider

pytestmark = pytest.mark.django_db


def add_meetings(count, *, dates, organizations=()):
    """`count` meetings spread over the few `dates` given, so that many share a date."""
    start = Meeting.objects.count()
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                body=MeetingFactory.body.function(),
                tier=MeetingFactory.tier.function(),
                status=Meeting.Status.HELD,
                title=f"頁送り会議{start + n:04d}",
                date=dates[n % len(dates)],
                place="会場",
            )
            for n in range(count)
        ]
    )
    through = Meeting.attending_organizations.through
    through.objects.bulk_create(
        [through(meeting_id=m.pk, organization_id=o.pk) for m in meetings for o in organizations]
    )
    return meetings


def all_years(client, page=None):
    params = {"year": "all"}
    if page:
        params["page"] = page
    return client.get(reverse("meetings:meeting_list"), params)


def meeting_links(response):
    table = select_one(response, "table.meetings")
    return [link.get("href") for link in select(table, "tbody a")]


class TestPagingThroughEveryYear:
    def test_every_meeting_appears_on_exactly_one_page(self, client, viewer):
        # Three dates for 130 meetings: most rows tie on the date, so only the id can order them.
        dates = [datetime.date(2024, 6, 1), datetime.date(2025, 6, 1), datetime.date(2026, 6, 1)]
        meetings = add_meetings(PAGE_SIZE * 2 + 30, dates=dates)
        client.force_login(viewer)
        seen = []
        page = 1
        while True:
            response = all_years(client, page)
            assert response.status_code == 200
            seen += meeting_links(response)
            if response.context["page"].has_next():
                page += 1
            else:
                break
        assert page == 3
        assert len(seen) == len(meetings)
        assert sorted(seen) == sorted(m.get_absolute_url() for m in meetings)

    def test_the_newest_meetings_come_first_and_ties_keep_one_order(self, client, viewer):
        MeetingFactory(title="古い会議", date=datetime.date(2024, 5, 1))
        for n in range(3):
            MeetingFactory(title=f"同日の会議{n}", date=datetime.date(2025, 9, 1))
        client.force_login(viewer)
        response = all_years(client)
        titles = [row[2] for row in rows_of(select_one(response, "table.meetings"))[1:]]
        assert titles == ["同日の会議2", "同日の会議1", "同日の会議0", "古い会議"]
        assert "すべての年度の会議 4 件" in texts_of(response, "h2")

    def test_each_row_counts_its_own_attending_organisations(self, client, viewer):
        busy = MeetingFactory(title="出席の多い会議", date=datetime.date(2025, 8, 1))
        busy.attending_organizations.set(OrganizationFactory.create_batch(3))
        MeetingFactory(title="出席のない会議", date=datetime.date(2025, 7, 1))
        client.force_login(viewer)
        rows = rows_of(select_one(all_years(client), "table.meetings"))[1:]
        assert [(row[2], row[5]) for row in rows] == [("出席の多い会議", "3"), ("出席のない会議", "0")]


class TestQueries:
    @pytest.mark.parametrize("params", [{"year": "all"}, {"year": "2025"}, {"year": "all", "page": "2"}])
    def test_the_list_runs_the_same_queries_at_two_sizes(
        self, client, viewer, django_assert_max_num_queries, params
    ):
        organizations = [OrganizationFactory() for _ in range(3)]
        dates = [datetime.date(2025, 6, 1), datetime.date(2025, 11, 1)]
        add_meetings(PAGE_SIZE + 10, dates=dates, organizations=organizations)
        client.force_login(viewer)
        client.get(reverse("meetings:meeting_list"), params)  # warm the session
        with django_assert_max_num_queries(15) as small:
            client.get(reverse("meetings:meeting_list"), params)
        add_meetings(1000, dates=dates, organizations=organizations)
        assert Organization.objects.count() == 3
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(reverse("meetings:meeting_list"), params)
        assert len(meeting_links(response)) == PAGE_SIZE


class TestOrganisationRegistry:
    def test_each_row_counts_the_meetings_it_attended(self, client, viewer):
        busy = OrganizationFactory(name="あ会議の多い団体")
        OrganizationFactory(name="い出席のない団体")
        for n in range(2):
            MeetingFactory(date=datetime.date(2025, 6, n + 1)).attending_organizations.add(busy)
        client.force_login(viewer)
        table = select_one(client.get(reverse("meetings:organization_list")), "table.organizations")
        rows = {row[0]: row[-1] for row in rows_of(table)[1:]}
        assert rows == {"あ会議の多い団体": "2", "い出席のない団体": "0"}

    def test_the_page_runs_the_same_queries_at_two_sizes(self, client, viewer, django_assert_max_num_queries):
        def add_organizations(count):
            start = Organization.objects.count()
            organizations = Organization.objects.bulk_create(
                [Organization(name=f"規模試験団体{start + n:05d}") for n in range(count)]
            )
            OrganizationRole.objects.bulk_create(
                [
                    OrganizationRole(
                        organization=o,
                        role=OrganizationRole.Kind.METRO_PARTNER,
                        start_date=datetime.date(2024, 4, 1),
                    )
                    for o in organizations
                ]
            )
            meetings = add_meetings(3, dates=[datetime.date(2025, 6, 1)], organizations=organizations)
            return organizations, meetings

        provider("シェルター規模試験")
        OrganizationRoleFactory()
        add_organizations(PAGE_SIZE + 5)
        client.force_login(viewer)
        address = reverse("meetings:organization_list")
        client.get(address)  # warm the session
        with django_assert_max_num_queries(15) as small:
            client.get(address)
        add_organizations(2000)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(address)
        assert len(rows_of(select_one(response, "table.organizations"))) == PAGE_SIZE + 1
        assert "一時保護委託先：1 団体" in texts_of(response, "ul.role-counts li")
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(address, {"page": "3"}).status_code == 200
