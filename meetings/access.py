"""Who may see and do what in the meetings app: the one place these rules are written.

Plain functions of three kinds, as in healthchecks:

- rules: `can_…(user)` and `can_…(user, obj)`, and what a user may read of a record
  (`organization_name_for`);
- querysets scoped to a user: `meetings_visible_to(user)`, `organizations_visible_to(user)`,
  `case_reviews_visible_to(user)` …;
- helpers for views: `get_…_for_user_or_404(request, pk)`, which give 404 (or PermissionDenied),
  and decorators for whole pages.

Every view, download, template tag, form and admin page of the meetings app asks these, so a change
of rule is a change here (docs/meetings.md has the table). Nothing here writes: writes are
meetings.services.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, F, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404

from meetings.models import CaseReview, FollowUp, Meeting, Organization
from plan.accounts.roles import Role, can_handle_case_records, has_role, is_plan_admin, reads_publication_form

# Roles that read the content of closed (非公開) meetings: minutes, the minutes file, decisions and
# follow-ups. The committee meets in closed session because it handles confidential information;
# municipal officers are outside the metropolitan government and read only open meetings' content.
CLOSED_CONTENT_READERS = (Role.PLAN_ADMIN, Role.BUREAU_STAFF, Role.VIEWER)

# What people who may not see a temporary-protection provider's name see instead.
HIDDEN_PROVIDER_NAME = "一時保護委託先（非公開）"


# --- rules -------------------------------------------------------------------------------------------


def can_see_meetings(user) -> bool:
    """Every role sees the (non-case) meetings, bodies, counts and the registry; an account left
    without a role sees nothing."""
    return has_role(user, *Role)


def can_manage_meetings(user) -> bool:
    """The secretariat (plan administrators) records meetings, follow-ups, members and the
    organisation registry on the app's pages."""
    return is_plan_admin(user)


def can_edit_meeting(user, meeting) -> bool:
    """A meeting, its agenda, attendance, minutes and follow-ups (marking one done too)."""
    return can_manage_meetings(user)


def can_manage_organizations(user) -> bool:
    """Entering, editing and merging organisations."""
    return can_manage_meetings(user)


def can_read_closed_content(user) -> bool:
    return has_role(user, *CLOSED_CONTENT_READERS)


def can_read_meeting_content(user, meeting) -> bool:
    """The minutes, the minutes file, the decisions and the follow-ups of `meeting`."""
    return meeting.is_open or can_read_closed_content(user)


def can_see_case_records(user) -> bool:
    """Individual case reviews: only explicit holders of the case permission, whatever their role
    (plan administrators and superusers included only if they hold it). Everyone who sees meetings
    sees their counts (`case_reviews_counted_for`)."""
    return can_handle_case_records(user)


def gets_publication_form(user) -> bool:
    """Whether `user`'s downloads are the publication form (plan.accounts.roles)."""
    return reads_publication_form(user)


def can_see_provider_names(user) -> bool:
    """Temporary-protection providers' names are kept from everyone but the secretariat and the
    holders of the case permission, for the safety of the women they shelter.

    The one rule for names wherever they appear: the registry's own fields
    (`organizations_named_for`, `organization_name_for`) and every free text
    (meetings.provider_names), on pages, in downloads, in search and in the admin."""
    return is_plan_admin(user) or can_handle_case_records(user)


def organization_name_for(user, organization) -> str:
    """The name of `organization` as `user` may read it: the mask for a provider (current or
    former) unless the user may see providers' names. With no user (str(), logs: the reader is
    unknown), as for someone who may not see them.

    Asks the user first (no query for those who may see the names), then the organisation's
    provider flag, which costs no query when the organisation was loaded with it
    (`Organization.objects.with_confidentiality()`, or its roles prefetched)."""
    if can_see_provider_names(user) or not organization.is_provider:
        return organization.name
    return HIDDEN_PROVIDER_NAME


def organization_printed_name(organization) -> str:
    """What str() prints for an organisation: the name as read by whoever it was loaded for
    (`shown_name`, from `organizations_named_for`), or else as read by someone who may not see
    providers' names — the safe default where the reader is unknown."""
    shown = getattr(organization, "shown_name", None)
    return shown or organization_name_for(None, organization)


def can_open_organization(user, organization) -> bool:
    """An organisation's own page (in the app, in the admin, and its history there) names it in
    everything but its heading — meetings it attended, its roles — so it is closed to whoever may
    not see a provider's name when the record is a provider's, or is a deleted record that was one
    or was merged into one (its history is reached by its id)."""
    if can_see_provider_names(user):
        return True
    if organization.is_provider:
        return False
    # Which records were providers is read from the registry's history by meetings.provider_names
    # (imported here: it imports this module for can_see_provider_names).
    from meetings.provider_names import is_hidden_organization

    return not is_hidden_organization(organization.pk, user)


# --- querysets scoped to a user ---------------------------------------------------------------------


def meetings_visible_to(user, queryset=None):
    """The meetings a user may see listed and open: all of them for every role. `queryset`, if
    given, is what the page loads (its select_related and prefetches), narrowed here."""
    meetings = Meeting.objects.all() if queryset is None else queryset
    return meetings if can_see_meetings(user) else meetings.none()


def meetings_with_content_visible_to(user, queryset=None):
    """Meetings whose minutes, decisions and follow-ups the user may read."""
    meetings = meetings_visible_to(user, queryset)
    if can_read_closed_content(user):
        return meetings
    return meetings.filter(openness=Meeting.Openness.OPEN)


def follow_ups_visible_to(user, queryset=None):
    """Follow-ups are a meeting's content: those of the meetings whose content the user reads."""
    follow_ups = FollowUp.objects.all() if queryset is None else queryset
    return follow_ups.filter(meeting__in=meetings_with_content_visible_to(user))


def organizations_named_for(user, queryset=None):
    """Organisations, each with `shown_name` (its name, or the mask for a user who may not see it),
    `name_hidden` and `is_confidential`. Templates and the admin show `shown_name`, never `name`.

    Masked rows are to be sorted last (order by `name_hidden` first), so that their place in an
    alphabetical list gives nothing away. No role is asked for: the admin, which has its own gate,
    reads through this; pages read through `organizations_visible_to`.
    """
    queryset = (Organization.objects.all() if queryset is None else queryset).with_confidentiality()
    if can_see_provider_names(user):
        return queryset.annotate(name_hidden=Value(False), shown_name=F("name"))
    return queryset.annotate(
        name_hidden=F("is_confidential"),
        shown_name=Case(
            When(is_confidential=True, then=Value(HIDDEN_PROVIDER_NAME)),
            default=F("name"),
            output_field=CharField(),
        ),
    )


def organizations_visible_to(user, queryset=None):
    """Every organisation for every role, each named as `organizations_named_for` says."""
    queryset = organizations_named_for(user, queryset)
    return queryset if can_see_meetings(user) else queryset.none()


def organizations_findable_by(user, queryset=None):
    """What a search by name or by kind may return: never an organisation whose name is masked for
    the user, since a masked row among the results would confirm that the typed name is a
    provider's (masked rows carry no kind either). Also for the admin's search."""
    return organizations_named_for(user, queryset).filter(name_hidden=False)


def case_reviews_visible_to(user, queryset=None):
    """The records themselves: only for holders of the case permission. Everyone else gets counts
    (`case_reviews_counted_for`), never rows."""
    reviews = CaseReview.objects.all() if queryset is None else queryset
    return reviews if can_see_case_records(user) else reviews.none()


def case_reviews_counted_for(user):
    """The case reviews a user may count (per year, per month, indicator ①): all of them, for
    everyone who sees meetings. Only counts may be read from this queryset; the rows are
    `case_reviews_visible_to`."""
    reviews = CaseReview.objects.all()
    return reviews if can_see_meetings(user) else reviews.none()


# --- helpers for views -------------------------------------------------------------------------------


def get_meeting_for_user_or_404(request, pk, queryset=None) -> Meeting:
    """A meeting the user may see (404 otherwise); `queryset` is what the page loads with it."""
    return get_object_or_404(meetings_visible_to(request.user, queryset), pk=pk)


def get_meeting_for_editing_or_404(request, pk) -> Meeting:
    meeting = get_meeting_for_user_or_404(request, pk)
    if not can_edit_meeting(request.user, meeting):
        raise PermissionDenied
    return meeting


def get_meeting_content_for_user_or_404(request, pk) -> Meeting:
    """A meeting whose content (the minutes file) is asked for: 404 if the user may not see the
    meeting, PermissionDenied if they may see it but not read its content."""
    meeting = get_meeting_for_user_or_404(request, pk)
    if not can_read_meeting_content(request.user, meeting):
        raise PermissionDenied
    return meeting


def get_follow_up_for_editing_or_404(request, pk) -> FollowUp:
    follow_up = get_object_or_404(
        FollowUp.objects.filter(meeting__in=meetings_visible_to(request.user)).select_related("meeting"),
        pk=pk,
    )
    if not can_edit_meeting(request.user, follow_up.meeting):
        raise PermissionDenied
    return follow_up


def get_organization_for_user_or_404(request, pk, queryset=None) -> Organization:
    """An organisation whose page the user may open (404 for a provider's, for whoever may not see
    its name); loaded with `shown_name`, `name_hidden` and `is_confidential`."""
    organization = get_object_or_404(organizations_visible_to(request.user, queryset), pk=pk)
    if not can_open_organization(request.user, organization):
        raise Http404
    return organization


def get_organization_for_editing_or_404(request, pk) -> Organization:
    organization = get_organization_for_user_or_404(request, pk)
    if not can_manage_organizations(request.user):
        raise PermissionDenied
    return organization


def get_case_review_for_user_or_404(request, pk, queryset=None) -> CaseReview:
    return get_object_or_404(case_reviews_visible_to(request.user, queryset), pk=pk)


def _page_rule(rule, refusal):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not rule(request.user):
                raise refusal
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Anonymous users never reach these: LoginRequiredMiddleware sends them to the login page first.
meetings_reader_required = _page_rule(can_see_meetings, PermissionDenied)
meetings_manager_required = _page_rule(can_manage_meetings, PermissionDenied)
organizations_manager_required = _page_rule(can_manage_organizations, PermissionDenied)
# 404, not 403, for everyone else: a case record's existence is itself not to be disclosed.
case_permission_required = _page_rule(can_see_case_records, Http404)
