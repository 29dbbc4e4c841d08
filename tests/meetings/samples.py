"""Sample rows for the project's access table (tests/test_access_table.py), so that every meetings
URL and admin page is opened with a real object."""

import atexit
import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile

from meetings.models import (
    AgendaItem,
    Body,
    CaseReview,
    CaseReviewParticipant,
    CommitteeMember,
    FollowUp,
    Meeting,
    Organization,
    OrganizationRole,
)
from meetings.services import organization_merge
from plan.models import Measure, User

SAMPLE_TITLE = "アクセス表の見本の会議"


def ensure_samples() -> dict:
    """Idempotent: a closed committee meeting with an attached file, an agenda item and a
    follow-up on measure 9, an organisation with a role (and a merge record), a case review and a
    committee member."""
    meeting = Meeting.objects.filter(title=SAMPLE_TITLE).first()
    if meeting is None:
        committee = Body.objects.get(code="promotion-committee")
        organization = Organization.objects.create(name="見本の民間団体", kind=Organization.Kind.PRIVATE)
        OrganizationRole.objects.create(
            organization=organization,
            role=OrganizationRole.Kind.METRO_PARTNER,
            start_date=datetime.date(2024, 4, 1),
        )
        meeting = Meeting.objects.create(
            body=committee,
            title=SAMPLE_TITLE,
            date=datetime.date(2025, 7, 30),
            status=Meeting.Status.HELD,
            mode=Meeting.Mode.ONLINE,
            openness=Meeting.Openness.CLOSED,
        )
        meeting.attending_organizations.add(organization)
        AgendaItem.objects.create(meeting=meeting, title="見本の議題").measures.add(
            Measure.objects.get(number=9)
        )
        FollowUp.objects.create(meeting=meeting, description="見本の対応事項", owner="福祉局")
        meeting.minutes_file.save("sample.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        meeting.minutes_file_name = "見本の議事録.pdf"
        meeting.save()
        # The file is written under MEDIA_ROOT; leave nothing behind after the test run.
        atexit.register(_remove, meeting.minutes_file.path)
        review = CaseReview.objects.create(
            case_code="SAMPLE-1", date=datetime.date(2025, 6, 1), woman_attended=True
        )
        CaseReviewParticipant.objects.create(case_review=review, organization=organization)
        CommitteeMember.objects.create(body=committee, name="見本 委員", term_start=datetime.date(2024, 7, 1))
        duplicate = Organization.objects.create(name="見本の民間団体（重複）", kind=Organization.Kind.PRIVATE)
        organization_merge(keep=organization, remove=duplicate, user=User.objects.order_by("pk").first())
    return {
        "meeting": meeting,
        "organization": meeting.attending_organizations.get(),
        "follow_up": meeting.follow_ups.get(),
        "case_review": CaseReview.objects.get(case_code="SAMPLE-1"),
    }


def _remove(path):
    path = Path(path)
    root = Path(settings.MEDIA_ROOT).resolve()
    path.unlink(missing_ok=True)
    for folder in path.parents:
        if folder.resolve() != root and root not in folder.resolve().parents:
            break
        try:
            folder.rmdir()  # only when empty: MEDIA_ROOT itself too, if the tests made it
        except OSError:
            break


def meetings_sample_kwargs(name: str) -> dict:
    samples = ensure_samples()
    if name in ("meetings:meeting_detail", "meetings:meeting_edit", "meetings:minutes_file"):
        return {"pk": samples["meeting"].pk}
    if name == "meetings:follow_up_done":
        return {"pk": samples["follow_up"].pk}
    if name.startswith("meetings:organization_"):
        return {"pk": samples["organization"].pk}
    if name == "meetings:case_review_edit":
        return {"pk": samples["case_review"].pk}
    if name == "meetings:body_detail":
        return {"code": "promotion-committee"}
    raise AssertionError(f"no sample value for {name}")
