"""Rules kept by the models themselves (and so by the admin, the forms and the services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from meetings.models import CaseReview, Meeting, OrganizationRole
from tests.meetings.factories import MeetingFactory, OrganizationFactory, committee, council, tier


def test_a_meetings_fiscal_year_follows_its_date(db):
    assert MeetingFactory.build(date=datetime.date(2026, 3, 31)).fiscal_year.year == 2025
    assert MeetingFactory.build(date=datetime.date(2026, 4, 1)).fiscal_year.year == 2026


def test_a_tier_of_another_body_is_refused(db):
    meeting = MeetingFactory.build(body=committee(), tier=tier("practitioners"))
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert "tier" in error.value.message_dict


def test_the_database_refuses_an_end_time_before_the_start(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(start_time=datetime.time(15), end_time=datetime.time(14))


def test_the_database_refuses_a_case_review_absence_without_a_reason(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseReview.objects.create(case_code="C-1", date=datetime.date(2025, 6, 1), woman_attended=False)


def test_a_case_review_in_the_future_is_refused(db):
    review = CaseReview(
        case_code="C-1", date=datetime.date.today() + datetime.timedelta(days=1), woman_attended=True
    )
    with pytest.raises(ValidationError) as error:
        review.full_clean()
    assert error.value.message_dict["date"] == [
        "開催した会議だけを記録してください（開催日が未来の日付です）。"
    ]


def test_the_database_refuses_a_role_ending_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationRole.objects.create(
            organization=OrganizationFactory(),
            role=OrganizationRole.Kind.TEMPORARY_PROTECTION,
            start_date=datetime.date(2025, 4, 1),
            end_date=datetime.date(2025, 3, 31),
        )


def test_bodies_know_whether_they_meet_in_tiers(db):
    assert council().has_tiers and not committee().has_tiers
    assert Meeting.Openness.CLOSED == MeetingFactory.build().openness
