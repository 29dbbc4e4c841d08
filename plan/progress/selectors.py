"""Measure progress: the reads behind the pages. The progress list and its counts, the years
started, and what the measure page shows of progress (each year's record and the history)."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.text import Truncator

from plan.accounts.roles import Role, has_role, is_plan_admin
from plan.common.fiscal_year import FiscalYear
from plan.forms import ProgressFilterForm
from plan.models import Area, Department, Goal, Listing, Measure, MeasureProgress, Plan, ProgressAssessment
from plan.progress.access import ProgressScope, department_scope, progress_edit_scope
from plan.progress.validation import Change, editable_values

# --- the progress list -----------------------------------------------------------------------

# The list shows this many characters of a year's achievements, then a link to the full text.
ACHIEVEMENTS_SHOWN = 80


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


@dataclass
class ProgressListQuery:
    """What the list page (and its download, plan.progress.list_export) reads from its query string."""

    plan: Plan
    form: ProgressFilterForm
    year: FiscalYear
    filters: ProgressFilters


def progress_list_query(plan: Plan, params) -> ProgressListQuery:
    """The list page's filter form on `params`, and the year and filters it gives (an invalid form
    filters nothing and shows the reporting year, as the page does)."""
    goals = list(Goal.objects.filter(plan=plan).order_by("number"))
    form = ProgressFilterForm(
        params or None,
        initial={"year": plan.current_reporting_year().year},
        plan=plan,
        goals=goals,
        areas=Area.objects.filter(goal__plan=plan).select_related("goal"),
        departments=Department.objects.filter(is_active=True).select_related("parent"),
    )
    data = form.cleaned_data if form.is_valid() else {}
    year = data.get("year")
    year = (
        FiscalYear(year) if year in {fy.year for fy in plan.fiscal_years} else plan.current_reporting_year()
    )
    filters = ProgressFilters(
        goal=data.get("goal"),
        area=data["area"].pk if data.get("area") else None,
        department=data.get("department"),
        assessment=data.get("assessment") or "",
        not_updated=bool(data.get("not_updated")),
        mine=bool(data.get("mine")),
        q=data.get("q") or "",
    )
    return ProgressListQuery(plan, form, year, filters)


def progress_listings(*, plan: Plan, fiscal_year: int, filters: ProgressFilters, user) -> list[Listing]:
    """The rows of the progress list: every listing (re-listings where the plan lists them) in the
    plan's order, each with its measure's record for the year as `record` (None before the year is
    started), whether `user` may edit it there as `editable` (never on a re-listing), and as
    `bureau_level` whether the department filter (or the user's own scope) takes the record only
    because its responsibility is recorded at bureau level.

    The 所管 filter and 「自分の所管のみ」 are the same rule (`department_scope`), so a division's
    filter finds exactly what that division's staff see as their own."""
    # fixture_values (what the reference-data loader last wrote) is a JSON column on every plan
    # row: never shown, and decoding it for each of thousands of rows cost more than the query.
    departments = Department.objects.select_related("parent").defer("fixture_values", "parent__fixture_values")
    records = (
        MeasureProgress.objects.filter(fiscal_year=fiscal_year)
        .select_related("updated_by")
        .prefetch_related(Prefetch("departments", queryset=departments))
    )
    listings = (
        Listing.objects.filter(measure__plan=plan)
        .select_related("measure", "area__goal")
        .defer("fixture_values", "measure__fixture_values", "area__fixture_values", "area__goal__fixture_values")
        .prefetch_related(Prefetch("measure__progress_records", queryset=records, to_attr="year_records"))
        .order_by("area__goal__number", "area__position", "position")
    )
    if filters.goal:
        listings = listings.filter(area__goal__number=filters.goal)
    if filters.area:
        listings = listings.filter(area_id=filters.area)
    if filters.q:
        listings = listings.filter(measure__in=Measure.objects.filter(plan=plan).search(filters.q).values("pk"))
    scope = progress_edit_scope(user)
    department = department_scope([filters.department]) if filters.department else None
    record_filter = Q()
    if filters.assessment == "none":
        record_filter &= Q(assessment="")
    elif filters.assessment:
        record_filter &= Q(assessment=filters.assessment)
    if filters.not_updated:
        record_filter &= Q(updated_at__isnull=True)
    if record_filter or department or filters.mine:
        matching = MeasureProgress.objects.filter(record_filter, fiscal_year=fiscal_year, measure=OuterRef("measure"))
        if department:
            matching = department.filter(matching)
        if filters.mine:
            # The edit scope is empty for anyone who may not edit (and so for anyone who may not read).
            matching = scope.filter(matching)
        listings = listings.filter(Exists(matching))
    shown_scope = department or scope
    rows = list(listings)
    for listing in rows:
        record = listing.record = listing.measure.year_records[0] if listing.measure.year_records else None
        listing.editable = bool(record and not listing.relisted and scope.covers(record))
        listing.bureau_level = bool(record and shown_scope.covers_by_bureau_only(record))
        # What the row shows, worked out here once rather than by template filters on every row
        # (the list has a row per listing: 138 in Tokyo's plan, thousands at ten-fold size).
        listing.department_names = "、".join(map(str, _prefetched_departments(record))) if record else ""
        listing.achievements = record.achievements if record else ""
        listing.achievements_short = (
            Truncator(listing.achievements).chars(ACHIEVEMENTS_SHOWN)
            if len(listing.achievements) > ACHIEVEMENTS_SHOWN
            else ""
        )
    return rows


def _prefetched_departments(record: MeasureProgress):
    """The record's prefetched departments, read from the prefetch without `.all()`, which builds
    a new queryset for every record (a third of the list's time at ten-fold size). The same names
    as `MeasureProgress.department_names`."""
    cached = getattr(record, "_prefetched_objects_cache", {}).get("departments")
    return cached if cached is not None else record.departments.all()


@dataclass
class ScopeCounts:
    """A scope's records in one year: how many, how many not yet updated, and how many it takes
    only because their responsibility is recorded at bureau level."""

    departments: list[Department] = field(default_factory=list)
    records: int = 0
    not_updated: int = 0
    bureau_level: int = 0


def progress_scope_counts(*, plan: Plan, fiscal_year: int, scope: ProgressScope) -> ScopeCounts:
    """Counts of the records `scope` takes in the year: the same rule as the filter and the edit links."""
    records = MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=fiscal_year)
    totals = scope.filter(records).aggregate(
        records=Count("pk"), not_updated=Count("pk", filter=Q(updated_at__isnull=True))
    )
    bureau_level = scope.filter_bureau_level_only(records).count() if scope.bureau_level_ids else 0
    return ScopeCounts(records=totals["records"], not_updated=totals["not_updated"], bureau_level=bureau_level)


def my_progress_counts(*, plan: Plan, fiscal_year: int, user) -> ScopeCounts | None:
    """「自分の所管」 for a bureau staff member (None for anyone else): their active departments and
    the counts of their records, read through their edit scope."""
    if is_plan_admin(user) or not has_role(user, Role.BUREAU_STAFF):
        return None
    counts = progress_scope_counts(plan=plan, fiscal_year=fiscal_year, scope=progress_edit_scope(user))
    counts.departments = list(user.departments.filter(is_active=True).select_related("parent"))
    return counts


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


def progress_counts(*, plan: Plan, fiscal_year: int) -> list[GoalCounts]:
    """Records per assessment for each goal, each measure counted once, under its original listing."""
    goals = {goal.number: GoalCounts(goal) for goal in Goal.objects.filter(plan=plan).order_by("number")}
    rows = (
        MeasureProgress.objects.filter(
            measure__plan=plan, fiscal_year=fiscal_year, measure__listings__relisted=False
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


# --- the years -------------------------------------------------------------------------------


def started_years(plan: Plan) -> dict[int, dict]:
    """{fiscal year: {"records": n, "not_updated": n}} for the years that have records."""
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


# --- the measure page ------------------------------------------------------------------------


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
    snapshot_model = history_model.departments.model
    names = {department.pk: str(department) for department in Department.objects.select_related("parent")}
    departments = {}
    for history_id, department_id in snapshot_model.objects.filter(history__in=entries).values_list(
        "history_id", "department_id"
    ):
        departments.setdefault(history_id, []).append(names.get(department_id, f"（削除された所管 {department_id}）"))

    result, previous = [], {}
    for entry in entries:
        state = editable_values(entry)
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


def measure_progress_context(*, measure: Measure, user, plan: Plan) -> dict:
    """What the measure page shows of progress: each year's record (newest first, with whether
    `user` may edit it), the history, and the reporting year."""
    records = list(
        MeasureProgress.objects.filter(measure=measure)
        .select_related("updated_by")
        .prefetch_related("departments__parent")
        .order_by("-fiscal_year")
    )
    scope = progress_edit_scope(user)
    for record in records:
        record.editable = scope.covers(record)
    return {
        "progress_records": records,
        "progress_history": progress_history(measure),
        "progress_reporting_year": plan.current_reporting_year(),
    }
