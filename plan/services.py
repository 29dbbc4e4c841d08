"""Writes on the plan that views, the admin and commands share."""

from django.db import transaction
from django.utils import timezone

from plan.models import Measure


@transaction.atomic
def measure_review_heading(*, measure: Measure, heading: str, user) -> Measure:
    """Confirm (or correct) a heading that was inferred from a merged cell of the source table."""
    measure.heading = heading
    measure.heading_reviewed_at = timezone.now()
    measure.heading_reviewed_by = user
    measure._change_reason = "推定した事項の確認"
    measure._history_user = user
    measure.save(update_fields=["heading", "heading_reviewed_at", "heading_reviewed_by"])
    return measure


@transaction.atomic
def user_set_role(*, user, role, handles_case_records: bool = False) -> None:
    """Put the user in exactly one role group (or none), plus the case group when asked.

    Only plan administrators (and operators' superusers) may open the admin, so `is_staff`
    follows the role.
    """
    from django.contrib.auth.models import Group

    from plan.roles import CASE_GROUP_NAME, GROUP_NAMES, Role, setup_groups

    if not Group.objects.filter(name__in=GROUP_NAMES.values()).exists():
        setup_groups()
    role_groups = Group.objects.filter(name__in=[*GROUP_NAMES.values(), CASE_GROUP_NAME])
    user.groups.remove(*role_groups)
    if role:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[Role(role)]))
    if handles_case_records:
        user.groups.add(Group.objects.get(name=CASE_GROUP_NAME))
    is_staff = user.is_superuser or role == Role.PLAN_ADMIN
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    for cache in ("_group_names_cache", "_case_permission_cache"):
        user.__dict__.pop(cache, None)


def user_deactivate(*, user) -> None:
    """Accounts are deactivated when people change posts; the row and its history stay."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
