"""Measure progress: the writes. Save a year's progress, start a year, set the reporting year, and
confirm the departments responsible for a measure (所管).

Views, the admin, the spreadsheet import, the management command and the reference-data loader
call these functions. Each checks who may do it (plan.progress.access) and what a save must meet
(plan.progress.validation), and leaves one history entry per record changed, written by
django-simple-history with who, when and why.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from plan.common.fiscal_year import FiscalYear
from plan.models import Measure, MeasureProgress, MeasureResponsibility, Plan
from plan.progress.access import can_edit_progress, check_can_manage_progress
from plan.progress.validation import (
    Change,
    changes_between,
    editable_values,
    progress_values_clean,
    progress_values_errors,
    version_conflict,
)

# Why a history entry was written, as people read it on the measure page.
REASON_FORM = "画面から更新"
REASON_ADMIN = "管理画面から更新"
REASON_START = "年度の開始"
REASON_RESPONSIBILITY = "所管の確認・修正"
REASON_REFERENCE_DATA = "参照データの読み込み"


# --- a year's progress -----------------------------------------------------------------------


def _progress_as_saved(pk: int) -> MeasureProgress:
    return MeasureProgress.objects.select_related("measure", "updated_by").prefetch_related("departments").get(pk=pk)


@transaction.atomic
def progress_update(
    *, progress: MeasureProgress, expected_version: int, values: dict, user, reason: str = REASON_FORM
) -> list[Change]:
    """Save the editable fields of one record, unless someone saved it since `expected_version`.

    Returns the changes made (none: nothing saved, the version stays). Raises PermissionDenied for
    a user who may not edit the record, ValidationError for values that break the rules, and
    ProgressConflict when the record moved on: then nothing is saved.
    """
    current = _progress_as_saved(progress.pk)
    if not can_edit_progress(user, current):
        raise PermissionDenied("この施策の進捗を編集する権限がありません。")
    values = progress_values_clean(values)
    changes = changes_between(current, values)
    if not changes:
        return []
    errors = progress_values_errors(editable_values(current) | values)
    if errors:
        raise ValidationError(errors)
    # The conditional UPDATE is the version check made atomic: it claims version n → n + 1 only if
    # the row is still at n, and holds the row until the transaction ends, so two saves from
    # version n cannot both win.
    claimed = MeasureProgress.objects.filter(pk=current.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not claimed:
        # The row is no longer at expected_version, so this is always a conflict.
        raise version_conflict(_progress_as_saved(progress.pk), expected_version)
    for name, value in values.items():
        setattr(current, name, value)
    current.version = expected_version + 1
    current.updated_at = timezone.now()
    current.updated_by = user
    # The history entry (with the departments) comes from simple_history's save path.
    current._history_user = user
    current._history_date = current.updated_at
    current._change_reason = reason
    current.save(update_fields=[*values, "version", "updated_at", "updated_by"])
    return changes


# --- starting a year and the reporting year --------------------------------------------------


def _year_in_plan(plan: Plan, fiscal_year: int) -> FiscalYear:
    year = FiscalYear(int(fiscal_year))
    if not plan.start_fiscal_year <= year.year <= plan.end_fiscal_year:
        raise ValidationError(
            f"{year.label}は計画期間（{plan.period_label}）の外です。計画期間内の年度を選んでください。"
        )
    return year


@dataclass
class YearStartResult:
    year: FiscalYear
    created: int
    existing: int


def _history_of_new_records(records: list[MeasureProgress], *, user, reason: str, when) -> None:
    """One "created" history entry per record, with its departments, in a few queries.

    simple_history's bulk API writes the entries; it has no bulk form of the departments' snapshot
    that its save path adds (HistoricalRecords.create_historical_record_m2ms), so the rows of that
    snapshot are copied here from the through table, column for column as the save path does."""
    entries = MeasureProgress.history.bulk_history_create(
        records, default_user=user, default_change_reason=reason, default_date=when
    )
    snapshot_model = MeasureProgress.history.model.departments.model
    through = MeasureProgress.departments.through
    rows = {}
    for row in through.objects.filter(measureprogress__in=records):
        rows.setdefault(row.measureprogress_id, []).append(row)
    snapshot_model.objects.bulk_create(
        [
            snapshot_model(
                history=entry, id=row.pk, measureprogress_id=row.measureprogress_id, department_id=row.department_id
            )
            for entry in entries
            for row in rows.get(entry.id, [])
        ]
    )


@transaction.atomic
def progress_year_start(*, plan: Plan, fiscal_year: int, user) -> YearStartResult:
    """Create each measure's record for the year: departments from the measure's responsibility,
    direction from last year's record, everything else blank (未更新). Records that already exist
    are left exactly as they are, so starting a year twice changes nothing. `user` None: a command."""
    check_can_manage_progress(user, action="年度を開始")
    year = _year_in_plan(plan, fiscal_year)
    measures = list(Measure.objects.filter(plan=plan).order_by("number"))
    existing = set(
        MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=year.year).values_list("measure_id", flat=True)
    )
    missing = [measure for measure in measures if measure.pk not in existing]
    if not missing:
        return YearStartResult(year, 0, len(existing))
    directions = dict(
        MeasureProgress.objects.filter(measure__in=missing, fiscal_year=year.previous().year).values_list(
            "measure_id", "direction"
        )
    )
    now = timezone.now()
    records = MeasureProgress.objects.bulk_create(
        [
            MeasureProgress(
                measure=measure, fiscal_year=year.year, direction=directions.get(measure.pk, ""), started_at=now
            )
            for measure in missing
        ]
    )
    if any(record.pk is None for record in records):  # a backend that does not return keys
        records = list(MeasureProgress.objects.filter(measure__in=missing, fiscal_year=year.year))
    departments = {}
    for measure_id, department_id in MeasureResponsibility.departments.through.objects.filter(
        measureresponsibility__measure__in=missing
    ).values_list("measureresponsibility__measure_id", "department_id"):
        departments.setdefault(measure_id, []).append(department_id)
    through = MeasureProgress.departments.through
    through.objects.bulk_create(
        [
            through(measureprogress_id=record.pk, department_id=department_id)
            for record in records
            for department_id in departments.get(record.measure_id, [])
        ]
    )
    _history_of_new_records(records, user=user, reason=f"{REASON_START}（{year.era_label}）", when=now)
    return YearStartResult(year, len(records), len(existing))


def plan_set_reporting_year(*, plan: Plan, fiscal_year: int, user) -> FiscalYear:
    """Set the year every page shows by default (Plan.reporting_fiscal_year). `user` None: a command."""
    check_can_manage_progress(user, action="報告対象年度を設定")
    year = _year_in_plan(plan, fiscal_year)
    plan.reporting_fiscal_year = year.year
    plan.save(update_fields=["reporting_fiscal_year"])
    return year


# --- responsibilities ------------------------------------------------------------------------


def _set_departments(instance, department_ids) -> None:
    """Replace the instance's departments without history entries of their own (set() would write
    one for the removal and one for the addition): the caller's save then writes the one entry,
    which holds the new departments."""
    instance.skip_history_when_saving = True
    try:
        instance.departments.set(department_ids)
    finally:
        del instance.skip_history_when_saving


@transaction.atomic
def responsibility_confirm(*, responsibility: MeasureResponsibility, departments, user, confirm=True) -> bool:
    """Set a measure's departments (and mark them confirmed, unless `confirm` is False).

    The change reaches the progress records of the reporting year and later years; earlier years
    keep the departments that were responsible then. Returns whether the departments changed.
    `user` None: the reference-data loader.
    """
    check_can_manage_progress(user, action="所管を確認・修正")
    department_ids = sorted({department.pk for department in departments})
    if not department_ids:
        raise ValidationError({"departments": "所管を1つ以上選んでください。"})
    responsibility = MeasureResponsibility.objects.select_for_update().get(pk=responsibility.pk)
    changed = set(responsibility.departments.values_list("pk", flat=True)) != set(department_ids)
    if confirm:
        responsibility.confirmed_at = timezone.now()
        responsibility.confirmed_by = user
    if changed:
        _set_departments(responsibility, department_ids)
    if changed or confirm:
        responsibility._history_user = user
        responsibility._change_reason = REASON_RESPONSIBILITY if user else REASON_REFERENCE_DATA
        responsibility.save()  # one history entry, with the new departments
    if changed:
        reporting_year = responsibility.measure.plan.current_reporting_year()
        records = (
            MeasureProgress.objects.select_for_update()
            .filter(measure=responsibility.measure, fiscal_year__gte=reporting_year.year)
            .prefetch_related("departments")
        )
        for record in records:
            if {department.pk for department in record.departments.all()} == set(department_ids):
                continue
            # Cleared without history, then added: simple_history's m2m support writes the one
            # entry (who, when, why, and the record with its new departments) on the add.
            record.skip_history_when_saving = True
            try:
                record.departments.clear()
            finally:
                del record.skip_history_when_saving
            record._history_user = user
            record._change_reason = REASON_RESPONSIBILITY
            record.departments.add(*department_ids)
    return changed
