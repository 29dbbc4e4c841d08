import datetime

import factory

from meetings.models import (
    Body,
    CaseReview,
    CaseReviewParticipant,
    CommitteeMember,
    FollowUp,
    Meeting,
    Organization,
    OrganizationRole,
    Tier,
)


def committee():
    return Body.objects.get(code="promotion-committee")


def council():
    return Body.objects.get(code="support-coordination-council")


def tier(code):
    return Tier.objects.get(body__code="support-coordination-council", code=code)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"試験団体{n:03d}")
    kind = Organization.Kind.PRIVATE


class OrganizationRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationRole

    organization = factory.SubFactory(OrganizationFactory)
    role = OrganizationRole.Kind.METRO_PARTNER
    start_date = datetime.date(2024, 4, 1)


def provider(name="シェルターすみれ", **kwargs):
    """A temporary-protection provider, whose name is confidential."""
    organization = OrganizationFactory(name=name, **kwargs)
    OrganizationRoleFactory(organization=organization, role=OrganizationRole.Kind.TEMPORARY_PROTECTION)
    return organization


class MeetingFactory(factory.django.DjangoModelFactory):
    """A practitioners' meeting of the council, held, closed, at a venue."""

    class Meta:
        model = Meeting

    body = factory.LazyFunction(council)
    tier = factory.LazyFunction(lambda: tier("practitioners"))
    status = Meeting.Status.HELD
    title = factory.Sequence(lambda n: f"試験会議{n}")
    date = datetime.date(2025, 10, 15)
    mode = Meeting.Mode.IN_PERSON
    place = "都庁第一本庁舎"
    openness = Meeting.Openness.CLOSED


def committee_meeting(**kwargs):
    return MeetingFactory(body=committee(), tier=None, **kwargs)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    meeting = factory.SubFactory(MeetingFactory)
    description = factory.Sequence(lambda n: f"対応事項{n}")
    owner = "福祉局 育成支援課"


class CaseReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseReview

    case_code = factory.Sequence(lambda n: f"C-{n:04d}")
    date = datetime.date(2025, 6, 1)
    woman_attended = True


def case_review(*, organizations=(), supported_before=(), **kwargs):
    review = CaseReviewFactory(**kwargs)
    for organization in organizations:
        CaseReviewParticipant.objects.create(
            case_review=review, organization=organization, supported_before=organization in supported_before
        )
    return review


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    body = factory.LazyFunction(committee)
    name = factory.Sequence(lambda n: f"委員{n}")
    affiliation = "大学教授"
    term_start = datetime.date(2024, 7, 1)
