"""Who may see and change measure progress: the one place these rules are written.

The edit page, the progress list and the measure page (edit links, 「自分の所管のみ」), the admin, the
spreadsheet export and import, and the services all ask these functions, so a change of rule is a
change here. See docs/progress.md for the rules in words.

Who edits which record is decided by one `ProgressScope` per user: the queryset
(`progress_editable_by`) and the one-record check (`can_edit_progress`) are both read from it, so
they cannot disagree. A page that checks many records computes the scope once
(`progress_edit_scope`) and asks it for each record.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from plan.accounts.roles import Role, has_role, is_plan_admin
from plan.models import Department, Measure, MeasureProgress


@dataclass(frozen=True)
class ProgressScope:
    """The records a user edits: every record, or those with a department in `department_ids`."""

    everything: bool = False
    department_ids: frozenset[int] = frozenset()

    def filter(self, records: QuerySet) -> QuerySet:
        if self.everything:
            return records
        if not self.department_ids:
            return records.none()
        through = MeasureProgress.departments.through
        return records.filter(
            Exists(through.objects.filter(measureprogress_id=OuterRef("pk"), department_id__in=self.department_ids))
        )

    def covers(self, progress: MeasureProgress) -> bool:
        """As `filter`, for one record (reads its departments, prefetched when the caller did)."""
        if self.everything:
            return True
        return bool(self.department_ids) and any(
            department.pk in self.department_ids for department in progress.departments.all()
        )


def progress_edit_scope(user) -> ProgressScope:
    """The one rule for who edits progress.

    - Plan administrators edit every record.
    - Bureau staff edit the records that have one of their departments: a user linked to a bureau
      covers the bureau and all its divisions; a user linked to a division covers that division
      and the measures assigned to its bureau as a whole (the reference data assigns measures to
      bureaus, and without this nobody in a division could record anything), but not the bureau's
      other divisions. A deactivated department grants nothing.
    - Everyone else edits nothing.
    """
    if is_plan_admin(user):
        return ProgressScope(everything=True)
    if not has_role(user, Role.BUREAU_STAFF):
        return ProgressScope()
    own = list(user.departments.filter(is_active=True).values_list("pk", "parent_id"))
    scope = {pk for pk, _ in own} | {parent for _, parent in own if parent}
    bureaus = [pk for pk, parent in own if parent is None]
    if bureaus:
        scope |= set(Department.objects.filter(parent_id__in=bureaus).values_list("pk", flat=True))
    return ProgressScope(department_ids=frozenset(scope))


def can_see_progress(user) -> bool:
    """Every role reads every measure's progress; an account left without a role reads nothing."""
    return has_role(user, *Role)


def progress_visible_to(user) -> QuerySet:
    """The records `user` may read."""
    return MeasureProgress.objects.all() if can_see_progress(user) else MeasureProgress.objects.none()


def progress_editable_by(user) -> QuerySet:
    """The records `user` may edit (see `progress_edit_scope`)."""
    return progress_edit_scope(user).filter(progress_visible_to(user))


def can_edit_progress(user, progress: MeasureProgress) -> bool:
    """Whether `user` may edit this one record: the same rule as `progress_editable_by`."""
    return can_see_progress(user) and progress_edit_scope(user).covers(progress)


def get_progress_for_user_or_404(request, *, measure: Measure, fiscal_year: int) -> MeasureProgress:
    """The measure's record for the year, for editing: 404 when there is none the user may read,
    PermissionDenied (403) when they may read it but not edit it."""
    progress = get_object_or_404(
        progress_visible_to(request.user).select_related("measure", "updated_by").prefetch_related("departments__parent"),
        measure=measure,
        fiscal_year=fiscal_year,
    )
    if not can_edit_progress(request.user, progress):
        raise PermissionDenied
    return progress


def can_manage_progress(user) -> bool:
    """The secretariat's work on progress: starting years, the reporting year, the departments
    responsible for each measure (所管), and the spreadsheet round trip."""
    return is_plan_admin(user)


def check_can_manage_progress(user, *, action: str) -> None:
    """Raise PermissionDenied unless `user` may do the secretariat's `action` (e.g. 「年度を開始」).

    `user` None is the system itself (a management command, the reference-data loader), which may.
    """
    if user is not None and not can_manage_progress(user):
        raise PermissionDenied(f"{action}できるのは計画管理者だけです。")
