"""Writes on accounts: a user's role, deactivation, and the case permission's one way in and out.

Views, the admin (plan.accounts.admin), the commands (create_demo_users, grant_case_permission,
revoke_case_permission) and tests all call these; every change of the case permission is logged
(plan.models.CasePermissionChange).
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from plan.accounts.roles import (
    CASE_GROUP_NAME,
    CASE_PERMISSION_CODENAME,
    GROUP_NAMES,
    Role,
    holds_case_permission,
    role_of,
    setup_groups,
)
from plan.models import CasePermissionChange, User


@transaction.atomic
def user_set_role(*, user, role, changed_by=None) -> None:
    """Put the user in exactly one role group (or none).

    Only plan administrators (and operators' superusers) may open the admin, so `is_staff`
    follows the role. The case permission is never given here (only case_permission_grant gives
    it); it is withdrawn here, and logged, when its holder stops being active bureau staff.
    `changed_by` is whoever made the change, recorded on that withdrawal.
    """
    if not Group.objects.filter(name__in=GROUP_NAMES.values()).exists():
        setup_groups()
    user.groups.remove(*Group.objects.filter(name__in=GROUP_NAMES.values()))
    if role:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[Role(role)]))
    is_staff = user.is_superuser or role == Role.PLAN_ADMIN
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    _forget_cached_permissions(user)
    if role != Role.BUREAU_STAFF or not user.is_active:
        _case_permission_withdraw_automatically(
            user=user,
            changed_by=changed_by,
            reason=CASE_PERMISSION_REASON_DEACTIVATED
            if not user.is_active
            else CASE_PERMISSION_REASON_ROLE_CHANGED,
        )


@transaction.atomic
def user_deactivate(*, user, changed_by=None) -> None:
    """Accounts are deactivated when people change posts; the row and its history stay.

    A deactivated account keeps no case permission: it is withdrawn and logged.
    """
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        _forget_cached_permissions(user)
    _case_permission_withdraw_automatically(
        user=user, changed_by=changed_by, reason=CASE_PERMISSION_REASON_DEACTIVATED
    )


# --- the case permission ------------------------------------------------------------------------
# The permission opens every individual case review, so it has one way in: these two functions,
# called by the operators' admin page and the grant/revoke commands. Each change is logged.

CASE_PERMISSION_REASON_ROLE_CHANGED = "役割の変更により自動的に取消"
CASE_PERMISSION_REASON_DEACTIVATED = "アカウントの無効化により自動的に取消"
CASE_PERMISSION_HOLDERS_TEXT = (
    "個別ケース記録の権限を持てるのは、有効な所管局職員（女性相談支援センターの職員）だけです。"
)


def case_permission_ineligibility(user) -> str | None:
    """Why this account may not be given the case permission, or None when it may."""
    if not user.is_active:
        return f"無効なアカウントには付与できません。{CASE_PERMISSION_HOLDERS_TEXT}"
    if user.is_superuser:
        # Operators grant it; keeping them from holding it keeps granting and reading apart.
        return f"システム運用者（スーパーユーザー）のアカウントには付与できません。{CASE_PERMISSION_HOLDERS_TEXT}"
    role = role_of(user)
    if role is None:
        return f"役割が設定されていないアカウントには付与できません。{CASE_PERMISSION_HOLDERS_TEXT}"
    if role != Role.BUREAU_STAFF:
        return f"「{role.label}」のアカウントには付与できません。{CASE_PERMISSION_HOLDERS_TEXT}"
    return None


def _require_operator(operator, action: str) -> None:
    if operator is None or not operator.is_active or not operator.is_superuser:
        raise PermissionDenied(
            f"個別ケース記録の権限の{action}ができるのは、システム運用者（有効なスーパーユーザー）だけです。"
        )


def _locked(user) -> User:
    # Serialises two operators acting on the same account, so the log matches what happened.
    locked = User.objects.select_for_update().get(pk=user.pk)
    _forget_cached_permissions(user)
    return locked


def _case_permission_objects():
    if not Group.objects.filter(name=CASE_GROUP_NAME).exists():
        setup_groups()
    permission = Permission.objects.get(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
    return Group.objects.get(name=CASE_GROUP_NAME), permission


def _withdraw(user) -> None:
    group, permission = _case_permission_objects()
    user.groups.remove(group)
    user.user_permissions.remove(permission)  # however it got there, none is left behind


@transaction.atomic
def case_permission_grant(
    *, user, granted_by, reason: str, via: str = CasePermissionChange.Via.ADMIN
) -> CasePermissionChange:
    """Give the case permission to one active bureau staff account, for a stated reason.

    Only an active superuser (a system operator) may; ValidationError (keyed "user" or "reason")
    says why an account cannot receive it or the reason is missing.
    """
    _require_operator(granted_by, "付与")
    account = _locked(user)
    errors = {}
    problem = case_permission_ineligibility(account)
    if problem is None and holds_case_permission(account):
        problem = "このユーザーはすでに個別ケース記録の権限を持っています。"
    if problem:
        errors["user"] = problem
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "付与する理由を入力してください。"
    if errors:
        raise ValidationError(errors)
    group, _ = _case_permission_objects()
    account.groups.add(group)
    _forget_cached_permissions(user)
    return CasePermissionChange.objects.create(
        action=CasePermissionChange.Action.GRANT, user=account, changed_by=granted_by, reason=reason, via=via
    )


@transaction.atomic
def case_permission_revoke(
    *, user, revoked_by, reason: str, via: str = CasePermissionChange.Via.ADMIN
) -> CasePermissionChange:
    """Withdraw the case permission, for a stated reason; only a system operator may."""
    _require_operator(revoked_by, "取消")
    account = _locked(user)
    errors = {}
    if not holds_case_permission(account):
        errors["user"] = "このユーザーは個別ケース記録の権限を持っていません。"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "取り消す理由を入力してください。"
    if errors:
        raise ValidationError(errors)
    _withdraw(account)
    _forget_cached_permissions(user)
    return CasePermissionChange.objects.create(
        action=CasePermissionChange.Action.REVOKE, user=account, changed_by=revoked_by, reason=reason, via=via
    )


def _case_permission_withdraw_automatically(*, user, changed_by, reason: str) -> CasePermissionChange | None:
    """When a holder stops being active bureau staff: withdrawn at once, and logged as automatic."""
    if not holds_case_permission(user):
        return None
    _withdraw(user)
    _forget_cached_permissions(user)
    return CasePermissionChange.objects.create(
        action=CasePermissionChange.Action.REVOKE,
        user=user,
        changed_by=changed_by if getattr(changed_by, "pk", None) else None,
        reason=reason,
        via=CasePermissionChange.Via.AUTOMATIC,
    )


def _forget_cached_permissions(user) -> None:
    # plan.accounts.roles and Django's ModelBackend cache on the instance; a change must show at once.
    for cache in (
        "_group_names_cache",
        "_case_permission_cache",
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
    ):
        user.__dict__.pop(cache, None)
