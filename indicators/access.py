"""Who may see and change the indicators: the one place these rules are written.

- Everyone holding a role reads the indicators' figures (the overview pages); the drill-down's
  case records and providers' names follow meetings.access (`can_see_case_records`,
  `can_see_provider_names`), which the pages ask.
- Plan administrators (the secretariat) alone set baselines, targets and grading thresholds, enter
  values, enter the center's figures for ③, close fiscal years and republish; the admin is theirs.

Nothing here writes: writes are indicators.services, which ask these same functions.
"""

from django.core.exceptions import PermissionDenied

from plan.accounts.roles import Role, has_role, is_plan_admin


def can_see_indicators(user) -> bool:
    """The figures, grades and targets: anyone holding a role (the plan's own published figures)."""
    return has_role(user, *Role)


def can_manage_indicators(user) -> bool:
    """Targets, entered values, the secretariat's figures, closing and republishing."""
    return is_plan_admin(user)


def check_can_manage_indicators(user, *, action: str) -> None:
    """Raise PermissionDenied unless the user is the secretariat (e.g. action 「年度の締め」)."""
    if not can_manage_indicators(user):
        raise PermissionDenied(f"{action}ができるのは計画管理者（事務局）だけです。")
