"""Measure progress: the writes (update, start a year, confirm responsibilities, set the reporting
year), the validation they share, the progress list's queryset and the history shown to people.

Views, the admin, the spreadsheet import and the management command all call these functions, so
the rules (who may edit, the version check, what goes into history) hold on every path.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import dateformat, timezone

from plan.fiscal_year import FiscalYear
from plan.models import (
    Department,
    Goal,
    Listing,
    Measure,
    MeasureProgress,
    MeasureResponsibility,
    Plan,
    ProgressAssessment,
    ProgressDirection,
    department_scope,
)

TEXT_MAX_LENGTH = 2000
TEXT_FIELDS = ["achievements", "issues", "next_steps"]
FIELD_LABELS = {
    "assessment": "進捗状況",
    "direction": "今後の方向性",
    "achievements": "実績",
    "issues": "課題",
    "next_steps": "今後の取組",
    "departments": "所管",
}
_CHOICE_LABELS = {
    "assessment": dict(ProgressAssessment.choices),
    "direction": dict(ProgressDirection.choices),
}

# Why a history entry was written, as people read it on the measure page.
REASON_FORM = "画面から更新"
REASON_ADMIN = "管理画面から更新"
REASON_START = "年度の開始"
REASON_RESPONSIBILITY = "所管の確認・修正"


# --- validation ------------------------------------------------------------------------------


def normalize_text(value) -> str:
    """Text as stored: line ends as \\n, no blank lines or spaces around the whole text."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def validate_progress_values(values: dict) -> dict[str, str]:
    """The rules a saved record must meet, as {field: message in Japanese}; empty when valid.

    One place for the form, the admin and the spreadsheet import. A record that has just been
    started is blank; these rules apply when someone records the year's progress.
    """
    errors = {}
    if not values.get("assessment"):
        errors["assessment"] = "進捗状況を選んでください。"
    elif values["assessment"] not in ProgressAssessment.values:
        errors["assessment"] = "進捗状況の値が正しくありません。"
    if not values.get("direction"):
        errors["direction"] = "今後の方向性を選んでください。"
    elif values["direction"] not in ProgressDirection.values:
        errors["direction"] = "今後の方向性の値が正しくありません。"
    # Nothing achieved yet is a valid answer only for a measure not started.
    if not values.get("achievements") and values.get("assessment") != ProgressAssessment.NOT_STARTED:
        errors["achievements"] = "実績を入力してください（進捗状況が「未着手」の場合のみ空欄にできます）。"
    for name in TEXT_FIELDS:
        if len(values.get(name) or "") > TEXT_MAX_LENGTH:
            errors[name] = f"{FIELD_LABELS[name]}は{TEXT_MAX_LENGTH}文字以内で入力してください（現在 {len(values[name])} 文字）。"
    return errors


def display_value(name: str, value) -> str:
    """A field's value as people read it: choice labels, department names, （空欄） for nothing."""
    if name in _CHOICE_LABELS:
        return _CHOICE_LABELS[name].get(value, value) if value else "（空欄）"
    if name == "departments":
        return "、".join(value) if value else "（なし）"
    return value if value else "（空欄）"


# --- updating a record -----------------------------------------------------------------------


@dataclass
class Change:
    field: str
    old: object
    new: object

    @property
    def label(self):
        return FIELD_LABELS[self.field]

    @property
    def old_display(self):
        return display_value(self.field, self.old)

    @property
    def new_display(self):
        return display_value(self.field, self.new)


class ProgressConflict(Exception):
    """Someone saved the record after the version the caller started from; nothing was saved.

    `current` is the record as it is now, `changes` what was changed since `expected_version`.
    """

    def __init__(self, *, current: MeasureProgress, expected_version: int, changes: list[Change]):
        self.current = current
        self.expected_version = expected_version
        self.changes = changes
        super().__init__(
            f"No.{current.measure.number} の記録は版 {expected_version} の後に更新されています（現在の版 {current.version}）。"
        )

    @property
    def message(self):
        who = self.current.updated_by or "他の利用者"
        when = (
            dateformat.format(timezone.localtime(self.current.updated_at), "Y年n月j日 H:i")
            if self.current.updated_at
            else ""
        )
        return (
            f"この記録は、あなたが編集を始めた後に{who}さんが{when}に更新したため、保存しませんでした。"
            "相手の変更内容を確認してください。あなたの入力は消えていません。必要なら調整して、もう一度保存してください。"
        )


def changes_since(record: MeasureProgress, version: int) -> list[Change]:
    """What changed in `record` since it was at `version` (from its history)."""
    then = record.history.filter(version=version).order_by("-history_date", "-history_id").first()
    if then is None:
        return []
    old = {name: getattr(then, name) for name in MeasureProgress.EDITABLE_FIELDS}
    return [
        Change(name, old[name], getattr(record, name))
        for name in MeasureProgress.EDITABLE_FIELDS
        if old[name] != getattr(record, name)
    ]


def clean_values(values: dict) -> dict:
    return {
        name: normalize_text(values.get(name)) if name in TEXT_FIELDS else (values.get(name) or "")
        for name in MeasureProgress.EDITABLE_FIELDS
        if name in values
    }


@transaction.atomic
def progress_update(
    *, progress: MeasureProgress, expected_version: int, values: dict, user, reason: str = REASON_FORM
) -> list[Change]:
    """Save the editable fields of one record, unless someone saved it since `expected_version`.

    Returns the changes made (none: nothing saved, the version stays). Raises PermissionDenied for
    a user who may not edit the record, ValidationError for values that break the rules, and
    ProgressConflict when the record moved on: then nothing is saved.
    """
    current = (
        MeasureProgress.objects.select_related("measure", "updated_by")
        .prefetch_related("departments")
        .get(pk=progress.pk)
    )
    if not current.can_be_edited_by(user):
        raise PermissionDenied("この施策の進捗を編集する権限がありません。")
    values = clean_values(values)
    changes = [
        Change(name, getattr(current, name), value)
        for name, value in values.items()
        if getattr(current, name) != value
    ]
    if not changes:
        return []
    errors = validate_progress_values({**{n: getattr(current, n) for n in MeasureProgress.EDITABLE_FIELDS}, **values})
    if errors:
        raise ValidationError(errors)
    # The conditional UPDATE is the check: it claims version n → n + 1 only if the row is still at n,
    # and holds the row until the transaction ends, so two saves from version n cannot both win.
    claimed = MeasureProgress.objects.filter(pk=current.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not claimed:
        current = (
            MeasureProgress.objects.select_related("measure", "updated_by")
            .prefetch_related("departments")
            .get(pk=progress.pk)
        )
        raise ProgressConflict(
            current=current, expected_version=expected_version, changes=changes_since(current, expected_version)
        )
    for name, value in values.items():
        setattr(current, name, value)
    current.version = expected_version + 1
    current.updated_at = timezone.now()
    current.updated_by = user
    current._history_user = user
    current._change_reason = reason
    current.save()  # writes the fields and the history entry (who, when, why, with departments)
    return changes


# --- history written in bulk -----------------------------------------------------------------


def _write_history(records, *, user, reason, history_type):
    """One history entry per record, with its departments, in a few queries (bulk paths)."""
    history_model = MeasureProgress.history.model
    entries = MeasureProgress.history.bulk_history_create(
        records, update=history_type == "~", default_user=user, default_change_reason=reason
    )
    m2m_history = history_model.departments.model
    through = MeasureProgress.departments.through
    by_record = {}
    for row in through.objects.filter(measureprogress__in=records):
        by_record.setdefault(row.measureprogress_id, []).append(row)
    m2m_history.objects.bulk_create(
        [
            m2m_history(
                history=entry, id=row.pk, measureprogress_id=row.measureprogress_id, department_id=row.department_id
            )
            for entry in entries
            for row in by_record.get(entry.id, [])
        ]
    )


def _set_record_departments(records, department_ids, *, user, reason):
    """Give each record exactly these departments, with one history entry per record changed."""
    through = MeasureProgress.departments.through
    wanted = set(department_ids)
    current = {}
    for record_id, department_id in through.objects.filter(measureprogress__in=records).values_list(
        "measureprogress_id", "department_id"
    ):
        current.setdefault(record_id, set()).add(department_id)
    changed = [record for record in records if current.get(record.pk, set()) != wanted]
    if not changed:
        return []
    # Through rows directly: the related manager's set() would write two history entries per record.
    through.objects.filter(measureprogress__in=changed).delete()
    through.objects.bulk_create(
        [through(measureprogress_id=record.pk, department_id=pk) for record in changed for pk in sorted(wanted)]
    )
    _write_history(changed, user=user, reason=reason, history_type="~")
    return changed


# --- starting a year and the reporting year --------------------------------------------------


def _check_in_plan(plan: Plan, fiscal_year: int) -> FiscalYear:
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


@transaction.atomic
def progress_year_start(*, plan: Plan, fiscal_year: int, user) -> YearStartResult:
    """Create each measure's record for the year: departments from the measure's responsibility,
    direction from last year's record, everything else blank (未更新). Records that already exist
    are left exactly as they are, so starting a year twice changes nothing."""
    from plan.roles import is_plan_admin

    if user is not None and not is_plan_admin(user):
        raise PermissionDenied("年度を開始できるのは計画管理者だけです。")
    year = _check_in_plan(plan, fiscal_year)
    measures = list(Measure.objects.filter(plan=plan).order_by("number"))
    existing = set(
        MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=year.year).values_list("measure_id", flat=True)
    )
    missing = [measure for measure in measures if measure.pk not in existing]
    if not missing:
        return YearStartResult(year, 0, len(existing))
    directions = dict(
        MeasureProgress.objects.filter(measure__in=missing, fiscal_year=year.year - 1).values_list(
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
    _write_history(records, user=user, reason=f"{REASON_START}（{year.era_label}）", history_type="+")
    return YearStartResult(year, len(records), len(existing))


def plan_set_reporting_year(*, plan: Plan, fiscal_year: int, user) -> FiscalYear:
    """Set the year every page shows by default (Plan.reporting_fiscal_year)."""
    from plan.roles import is_plan_admin

    if not is_plan_admin(user):
        raise PermissionDenied("報告対象年度を設定できるのは計画管理者だけです。")
    year = _check_in_plan(plan, fiscal_year)
    plan.reporting_fiscal_year = year.year
    plan.save(update_fields=["reporting_fiscal_year"])
    return year


def started_years(plan: Plan) -> dict[int, dict]:
    """{year: {"records": n, "not_updated": n}} for the years that have records."""
    rows = (
        MeasureProgress.objects.filter(measure__plan=plan)
        .values("fiscal_year")
        .annotate(records=Count("pk"), not_updated=Count("pk", filter=Q(updated_at__isnull=True)))
    )
    return {row["fiscal_year"]: row for row in rows}


def next_year_to_start(plan: Plan) -> FiscalYear | None:
    years = started_years(plan)
    candidate = FiscalYear(max(years) + 1) if years else FiscalYear(plan.start_fiscal_year)
    return candidate if candidate.year <= plan.end_fiscal_year else None


# --- responsibilities ------------------------------------------------------------------------


@transaction.atomic
def responsibility_confirm(*, responsibility: MeasureResponsibility, departments, user, confirm=True) -> bool:
    """Set a measure's departments (and mark them confirmed, unless `confirm` is False).

    The change reaches the progress records of the reporting year and later years; earlier years
    keep the departments that were responsible then. Returns whether the departments changed.
    """
    from plan.roles import is_plan_admin

    if user is not None and not is_plan_admin(user):
        raise PermissionDenied("所管を確認・修正できるのは計画管理者だけです。")
    department_ids = sorted({department.pk for department in departments})
    if not department_ids:
        raise ValidationError({"departments": "所管を1つ以上選んでください。"})
    responsibility = MeasureResponsibility.objects.select_for_update().get(pk=responsibility.pk)
    before = set(responsibility.departments.values_list("pk", flat=True))
    changed = before != set(department_ids)
    responsibility._history_user = user
    responsibility._change_reason = REASON_RESPONSIBILITY if user else "参照データの読み込み"
    if confirm:
        responsibility.confirmed_at = timezone.now()
        responsibility.confirmed_by = user
    if changed:
        # Through rows directly, then one save: one history entry with the new departments.
        through = MeasureResponsibility.departments.through
        through.objects.filter(measureresponsibility=responsibility).delete()
        through.objects.bulk_create(
            [through(measureresponsibility=responsibility, department_id=pk) for pk in department_ids]
        )
    if changed or confirm:
        responsibility.save()
    if changed:
        plan = responsibility.measure.plan
        records = list(
            MeasureProgress.objects.filter(
                measure=responsibility.measure, fiscal_year__gte=plan.current_reporting_year().year
            )
        )
        _set_record_departments(records, department_ids, user=user, reason=REASON_RESPONSIBILITY)
    return changed


# --- the progress list -----------------------------------------------------------------------


@dataclass
class ProgressFilters:
    goal: int | None = None
    area: int | None = None
    department: Department | None = None
    assessment: str = ""  # a value, "none" for not yet assessed, or "" for all
    not_updated: bool = False
    mine: bool = False
    q: str = ""

    @property
    def active(self):
        return bool(
            self.goal or self.area or self.department or self.assessment or self.not_updated or self.mine or self.q
        )


def _department_and_divisions(department: Department) -> list[int]:
    if department.parent_id:
        return [department.pk]
    return [department.pk, *Department.objects.filter(parent=department).values_list("pk", flat=True)]


def progress_listings(*, plan: Plan, year: int, filters: ProgressFilters, user):
    """The rows of the progress list: every listing (re-listings where the plan lists them) in the
    plan's order, each with its measure's record for `year` as `measure.year_records` (0 or 1)."""
    records = MeasureProgress.objects.filter(fiscal_year=year).select_related("updated_by").prefetch_related(
        "departments__parent"
    )
    listings = (
        Listing.objects.filter(measure__plan=plan)
        .select_related("measure", "area__goal")
        .prefetch_related(Prefetch("measure__progress_records", queryset=records, to_attr="year_records"))
        .order_by("area__goal__number", "area__position", "position")
    )
    if filters.goal:
        listings = listings.filter(area__goal__number=filters.goal)
    if filters.area:
        listings = listings.filter(area_id=filters.area)
    if filters.q:
        listings = listings.filter(measure__in=Measure.objects.filter(plan=plan).search(filters.q).values("pk"))
    record_filter = Q()
    if filters.department:
        record_filter &= Q(departments__in=_department_and_divisions(filters.department))
    if filters.assessment == "none":
        record_filter &= Q(assessment="")
    elif filters.assessment:
        record_filter &= Q(assessment=filters.assessment)
    if filters.not_updated:
        record_filter &= Q(updated_at__isnull=True)
    if filters.mine:
        record_filter &= Q(pk__in=MeasureProgress.objects.editable_by(user).values("pk"))
    if record_filter:
        matching = MeasureProgress.objects.filter(record_filter, fiscal_year=year, measure=OuterRef("measure"))
        listings = listings.filter(Exists(matching))
    return listings


@dataclass
class GoalCounts:
    goal: Goal
    counts: dict = field(default_factory=dict)  # assessment value ("" for not assessed) -> n
    not_updated: int = 0
    records: int = 0

    def count(self, value):
        return self.counts.get(value, 0)

    @property
    def unassessed(self):
        return self.counts.get("", 0)

    @property
    def cells(self):
        return [(value, label, self.count(value)) for value, label in ProgressAssessment.choices]


def progress_counts(*, plan: Plan, year: int) -> list[GoalCounts]:
    """Records per assessment for each goal, each measure counted once, under its original listing."""
    goals = {goal.number: GoalCounts(goal) for goal in Goal.objects.filter(plan=plan).order_by("number")}
    rows = (
        MeasureProgress.objects.filter(
            measure__plan=plan, fiscal_year=year, measure__listings__relisted=False
        )
        .values("measure__listings__area__goal__number", "assessment")
        .annotate(n=Count("pk"), not_updated=Count("pk", filter=Q(updated_at__isnull=True)))
    )
    for row in rows:
        counts = goals.get(row["measure__listings__area__goal__number"])
        if counts is None:
            continue
        counts.counts[row["assessment"]] = counts.counts.get(row["assessment"], 0) + row["n"]
        counts.not_updated += row["not_updated"]
        counts.records += row["n"]
    return list(goals.values())


# --- history shown on the measure page -------------------------------------------------------


@dataclass
class HistoryEntry:
    when: object
    user: object
    year: FiscalYear
    reason: str
    created: bool
    version: int
    changes: list[Change]


def progress_history(measure: Measure) -> list[HistoryEntry]:
    """Every change to the measure's progress records, newest first: who, when, why, old → new."""
    history_model = MeasureProgress.history.model
    entries = list(
        history_model.objects.filter(measure_id=measure.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    m2m_history = history_model.departments.model
    names = {department.pk: str(department) for department in Department.objects.select_related("parent")}
    departments = {}
    for history_id, department_id in m2m_history.objects.filter(history__in=entries).values_list(
        "history_id", "department_id"
    ):
        departments.setdefault(history_id, []).append(names.get(department_id, f"（削除された所管 {department_id}）"))

    result, previous = [], {}
    for entry in entries:
        state = {name: getattr(entry, name) for name in MeasureProgress.EDITABLE_FIELDS}
        state["departments"] = sorted(departments.get(entry.history_id, []))
        before = previous.get(entry.id)
        if before is None:
            changes = [Change(name, None, value) for name, value in state.items() if value]
        else:
            changes = [Change(name, before[name], value) for name, value in state.items() if before[name] != value]
        previous[entry.id] = state
        if before is not None and not changes:
            continue  # nothing a person would see changed
        result.append(
            HistoryEntry(
                when=entry.history_date,
                user=entry.history_user,
                year=FiscalYear(entry.fiscal_year),
                reason=entry.history_change_reason or "",
                created=before is None,
                version=entry.version,
                changes=changes,
            )
        )
    result.sort(key=lambda item: item.when, reverse=True)
    return result


def measure_progress_records(measure: Measure):
    """The measure's records, newest year first, with what the page shows of each."""
    return list(
        MeasureProgress.objects.filter(measure=measure)
        .select_related("updated_by")
        .prefetch_related("departments__parent")
        .order_by("-fiscal_year")
    )


def editable_scope_label(user) -> str:
    """Which departments' measures the user edits, for the page header."""
    from plan.roles import is_plan_admin

    if is_plan_admin(user):
        return "すべての施策"
    scope = department_scope(user)
    if not scope:
        return ""
    return "、".join(str(d) for d in user.departments.select_related("parent"))


__all__ = [
    "Change",
    "ProgressConflict",
    "ProgressFilters",
    "progress_update",
    "progress_year_start",
    "plan_set_reporting_year",
    "responsibility_confirm",
    "validate_progress_values",
]


def measure_progress_context(*, measure: Measure, user, plan: Plan) -> dict:
    """What the measure page shows of progress: each year's record, the history, edit links."""
    records = measure_progress_records(measure)
    for record in records:
        record.editable = record.can_be_edited_by(user)
    return {
        "progress_records": records,
        "progress_history": progress_history(measure),
        "progress_reporting_year": plan.current_reporting_year(),
    }
