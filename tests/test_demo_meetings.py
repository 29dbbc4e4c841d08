"""`make run`'s demo meetings, organisations and FY2024 progress (issue 15, item 6): written
through the services, idempotent, refused in production, and the provider's name masked for
whoever may not see it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from meetings.management.commands.create_demo_meetings import ORGANIZATIONS, PROVIDER_NAME
from meetings.models import AgendaItem, FollowUp, Meeting, Organization, OrganizationRole
from plan.common.fiscal_year import FiscalYear
from plan.models import MeasureProgress, ProgressAssessment
from tests.html import source_of, text_of

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2024"


def run():
    out = StringIO()
    call_command("create_demo_meetings", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    call_command("create_demo_users", verbosity=0)
    return run()


def counts():
    return {
        "meetings": Meeting.objects.count(),
        "agenda": AgendaItem.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "organizations": Organization.objects.count(),
        "roles": OrganizationRole.objects.count(),
        "progress": list(
            MeasureProgress.objects.filter(fiscal_year=2024).order_by("pk").values_list("pk", "assessment", "version")
        ),
    }


def test_last_years_committee_and_council_meetings_with_agenda_and_follow_ups(demo):
    last_year = FiscalYear.current().previous()
    meetings = Meeting.objects.filter(title__startswith="【デモ】")
    assert {meeting.body.code for meeting in meetings} == {"promotion-committee", "support-coordination-council"}
    assert {meeting.tier.code for meeting in meetings if meeting.tier} == {"representatives", "practitioners"}
    assert all(meeting.date in last_year for meeting in meetings)
    assert AgendaItem.objects.filter(meeting__in=meetings, measures__isnull=False).exists()
    overdue = [f for f in FollowUp.objects.filter(meeting__in=meetings) if f.is_overdue()]
    assert len(overdue) == 1


def test_a_few_dozen_fictional_organisations_with_roles_and_one_provider(demo):
    demo_organizations = Organization.objects.filter(name__endswith="(デモ)")
    assert demo_organizations.count() == len(ORGANIZATIONS) >= 24
    providers = demo_organizations.filter(roles__role=OrganizationRole.Kind.TEMPORARY_PROTECTION)
    assert [provider.name for provider in providers] == [PROVIDER_NAME]
    roles = set(OrganizationRole.objects.filter(organization__in=demo_organizations).values_list("role", flat=True))
    assert roles == set(OrganizationRole.Kind.values)


def test_fy2024_progress_in_every_assessment(demo):
    recorded = MeasureProgress.objects.filter(fiscal_year=2024).exclude(assessment="")
    assert set(recorded.values_list("assessment", flat=True)) == set(ProgressAssessment.values)
    assert all("【デモ】" in record.issues for record in recorded)
    assert MeasureProgress.objects.filter(fiscal_year=2024, assessment="").exists()  # 未更新 too


def test_running_it_twice_adds_nothing(demo):
    before = counts()
    assert "会議 0件" not in demo
    second = run()
    assert "関係機関・団体 0件、会議 0件" in second
    assert "進捗 0件" in second
    assert counts() == before


def test_it_is_refused_in_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="本番環境"):
        call_command("create_demo_meetings", stdout=StringIO())
    assert not Organization.objects.exists()
    assert not Meeting.objects.exists()


def test_the_provider_is_masked_for_a_viewer_and_named_for_the_secretariat(demo, client):
    meeting = Meeting.objects.get(title__contains="代表者会議", title__startswith="【デモ】")
    client.post("/accounts/login/", {"username": "viewer", "password": DEMO_PASSWORD})
    for page in (reverse("meetings:organization_list"), meeting.get_absolute_url()):
        response = client.get(page)
        assert response.status_code == 200
        assert PROVIDER_NAME not in source_of(response)
        assert "あじさい" not in source_of(response)
    client.post("/accounts/login/", {"username": "admin", "password": DEMO_PASSWORD})
    assert PROVIDER_NAME in text_of(client.get(meeting.get_absolute_url()))
