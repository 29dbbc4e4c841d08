"""The admin follows the same rules: no case reviews there at all; committee members are kept there
by the secretariat."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from meetings.models import CommitteeMember
from plan.accounts.roles import Role
from tests.factories import UserFactory
from tests.html import source_of, text_of
from tests.meetings.factories import case_review, committee, council


class TestCaseReviewsHaveNoAdmin:
    """The case permission is held only by bureau staff, who never open the admin, so the admin has
    no case-review pages at all: no system operator or secretariat member reaches the records there."""

    @pytest.mark.parametrize("page", ["changelist", "add"])
    def test_there_is_no_case_review_admin_url(self, page):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:meetings_casereview_{page}")

    def test_a_superuser_finds_nothing_under_the_model_path(self, client, system_operator):
        review = case_review(case_code="C-HIDDEN")
        client.force_login(system_operator)
        for path in ["/admin/meetings/casereview/", f"/admin/meetings/casereview/{review.pk}/change/"]:
            response = client.get(path, follow=True)
            assert "C-HIDDEN" not in source_of(response), path
        assert "個別ケース検討会議の記録" not in source_of(client.get(reverse("admin:index")))

    def test_a_plan_admin_cannot_be_given_the_permission(self, db):
        with pytest.raises(ValidationError):
            UserFactory(role=Role.PLAN_ADMIN, handles_case_records=True)


class TestCommitteeMemberAdmin:
    def test_the_secretariat_adds_a_member_who_then_shows_on_the_committee_page(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(
            reverse("admin:meetings_committeemember_add"),
            {
                "body": committee().pk,
                "position": "1",
                "name": "山田 花子",
                "affiliation": "○○大学 教授",
                "title": "委員長",
                "term_start": "2024-07-01",
                "term_end": "",
            },
        )
        assert response.status_code == 302, text_of(response)
        page = text_of(client.get(reverse("meetings:body_detail", args=["promotion-committee"])))
        assert "山田 花子" in page

    def test_a_member_of_the_council_or_a_reversed_term_is_refused(self, client, plan_admin):
        client.force_login(plan_admin)
        page = text_of(
            client.post(
                reverse("admin:meetings_committeemember_add"),
                {
                    "body": council().pk,
                    "position": "1",
                    "name": "誤り",
                    "term_start": "2024-07-01",
                    "term_end": "2024-06-30",
                },
            )
        )
        assert "正しく選択してください" in page  # the council is not offered
        assert not CommitteeMember.objects.exists()
        page = text_of(
            client.post(
                reverse("admin:meetings_committeemember_add"),
                {
                    "body": committee().pk,
                    "position": "1",
                    "name": "誤り",
                    "term_start": "2024-07-01",
                    "term_end": "2024-06-30",
                },
            )
        )
        assert "任期の終了日は開始日以降にしてください。" in page
        assert not CommitteeMember.objects.exists()

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "municipal_officer", "case_handler"])
    def test_nobody_else_opens_it(self, client, db, role, request):
        client.force_login(request.getfixturevalue(role))
        response = client.get(reverse("admin:meetings_committeemember_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    def test_term_dates_decide_who_serves(self, db):
        member = CommitteeMember(
            body=committee(),
            name="x",
            term_start=datetime.date(2024, 7, 1),
            term_end=datetime.date(2026, 6, 30),
        )
        assert member.serves_on(datetime.date(2026, 6, 30))
        assert not member.serves_on(datetime.date(2026, 7, 1))


class TestMeetingAndOrganizationAdmin:
    """The admin goes through the same model rules as the app's own forms."""

    def test_a_council_meeting_without_a_tier_is_refused_in_the_admin(self, client, plan_admin):
        from meetings.models import Meeting

        client.force_login(plan_admin)
        response = client.post(
            reverse("admin:meetings_meeting_add"),
            {
                "body": council().pk,
                "tier": "",
                "status": "planned",
                "title": "階層のない会議",
                "date": "2026-12-01",
                "mode": "online",
                "openness": "closed",
                "agenda_items-TOTAL_FORMS": "0",
                "agenda_items-INITIAL_FORMS": "0",
                "follow_ups-TOTAL_FORMS": "0",
                "follow_ups-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        assert "支援調整会議の会議は、階層（代表者会議・実務者会議）を選んでください。" in text_of(response)
        assert not Meeting.objects.exists()

    def test_a_similar_name_is_warned_about_in_the_admin_too(self, client, plan_admin):
        from meetings.models import Organization
        from tests.meetings.factories import OrganizationFactory

        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        data = {
            "name": "NPO法人 ぱっぷす",
            "kind": "private",
            "note": "",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        }
        page = text_of(client.post(reverse("admin:meetings_organization_add"), data))
        assert "似た名前の団体があります: 「特定非営利活動法人 ぱっぷす」" in page
        assert Organization.objects.count() == 1
        client.post(reverse("admin:meetings_organization_add"), {**data, "confirm_similar": "on"})
        assert Organization.objects.count() == 2
