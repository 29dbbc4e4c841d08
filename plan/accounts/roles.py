"""Who may do what. Roles are Django groups; the case permission is separate from them.

Every app decides access through these functions (and its own `visible_to` querysets), so the
rule for a role lives in one place.
"""


from django.contrib.auth.models import Group, Permission
from django.db import models, transaction


class Role(models.TextChoices):
    PLAN_ADMIN = "plan_admin", "計画管理者（事務局）"
    BUREAU_STAFF = "bureau_staff", "所管局職員"
    MUNICIPAL_OFFICER = "municipal_officer", "区市町村担当者"
    VIEWER = "viewer", "閲覧者"


# Group names as the secretariat sees them in the admin.
GROUP_NAMES = {
    Role.PLAN_ADMIN: "計画管理者（事務局）",
    Role.BUREAU_STAFF: "所管局職員",
    Role.MUNICIPAL_OFFICER: "区市町村担当者",
    Role.VIEWER: "閲覧者（推進委員等）",
}
CASE_GROUP_NAME = "個別ケース記録担当（女性相談支援センター）"
CASE_PERMISSION_CODENAME = "handle_case_records"

# Strongest first: a user in several groups acts with the first that applies.
_PRECEDENCE = [Role.PLAN_ADMIN, Role.BUREAU_STAFF, Role.MUNICIPAL_OFFICER, Role.VIEWER]
_DATA_APPS = ["plan", "meetings", "municipalities", "indicators"]


def _group_names(user) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_group_names_cache", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._group_names_cache = cached
    return cached


def roles_of(user) -> list[Role]:
    names = _group_names(user)
    return [role for role in _PRECEDENCE if GROUP_NAMES[role] in names]


def role_of(user) -> Role | None:
    roles = roles_of(user)
    return roles[0] if roles else None


def has_role(user, *roles: Role) -> bool:
    return any(role in roles for role in roles_of(user))


def is_plan_admin(user) -> bool:
    return has_role(user, Role.PLAN_ADMIN)


def reads_publication_form(user) -> bool:
    """Committee members (viewers) read what is published after the committee's closed session:
    their downloads are the publication form (DESIGN.md; the briefing's public workbook)."""
    return role_of(user) == Role.VIEWER


def holds_case_permission(user) -> bool:
    """Whether the account carries the case permission at all (directly or through the case group).

    For showing and changing who holds it; whether it may be used is can_handle_case_records.
    """
    if not getattr(user, "pk", None):
        return False
    return (
        Permission.objects.filter(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
        .filter(models.Q(user=user) | models.Q(group__user=user))
        .exists()
    )


def holders_of(role: Role):
    """The active users holding `role`, as a queryset in the order they were created (the demo
    commands write as the first plan administrator)."""
    from plan.models import User

    return User.objects.filter(groups__name=GROUP_NAMES[role], is_active=True).order_by("pk")


def first_plan_administrator():
    """The first active plan administrator, or None: the demo commands write as them."""
    return holders_of(Role.PLAN_ADMIN).first()


def case_permission_holders():
    """The users carrying the case permission, as a queryset (for the admin's column and filter)."""
    from plan.models import User

    permission = Permission.objects.filter(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
    return User.objects.filter(
        models.Q(user_permissions__in=permission) | models.Q(groups__permissions__in=permission)
    ).distinct()


def can_handle_case_records(user) -> bool:
    """Only explicit holders of the case permission; superuser status does not grant it.

    The holder must also still be active bureau staff: the services withdraw the permission when
    that stops being true, and checking it here too means a permission left behind by any other
    route (old data, a shell session) still opens nothing.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_case_permission_cache", None)
    if cached is None:
        cached = role_of(user) == Role.BUREAU_STAFF and holds_case_permission(user)
        user._case_permission_cache = cached
    return cached


def _permissions(app_labels, actions, exclude=()):
    return Permission.objects.filter(content_type__app_label__in=app_labels).filter(
        models.Q(*[models.Q(codename__startswith=f"{action}_") for action in actions], _connector=models.Q.OR)
    ).exclude(codename__in=[CASE_PERMISSION_CODENAME, *exclude])


@transaction.atomic
def setup_groups() -> dict[str, Group]:
    """Create the role groups and give them their model permissions. Safe to run again."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)

    # Who was given the case permission is for the secretariat (and operators) only.
    view_only = _permissions(_DATA_APPS, ["view"], exclude=["view_casepermissionchange"])
    grants = {
        # The secretariat works in the admin too: everything on the plan's data, accounts included,
        # but accounts are deactivated rather than deleted so that their history stays readable.
        Role.PLAN_ADMIN: _permissions(
            _DATA_APPS,
            ["add", "change", "delete", "view"],
            # The case permission's log is written by plan.accounts.services alone: the secretariat reads it.
            exclude=["delete_user", *(f"{action}_casepermissionchange" for action in ("add", "change", "delete"))],
        )
        | Permission.objects.filter(content_type__app_label="auth", codename="view_group")
        # Lockouts after failed logins: the secretariat can see and lift them (delete the attempt).
        | _permissions(["axes"], ["view", "delete"]),
        Role.BUREAU_STAFF: view_only,
        Role.MUNICIPAL_OFFICER: view_only,
        Role.VIEWER: view_only,
    }
    groups = {}
    for role, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.set(permissions)
        groups[role] = group
    case_group, _ = Group.objects.get_or_create(name=CASE_GROUP_NAME)
    case_group.permissions.set(
        Permission.objects.filter(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
    )
    groups["case"] = case_group
    return groups
