"""The measure page shows the meetings and follow-ups that concern the measure, in a fixed number
of queries, without the plan app importing meetings."""

import datetime
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from meetings.models import AgendaItem, Meeting
from plan.models import Measure
from tests.html import section, source_of, text_of
from tests.meetings.factories import FollowUpFactory, MeetingFactory, committee_meeting


def on_agenda(meeting, *numbers, title="議題"):
    item = AgendaItem.objects.create(meeting=meeting, title=title)
    item.measures.set(Measure.objects.filter(number__in=numbers))
    return item


def follow_up_on(meeting, number, **kwargs):
    follow_up = FollowUpFactory(meeting=meeting, **kwargs)
    follow_up.measures.add(Measure.objects.get(number=number))
    return follow_up


def test_the_measure_page_lists_its_meetings_and_follow_ups(client, viewer):
    meeting = MeetingFactory(title="第2回 実務者会議")
    on_agenda(meeting, 9, 101, title="一時保護からの退所")
    on_agenda(MeetingFactory(title="関係のない会議"), 50)
    follow_up_on(meeting, 9, description="退所支援の事例を集める", due_date=datetime.date(2026, 1, 31))
    client.force_login(viewer)
    meetings = text_of(section(client.get(reverse("plan:measure_detail", args=[9])), "この施策に関する会議"))
    assert "第2回 実務者会議" in meetings and "議題：一時保護からの退所" in meetings
    assert "関係のない会議" not in meetings
    assert "退所支援の事例を集める" in meetings and "2026年1月31日" in meetings


def test_a_measure_with_none_says_so(client, viewer):
    client.force_login(viewer)
    page = text_of(client.get(reverse("plan:measure_detail", args=[120])))
    assert "この施策を議題にした会議はまだありません。" in page
    assert "この施策に関する対応事項はありません。" in page


def test_closed_meetings_follow_ups_are_not_shown_to_municipal_officers(client, municipal_officer):
    closed = committee_meeting(title="推進委員会")
    on_agenda(closed, 9)
    follow_up_on(closed, 9, description="非公開会議の対応事項")
    client.force_login(municipal_officer)
    response = client.get(reverse("plan:measure_detail", args=[9]))
    assert "推進委員会" in text_of(section(response, "この施策に関する会議"))  # the meeting itself is listed
    assert "非公開会議の対応事項" not in source_of(response)


def test_the_section_costs_the_same_queries_with_more_meetings(client, viewer, django_assert_max_num_queries):
    def add(count):
        for n in range(count):
            meeting = MeetingFactory(
                title=f"会議{n}", date=datetime.date(2025, 5, 1) + datetime.timedelta(days=n)
            )
            on_agenda(meeting, 9)
            follow_up_on(meeting, 9)

    add(2)
    client.force_login(viewer)
    url = reverse("plan:measure_detail", args=[9])
    client.get(url)
    with django_assert_max_num_queries(50) as small:
        client.get(url)
    add(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = text_of(client.get(url))
    # The latest five, and a link to the full list (issue 13: tests/plan/test_measure_history.py).
    assert page.count("議題：議題") == 5 and "すべて見る（17件）" in page
    assert Meeting.objects.count() == 17


def test_the_plan_app_does_not_import_meetings():
    for path in (Path(settings.BASE_DIR) / "plan").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "from meetings" not in text and "import meetings" not in text, path
