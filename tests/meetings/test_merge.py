"""Merging two records of one organisation keeps every link: meetings attended, case reviews, roles."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from meetings.models import CaseReviewParticipant, Meeting, Organization, OrganizationMerge, OrganizationRole
from meetings.services import organization_merge
from tests.html import text_of
from tests.meetings.factories import MeetingFactory, OrganizationFactory, OrganizationRoleFactory, case_review


@pytest.fixture
def twins(db):
    keep = OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
    remove = OrganizationFactory(name="NPO法人ぱっぷす")
    return keep, remove


class TestOrganizationMerge:
    def test_every_meeting_case_review_and_role_moves_to_the_kept_record(self, twins, plan_admin):
        keep, remove = twins
        only_removed = MeetingFactory(title="片方だけ出席")
        both = MeetingFactory(title="両方出席")
        only_kept = MeetingFactory(title="残す方だけ出席")
        only_removed.attending_organizations.add(remove)
        both.attending_organizations.add(keep, remove)
        only_kept.attending_organizations.add(keep)
        review_removed = case_review(organizations=[remove], supported_before=[remove])
        review_both = case_review(organizations=[keep, remove], supported_before=[remove])
        OrganizationRoleFactory(organization=keep, role=OrganizationRole.Kind.METRO_PARTNER)
        OrganizationRoleFactory(
            organization=remove,
            role=OrganizationRole.Kind.MUNICIPAL_PARTNER,
            start_date=datetime.date(2025, 4, 1),
        )

        record = organization_merge(keep=keep, remove=remove, user=plan_admin)

        assert not Organization.objects.filter(pk=remove.pk).exists()
        assert set(keep.meetings_attended.all()) == {only_removed, both, only_kept}
        assert both.attending_organizations.count() == 1
        assert list(review_removed.participants.values_list("organization", "supported_before")) == [
            (keep.pk, True)
        ]
        # Both took part in one review: one row is kept, and "supported her before" survives.
        assert list(review_both.participants.values_list("organization", "supported_before")) == [
            (keep.pk, True)
        ]
        assert sorted(keep.roles.values_list("role", flat=True)) == ["metro_partner", "municipal_partner"]
        assert (record.kept, record.kept_name, record.removed_name, record.removed_pk, record.merged_by) == (
            keep,
            "特定非営利活動法人 ぱっぷす",
            "NPO法人ぱっぷす",
            remove.pk,
            plan_admin,
        )
        assert record.moved == {
            "会議（出席した関係機関・団体）": 2,
            "個別ケース検討会議への参加": 2,
            "団体の役割": 1,
        }

    def test_the_removed_record_keeps_its_history(self, twins, plan_admin):
        keep, remove = twins
        organization_merge(keep=keep, remove=remove, user=plan_admin)
        deleted = Organization.history.filter(id=remove.pk).latest()
        assert deleted.history_type == "-"
        assert deleted.history_user == plan_admin
        assert deleted.name == "NPO法人ぱっぷす"
        assert "統合" in keep.history.latest().history_change_reason

    def test_an_organisation_cannot_be_merged_into_itself(self, twins, plan_admin):
        keep, _ = twins
        with pytest.raises(ValidationError):
            organization_merge(keep=keep, remove=keep, user=plan_admin)
        assert Organization.objects.filter(pk=keep.pk).exists()

    def test_the_merge_runs_in_one_transaction(self, twins, plan_admin, monkeypatch):
        keep, remove = twins
        meeting = MeetingFactory()
        meeting.attending_organizations.add(remove)

        def fail(*args, **kwargs):
            raise RuntimeError("途中で失敗")

        monkeypatch.setattr(OrganizationMerge.objects, "create", fail)
        with pytest.raises(RuntimeError):
            organization_merge(keep=keep, remove=remove, user=plan_admin)
        assert list(meeting.attending_organizations.all()) == [remove]

    def test_every_relation_to_an_organisation_is_moved(self):
        """A relation added later (say, by the municipalities' returns) is moved too: the service
        reads them from the model, so this lists what it will find today."""
        relations = {
            (rel.related_model.__name__, rel.field.name) for rel in Organization._meta.related_objects
        }
        assert relations == {
            ("Meeting", "attending_organizations"),
            ("CaseReview", "organizations"),
            ("CaseReviewParticipant", "organization"),
            ("OrganizationRole", "organization"),
            ("AnnualReturn", "council_organizations"),
            ("AnnualReturn", "collaboration_organizations"),
        }


class TestMergePage:
    def test_the_secretariat_merges_through_the_page(self, client, twins, plan_admin):
        keep, remove = twins
        meeting = MeetingFactory()
        meeting.attending_organizations.add(remove)
        client.force_login(plan_admin)
        url = reverse("meetings:organization_merge", args=[keep.pk])
        page = text_of(client.post(url, {"remove": remove.pk}))
        assert "確認欄にチェックしてください。" in page
        assert Organization.objects.count() == 2

        response = client.post(url, {"remove": remove.pk, "confirm": "on"}, follow=True)
        assert "「NPO法人ぱっぷす」を「特定非営利活動法人 ぱっぷす」に統合しました" in text_of(response)
        assert list(meeting.attending_organizations.all()) == [keep]
        assert "統合の履歴" in text_of(response)

    @pytest.mark.parametrize(
        "role", ["viewer", "municipal_officer", "other_officer", "bureau_staff", "case_handler"]
    )
    def test_nobody_else_can_merge(self, client, twins, role, request):
        keep, remove = twins
        client.force_login(request.getfixturevalue(role))
        response = client.post(
            reverse("meetings:organization_merge", args=[keep.pk]), {"remove": remove.pk, "confirm": "on"}
        )
        assert response.status_code == 403
        assert Organization.objects.count() == 2

    def test_anonymous_is_sent_to_login(self, client, twins):
        keep, remove = twins
        response = client.post(
            reverse("meetings:organization_merge", args=[keep.pk]), {"remove": remove.pk, "confirm": "on"}
        )
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert Organization.objects.count() == 2
        assert Meeting.objects.count() == 0 and CaseReviewParticipant.objects.count() == 0
