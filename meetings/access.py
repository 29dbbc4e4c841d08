"""Who may see and do what in the meetings app: the one place these rules are written.

The querysets (`Meeting.objects.visible_to`, `Organization.objects.visible_to`,
`CaseReview.objects.visible_to`) and every view, download, template tag and admin page ask these
functions, so a change of rule is a change here. See docs/meetings.md for the table.
"""

from functools import wraps

from django.http import Http404

from plan.roles import Role, can_handle_case_records, has_role, is_plan_admin

# Roles that read the content of closed (非公開) meetings: minutes, the minutes file, decisions and
# follow-ups. The committee meets in closed session because it handles confidential information;
# municipal officers are outside the metropolitan government and read only open meetings' content.
CLOSED_CONTENT_READERS = (Role.PLAN_ADMIN, Role.BUREAU_STAFF, Role.VIEWER)

# What people who may not see a temporary-protection provider's name see instead.
HIDDEN_PROVIDER_NAME = "一時保護委託先（非公開）"


def can_see_meetings(user) -> bool:
    """Every role sees the (non-case) meetings; an account left without a role sees nothing."""
    return has_role(user, *Role)


def can_manage_meetings(user) -> bool:
    """The secretariat (plan administrators) records meetings, members and the registry."""
    return is_plan_admin(user)


def can_read_closed_content(user) -> bool:
    return has_role(user, *CLOSED_CONTENT_READERS)


def can_see_case_records(user) -> bool:
    """Individual case reviews: only explicit holders of the case permission, whatever their role
    (plan administrators and superusers included only if they hold it)."""
    return can_handle_case_records(user)


def can_see_provider_names(user) -> bool:
    """Temporary-protection providers' names are kept from everyone but the secretariat and the
    holders of the case permission, for the safety of the women they shelter.

    The one rule for names wherever they appear: the registry's own fields
    (`Organization.objects.with_names_for`) and every free text (meetings.provider_names), on pages,
    in downloads, in search and in the admin."""
    return is_plan_admin(user) or can_handle_case_records(user)


def case_permission_required(view):
    """404, not 403, for everyone else: a case record's existence is itself not to be disclosed."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_see_case_records(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
