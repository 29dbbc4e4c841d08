"""The services called directly, as commands and imports call them: they validate, record who and
why in the history, and leave no file behind."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings import services
from meetings.models import CaseReview, Meeting, Organization, OrganizationRole
from meetings.provider_names import ProviderNames
from tests.meetings.factories import FollowUpFactory, MeetingFactory, OrganizationFactory, provider

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_recording_the_minutes_replaces_the_file_and_says_so(
    plan_admin, media_root, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_record_minutes(
            meeting=meeting,
            minutes="要旨",
            minutes_upload=SimpleUploadedFile("第1版.pdf", PDF),
            user=plan_admin,
        )
    first = media_root / meeting.minutes_file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_record_minutes(
            meeting=Meeting.objects.get(pk=meeting.pk),
            minutes_upload=SimpleUploadedFile("第2版.pdf", PDF + b"%v2"),
            user=plan_admin,
        )
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.minutes_file_name) == ("要旨", "第2版.pdf")
    assert not first.exists() and (media_root / meeting.minutes_file.name).exists()
    record = meeting.history.latest()
    assert (record.history_user, record.history_change_reason) == (plan_admin, "議事録を記録")


def test_a_refused_change_keeps_the_file(plan_admin, media_root, django_capture_on_commit_callbacks):
    meeting = MeetingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_record_minutes(
            meeting=meeting, minutes_upload=SimpleUploadedFile("議事録.pdf", PDF), user=plan_admin
        )
    stored = media_root / meeting.minutes_file.name
    meeting.start_time, meeting.end_time = datetime.time(16), datetime.time(15)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.meeting_update(meeting=meeting, remove_minutes_file=True, user=plan_admin)
    assert stored.exists()
    assert Meeting.objects.get(pk=meeting.pk).minutes_file_name == "議事録.pdf"


def test_marking_done_twice_changes_nothing_the_second_time(plan_admin):
    follow_up = FollowUpFactory()
    services.follow_up_mark_done(follow_up=follow_up, user=plan_admin)
    done_at, records = follow_up.done_at, follow_up.meeting.history.count()
    services.follow_up_mark_done(follow_up=follow_up, user=plan_admin)
    follow_up.refresh_from_db()
    assert (follow_up.done_at, follow_up.meeting.history.count()) == (done_at, records)
    services.follow_up_reopen(follow_up=follow_up, user=plan_admin)
    follow_up.refresh_from_db()
    assert (follow_up.done, follow_up.done_at) == (False, None)


def test_a_deleted_provider_is_recorded_with_who_deleted_it_and_stays_masked(plan_admin):
    shelter = provider("閉鎖した施設")
    pk = shelter.pk
    services.organization_delete(organization=shelter, user=plan_admin)
    assert Organization.history.filter(id=pk).latest().history_user == plan_admin
    assert OrganizationRole.history.filter(organization_id=pk).latest().history_user == plan_admin
    assert "閉鎖した施設" in ProviderNames.load().names


def test_a_partner_role_for_a_police_station_is_refused_by_the_model(plan_admin):
    police = OrganizationFactory(kind="police")
    role = OrganizationRole(role=OrganizationRole.Kind.METRO_PARTNER, start_date=datetime.date(2025, 4, 1))
    with pytest.raises(ValidationError):
        services.organization_update(organization=police, roles=[role], user=plan_admin)
    assert not police.roles.exists()


def test_a_case_reviews_leftover_reason_is_dropped_when_she_took_part(case_handler):
    review = CaseReview(
        case_code="C-1", date=datetime.date(2025, 6, 1), woman_attended=True, absence_reason="health"
    )
    services.case_review_create(case_review=review, organizations=[], supported_before=[], user=case_handler)
    review.refresh_from_db()
    assert (review.absence_reason, review.recorded_by) == ("", case_handler)
