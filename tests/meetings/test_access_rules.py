"""Each rule of meetings.access on its own: who may see and do what, the querysets scoped to a user,
the helpers the views use; and that the meetings app asks no role question anywhere else."""

import ast
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from meetings import access
from meetings.models import Meeting, Organization
from meetings.services import organization_merge
from tests.html import source_of, text_of
from tests.meetings.factories import (
    FollowUpFactory,
    MeetingFactory,
    OrganizationFactory,
    case_review,
    provider,
)

MASK = access.HIDDEN_PROVIDER_NAME
ROLES = ["plan_admin", "bureau_staff", "viewer", "municipal_officer", "case_handler"]


@pytest.fixture
def cast(request, no_role):
    """Every role of the shared cast, plus an account without a role and a superuser (the system
    operator) who holds no role either."""
    users = {role: request.getfixturevalue(role) for role in ROLES}
    users["no_role"] = no_role
    users["superuser"] = request.getfixturevalue("system_operator")
    return users


def who(cast, rule, *args) -> set[str]:
    return {name for name, user in cast.items() if rule(user, *args)}


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


class TestRules:
    def test_every_role_sees_meetings_and_no_one_else(self, cast):
        assert who(cast, access.can_see_meetings) == set(ROLES)

    def test_only_the_secretariat_manages_meetings_and_organisations(self, cast):
        meeting = MeetingFactory()
        assert who(cast, access.can_manage_meetings) == {"plan_admin"}
        assert who(cast, access.can_edit_meeting, meeting) == {"plan_admin"}
        assert who(cast, access.can_manage_organizations) == {"plan_admin"}

    def test_closed_content_is_for_the_metropolitan_government_and_the_committee(self, cast):
        # (case_handler is bureau staff)
        assert who(cast, access.can_read_closed_content) == {
            "plan_admin",
            "bureau_staff",
            "viewer",
            "case_handler",
        }

    def test_an_open_meetings_content_is_for_every_role(self, cast):
        open_meeting = MeetingFactory(openness=Meeting.Openness.OPEN)
        closed_meeting = MeetingFactory(openness=Meeting.Openness.CLOSED)
        assert who(cast, access.can_read_meeting_content, open_meeting) >= set(ROLES)
        assert "municipal_officer" not in who(cast, access.can_read_meeting_content, closed_meeting)

    def test_case_records_are_for_holders_of_the_case_permission_only(self, cast):
        assert who(cast, access.can_see_case_records) == {"case_handler"}

    def test_providers_names_are_for_the_secretariat_and_case_holders(self, cast):
        assert who(cast, access.can_see_provider_names) == {"plan_admin", "case_handler"}

    def test_a_provider_is_named_for_those_who_may_see_it_and_masked_for_the_rest(self, cast):
        shelter = Organization.objects.get(pk=provider("シェルターすみれ").pk)
        partner = OrganizationFactory(name="NPO法人ぱっぷす")
        named = {name for name, user in cast.items() if access.organization_name_for(user, shelter) != MASK}
        assert named == {"plan_admin", "case_handler"}
        assert access.organization_name_for(None, shelter) == MASK  # the reader unknown
        assert {access.organization_name_for(user, partner) for user in cast.values()} == {"NPO法人ぱっぷす"}

    def test_a_providers_page_is_closed_to_whoever_may_not_see_its_name(self, cast):
        shelter = provider("シェルターすみれ")
        assert who(cast, access.can_open_organization, shelter) == {"plan_admin", "case_handler"}
        assert who(cast, access.can_open_organization, OrganizationFactory()) == set(cast)

    def test_so_is_a_deleted_providers_and_one_merged_into_a_provider(self, cast, plan_admin):
        deleted = provider("閉鎖した施設")
        deleted_pk = deleted.pk
        deleted.delete()
        duplicate = OrganizationFactory(name="さくらの家本部")
        organization_merge(keep=provider("シェルターさくら"), remove=duplicate, user=plan_admin)
        for pk in (deleted_pk, duplicate.pk):
            gone = Organization.history.filter(id=pk).latest().instance  # as the admin's history finds it
            assert who(cast, access.can_open_organization, gone) == {"plan_admin", "case_handler"}


class TestOrganizationsPrinted:
    """str() of an organisation decides nothing: it prints the name as read by whoever it was loaded
    for, or else masked for a provider — and a list of them costs no query per row."""

    @pytest.fixture
    def registry(self, db):
        for n in range(5):
            provider(f"一時保護施設{n}")
            OrganizationFactory(name=f"協力団体{n}")

    def test_loaded_without_a_reader_a_provider_prints_masked(self, registry):
        printed = {str(organization) for organization in Organization.objects.all()}
        assert MASK in printed and "一時保護施設0" not in printed and "協力団体0" in printed

    def test_loaded_for_a_reader_it_prints_as_they_may_read_it(self, registry, plan_admin, viewer):
        assert "一時保護施設0" in {str(org) for org in access.organizations_named_for(plan_admin)}
        assert "一時保護施設0" not in {str(org) for org in access.organizations_named_for(viewer)}

    @pytest.mark.parametrize(
        "loaded",
        [
            lambda: Organization.objects.with_confidentiality(),
            lambda: Organization.objects.prefetch_related("roles"),
            lambda: access.organizations_named_for(None),
        ],
        ids=["with its flag", "with its roles", "named for a reader"],
    )
    def test_printing_a_list_costs_no_query_per_row(self, registry, django_assert_num_queries, loaded):
        organizations = list(loaded())
        with django_assert_num_queries(0):
            printed = [str(organization) for organization in organizations]
        assert printed.count(MASK) == 5

    def test_the_admins_history_names_each_version_for_the_secretariat_at_no_query_per_row(
        self, client, plan_admin, django_assert_max_num_queries
    ):
        shelter = provider("シェルターすみれ")
        url = reverse("admin:meetings_organization_history", args=[shelter.pk])
        client.force_login(plan_admin)

        def edit(times):
            for _ in range(times):
                shelter.note += "。"
                shelter.save()

        edit(2)
        client.get(url)
        with django_assert_max_num_queries(30) as few:
            client.get(url)
        edit(10)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(url)
        assert text_of(page).count("シェルターすみれ") > 12 and MASK not in source_of(page)

    def test_the_admins_list_masks_a_providers_name_inside_another_name(self, client, system_operator):
        provider("シェルターさくら")
        OrganizationFactory(name="シェルターさくら支援の会")
        client.force_login(system_operator)
        page = client.get(reverse("admin:meetings_organization_changelist"))
        assert "シェルターさくら" not in source_of(page) and f"{MASK}支援の会" in text_of(page)


class TestQuerysets:
    def test_meetings_for_every_role_none_without_one(self, cast):
        meeting = MeetingFactory()
        for name, user in cast.items():
            expected = [meeting] if name in ROLES else []
            assert list(access.meetings_visible_to(user)) == expected, name

    def test_a_closed_meetings_content_and_follow_ups_are_kept_from_officers(self, cast):
        closed = FollowUpFactory(meeting=MeetingFactory(openness=Meeting.Openness.CLOSED))
        public = FollowUpFactory(meeting=MeetingFactory(openness=Meeting.Openness.OPEN))
        officer, viewer = cast["municipal_officer"], cast["viewer"]
        assert list(access.meetings_with_content_visible_to(officer)) == [public.meeting]
        assert list(access.follow_ups_visible_to(officer)) == [public]
        assert set(access.follow_ups_visible_to(viewer)) == {closed, public}

    def test_organisations_are_named_for_the_reader_and_masked_rows_are_never_found(self, cast):
        shelter = provider("シェルターすみれ")
        partner = OrganizationFactory(name="NPO法人ぱっぷす")
        rows = {org.pk: org for org in access.organizations_visible_to(cast["viewer"])}
        assert (rows[shelter.pk].shown_name, rows[shelter.pk].name_hidden) == (MASK, True)
        assert (rows[partner.pk].shown_name, rows[partner.pk].name_hidden) == ("NPO法人ぱっぷす", False)
        assert list(access.organizations_findable_by(cast["viewer"])) == [partner]
        assert set(access.organizations_findable_by(cast["plan_admin"])) == {shelter, partner}
        assert not access.organizations_visible_to(cast["no_role"]).exists()
        # The admin has its own gate: a superuser without a role still gets the rows, masked.
        masked = access.organizations_named_for(cast["superuser"]).get(pk=shelter.pk)
        assert masked.shown_name == MASK

    def test_case_reviews_rows_for_holders_counts_for_everyone(self, cast):
        review = case_review()
        assert {name for name, user in cast.items() if access.case_reviews_visible_to(user).exists()} == {
            "case_handler"
        }
        for name in ROLES:
            assert list(access.case_reviews_counted_for(cast[name])) == [review], name
        assert not access.case_reviews_counted_for(cast["no_role"]).exists()


class TestHelpersForViews:
    def test_a_meeting_is_404_for_an_account_without_a_role(self, viewer, no_role):
        meeting = MeetingFactory()
        assert access.get_meeting_for_user_or_404(request_by(viewer), meeting.pk) == meeting
        with pytest.raises(Http404):
            access.get_meeting_for_user_or_404(request_by(no_role), meeting.pk)

    def test_only_the_secretariat_gets_a_meeting_or_a_follow_up_for_editing(self, plan_admin, viewer):
        follow_up = FollowUpFactory()
        assert access.get_meeting_for_editing_or_404(request_by(plan_admin), follow_up.meeting_id)
        assert access.get_follow_up_for_editing_or_404(request_by(plan_admin), follow_up.pk)
        with pytest.raises(PermissionDenied):
            access.get_meeting_for_editing_or_404(request_by(viewer), follow_up.meeting_id)
        with pytest.raises(PermissionDenied):
            access.get_follow_up_for_editing_or_404(request_by(viewer), follow_up.pk)

    def test_a_closed_meetings_content_is_403_for_an_officer(self, viewer, municipal_officer):
        meeting = MeetingFactory(openness=Meeting.Openness.CLOSED)
        assert access.get_meeting_content_for_user_or_404(request_by(viewer), meeting.pk) == meeting
        with pytest.raises(PermissionDenied):
            access.get_meeting_content_for_user_or_404(request_by(municipal_officer), meeting.pk)

    def test_a_providers_organisation_is_404_for_whoever_may_not_see_its_name(self, case_handler, viewer):
        shelter = provider("シェルターすみれ")
        found = access.get_organization_for_user_or_404(request_by(case_handler), shelter.pk)
        assert found.shown_name == "シェルターすみれ"
        with pytest.raises(Http404):
            access.get_organization_for_user_or_404(request_by(viewer), shelter.pk)
        with pytest.raises(PermissionDenied):
            access.get_organization_for_editing_or_404(request_by(case_handler), shelter.pk)

    def test_a_case_review_is_404_without_the_case_permission(self, case_handler, plan_admin):
        review = case_review(date=datetime.date(2025, 6, 1))
        assert access.get_case_review_for_user_or_404(request_by(case_handler), review.pk) == review
        with pytest.raises(Http404):
            access.get_case_review_for_user_or_404(request_by(plan_admin), review.pk)

    @pytest.mark.parametrize(
        "decorator, allowed, refusal",
        [
            (access.meetings_reader_required, set(ROLES), PermissionDenied),
            (access.meetings_manager_required, {"plan_admin"}, PermissionDenied),
            (access.organizations_manager_required, {"plan_admin"}, PermissionDenied),
            (access.case_permission_required, {"case_handler"}, Http404),
        ],
        ids=["reader", "meetings manager", "organisations manager", "case permission"],
    )
    def test_page_decorators(self, cast, decorator, allowed, refusal):
        view = decorator(lambda request: HttpResponse("ok"))
        for name, user in cast.items():
            if name in allowed:
                assert view(request_by(user)).status_code == 200, name
            else:
                with pytest.raises(refusal):
                    view(request_by(user))


# --- no rule written twice -------------------------------------------------------------------------

ROLE_QUESTIONS = {
    "is_plan_admin",
    "has_role",
    "roles_of",
    "role_of",
    "can_handle_case_records",
    "holds_case_permission",
    "role_required",
    "any_role_required",
    "is_superuser",
}


def test_only_meetings_access_asks_who_the_user_is():
    """Every other module of the meetings app asks meetings.access, never the roles themselves."""
    root = Path(settings.BASE_DIR) / "meetings"
    asking = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path.name == "access.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        names |= {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
        }
        found = sorted(names & (ROLE_QUESTIONS | {"Role"}))
        if found:
            asking[str(path.relative_to(root))] = found
    assert asking == {}
