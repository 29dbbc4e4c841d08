"""Who may see and change measure progress: the one place these rules are written.

The edit page, the progress list and the measure page (edit links, 「自分の所管のみ」), the admin, the
spreadsheet export and import, and the services all ask these functions, so a change of rule is a
change here. See docs/progress.md for the rules in words.

Who edits which record is decided by one `ProgressScope` per user: the queryset
(`progress_editable_by`) and the one-record check (`can_edit_progress`) are both read from it, so
they cannot disagree. A page that checks many records computes the scope once
(`progress_edit_scope`) and asks it for each record. Whose records are whose (所管) is
`department_scope`, which the edit scope, the list's 所管 filter and the export all use.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from plan.accounts.roles import Role, has_role, is_plan_admin
from plan.models import Department, Measure, MeasureProgress


@dataclass(frozen=True)
class ProgressScope:
    """The records a scope takes, read from the departments recorded on each record (所管).

    Responsibility is recorded at two levels, and a scope follows the level recorded:
    - `department_ids`: a record with one of these departments is taken. A bureau's scope lists
      the bureau and all its divisions; a division's scope lists the division.
    - `bureau_level_ids`: the bureaus of a division's scope. A record that names one of these
      bureaus and none of that bureau's (active) divisions is recorded at bureau level only (no
      division known), so it belongs to every division of the bureau. Once the secretariat
      records a division for it, only that division takes it.

    The same scope answers 「自分の所管」, the list's 所管 filter, the edit permission, the export's
    department and the counts, so they cannot disagree.
    """

    everything: bool = False
    department_ids: frozenset[int] = frozenset()
    bureau_level_ids: frozenset[int] = frozenset()

    def filter(self, records: QuerySet) -> QuerySet:
        if self.everything:
            return records
        through = MeasureProgress.departments.through
        condition = Q()
        if self.department_ids:
            condition |= Q(
                Exists(through.objects.filter(measureprogress_id=OuterRef("pk"), department_id__in=self.department_ids))
            )
        for bureau in sorted(self.bureau_level_ids):
            named = through.objects.filter(measureprogress_id=OuterRef("pk"), department_id=bureau)
            divisions = through.objects.filter(
                measureprogress_id=OuterRef("pk"), department__parent_id=bureau, department__is_active=True
            )
            condition |= Q(Exists(named)) & ~Q(Exists(divisions))
        return records.filter(condition) if condition else records.none()

    def filter_bureau_level_only(self, records: QuerySet) -> QuerySet:
        """The records of `filter` taken only because they are recorded at bureau level."""
        if self.everything or not self.bureau_level_ids:
            return records.none()
        taken = ProgressScope(bureau_level_ids=self.bureau_level_ids).filter(records)
        if self.department_ids:
            through = MeasureProgress.departments.through
            taken = taken.exclude(
                Exists(through.objects.filter(measureprogress_id=OuterRef("pk"), department_id__in=self.department_ids))
            )
        return taken

    def covers(self, progress: MeasureProgress) -> bool:
        """As `filter`, for one record (reads its departments, prefetched when the caller did)."""
        if self.everything:
            return True
        departments = list(progress.departments.all())
        return any(department.pk in self.department_ids for department in departments) or self._bureau_level(
            departments
        )

    def covers_by_bureau_only(self, progress: MeasureProgress) -> bool:
        """Whether the scope takes this record only because its responsibility is recorded at
        bureau level (a division's scope): the page says so beside it."""
        if self.everything:
            return False
        departments = list(progress.departments.all())
        return not any(department.pk in self.department_ids for department in departments) and self._bureau_level(
            departments
        )

    def _bureau_level(self, departments) -> bool:
        if not self.bureau_level_ids:
            return False
        named = {department.pk for department in departments}
        with_division = {department.parent_id for department in departments if department.parent_id and department.is_active}
        return any(bureau in named and bureau not in with_division for bureau in self.bureau_level_ids)


def department_scope(departments) -> ProgressScope:
    """The records that belong to `departments` (active ones only), at the level recorded: a
    bureau takes its own and all its divisions' records; a division takes its own and its bureau's
    records that name no division of that bureau. The one rule behind 「自分の所管」 and the 所管
    filter."""
    departments = [department for department in departments if department.is_active]
    bureaus = {department.pk for department in departments if department.parent_id is None}
    divisions = {department.pk for department in departments if department.parent_id is not None}
    if bureaus:
        divisions |= set(Department.objects.filter(parent_id__in=bureaus).values_list("pk", flat=True))
    # A division under a bureau the scope already takes whole adds nothing at bureau level.
    bureau_level = {
        department.parent_id
        for department in departments
        if department.parent_id is not None and department.parent_id not in bureaus
    }
    return ProgressScope(department_ids=frozenset(bureaus | divisions), bureau_level_ids=frozenset(bureau_level))


def progress_edit_scope(user) -> ProgressScope:
    """The one rule for who edits progress.

    - Plan administrators edit every record.
    - Bureau staff edit the records of their departments (`department_scope`): a user linked to a
      bureau covers the bureau and all its divisions; a user linked to a division covers that
      division's records and the bureau's records recorded at bureau level only (no division
      named), but not the records of the bureau's other divisions. A deactivated department
      grants nothing.
    - Everyone else edits nothing.
    """
    if is_plan_admin(user):
        return ProgressScope(everything=True)
    if not has_role(user, Role.BUREAU_STAFF):
        return ProgressScope()
    return department_scope(user.departments.filter(is_active=True))


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
