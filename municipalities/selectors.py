"""Reading the annual returns for pages and indicators: the latest accepted information per
municipality, last year's accepted return, and what changed since it; and the reads behind the
secretariat's pages (rounds and their figures, a round's returns, the review page, the status
matrix, a municipality's returns), each a fixed number of queries.

"Latest accepted" (docs/returns.md): for a fiscal year Y, a municipality's latest accepted return
is its accepted return of the latest round whose reporting year is Y or earlier. A return that is
being written or reviewed does not count until it is accepted, so a municipality whose plan was
accepted last year still counts while this year's return is in review; a reopened return stops
counting until it is accepted again.
"""

import datetime
from dataclasses import dataclass, field, replace

from django.db import models
from django.db.models import Count, F, Min, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from meetings.access import organizations_named_for
from meetings.models import Organization
from meetings.provider_names import mask_provider_names
from municipalities import access
from municipalities.models import (
    COUNCIL_TIERS,
    RETURN_SECTIONS,
    AnnualReturn,
    Municipality,
    MunicipalOfficer,
    ReturnCourseAttendance,
    ReturnReminder,
    ReturnRound,
    ReturnState,
    ReturnTransition,
    WorkerPlacement,
    YesNoUnknown,
)
from plan.accounts.roles import GROUP_NAMES, Role
from plan.common.fiscal_year import FiscalYear, era_date, era_datetime


def last_accepted_before(annual_return: AnnualReturn) -> AnnualReturn | None:
    """The municipality's accepted return of the latest round before this one's year."""
    return (
        AnnualReturn.objects.accepted()
        .filter(
            municipality_id=annual_return.municipality_id,
            round__fiscal_year__lt=annual_return.round.fiscal_year,
        )
        .select_related("round")
        .order_by("-round__fiscal_year")
        .first()
    )


def latest_accepted_returns(
    *, as_of_fiscal_year: int, fields: tuple[str, ...] = ()
) -> dict[int, AnnualReturn]:
    """{municipality id: its latest accepted return for a round of `as_of_fiscal_year` or before}.

    One query that returns the latest only (each municipality's accepted returns up to the year
    numbered latest round first, a round per year and a return per round and municipality):
    reading every accepted return of every year and keeping the first made the status matrix cost
    0.6 s at national size with ten years of rounds (docs/benchmarks.md). With `fields`, only
    those answers are read (besides the municipality and the round's year), for a page that shows
    a few of them."""
    returns = (
        AnnualReturn.objects.accepted()
        .filter(round__fiscal_year__lte=as_of_fiscal_year)
        .annotate(
            recency=Window(
                RowNumber(), partition_by=[F("municipality_id")], order_by=F("round__fiscal_year").desc()
            )
        )
        .filter(recency=1)
        .select_related("round")
    )
    if fields:
        returns = returns.only("municipality", "state", "round__fiscal_year", *fields)
    return {annual_return.municipality_id: annual_return for annual_return in returns}


@dataclass
class MunicipalityStatus:
    """A municipality's latest accepted information as of a fiscal year (None: nothing accepted yet)."""

    municipality: Municipality
    annual_return: AnnualReturn | None

    @property
    def fiscal_year(self) -> int | None:
        """The reporting year the information comes from."""
        return self.annual_return.round.fiscal_year if self.annual_return else None

    @property
    def has_basic_plan(self) -> bool:
        """Indicator ⑤: a basic plan of its own or made as part of another plan."""
        return bool(self.annual_return and self.annual_return.has_basic_plan)

    @property
    def council_is_set_up(self) -> bool:
        """Indicator ⑥: a council set up, or an existing council serving as one."""
        return bool(self.annual_return and self.annual_return.council_is_set_up)


def latest_accepted_status(as_of_fiscal_year: int, fields: tuple[str, ...] = ()) -> list[MunicipalityStatus]:
    """Every municipality, in code order, with its latest accepted return as of the year
    (for indicators ⑤ and ⑥ and their drill-down; with `fields`, only those answers). Two queries."""
    latest = latest_accepted_returns(as_of_fiscal_year=as_of_fiscal_year, fields=fields)
    return [
        MunicipalityStatus(municipality=municipality, annual_return=latest.get(municipality.pk))
        for municipality in Municipality.objects.order_by("code")
    ]


# --- what changed since last year -----------------------------------------------------------------


NOT_KNOWN = "（空欄）"


def field_label(name: str) -> str:
    return str(AnnualReturn._meta.get_field(name).verbose_name)


def answer_values(annual_return: AnnualReturn) -> dict:
    """The return's answers as comparable values: scalar fields as stored, the organisations as
    sets of ids."""
    values = {name: getattr(annual_return, name) for name in AnnualReturn.ANSWER_FIELDS}
    for name in AnnualReturn.ANSWER_M2M_FIELDS:
        values[name] = (
            set(getattr(annual_return, name).values_list("pk", flat=True)) if annual_return.pk else set()
        )
    return values


def display_value(name: str, value) -> str:
    """An answer as people read it: choice labels, はい/いいえ, （空欄） for nothing."""
    field = AnnualReturn._meta.get_field(name)
    if isinstance(value, set):
        if not value:
            return "（なし）"
        return "、".join(
            Organization.objects.filter(pk__in=value).order_by("name").values_list("name", flat=True)
        )
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if field.choices:
        return dict(field.choices).get(value, value) or NOT_KNOWN
    if value is None or value == "":
        return NOT_KNOWN
    return str(value)


@dataclass
class FieldDifference:
    name: str
    previous: object
    current: object

    @property
    def label(self) -> str:
        return field_label(self.name)

    @property
    def previous_display(self) -> str:
        return display_value(self.name, self.previous)

    @property
    def current_display(self) -> str:
        return display_value(self.name, self.current)


def differences(before: dict, after: dict) -> list[FieldDifference]:
    """The answers that differ between two `answer_values`, in the form's order."""
    names = [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]
    return [
        FieldDifference(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def fields_changed_since_last_accepted(annual_return: AnnualReturn) -> list[FieldDifference]:
    """The answers that differ from the municipality's last accepted return (of an earlier round),
    for highlighting to the reviewer. Empty when there is no earlier accepted return to compare
    with (see `last_accepted_before`). The courses attended are not compared: they are the year's
    own courses."""
    previous = last_accepted_before(annual_return)
    if previous is None:
        return []
    return differences(answer_values(previous), answer_values(annual_return))


# --- the secretariat's pages: dates as people read them -------------------------------------------


def _with_labels(transitions):
    for transition in transitions:
        transition.at_label = era_datetime(transition.at)
    return transitions


def _transitions_prefetch(user):
    """Every return's transitions, oldest first, with who made them, as `transition_list`."""
    queryset = access.transitions_visible_to(user, ReturnTransition.objects.select_related("by")).order_by(
        "at", "id"
    )
    return Prefetch("transitions", queryset=queryset, to_attr="transition_list")


# --- the rounds ---------------------------------------------------------------------------------------


@dataclass
class RoundSummary:
    """A round with its counts, for the list of rounds."""

    round: ReturnRound
    total: int
    submitted: int  # awaiting review (提出済み)
    sent_back: int
    accepted: int

    @property
    def drafts(self) -> int:
        return self.total - self.submitted - self.sent_back - self.accepted

    @property
    def deadline_label(self) -> str:
        return era_date(self.round.deadline, western=True)

    @property
    def opened_label(self) -> str:
        return era_datetime(self.round.opened_at)

    @property
    def closed_label(self) -> str:
        return era_datetime(self.round.closed_at)


def round_summaries(user) -> list[RoundSummary]:
    """Every round the user sees, newest year first, with its returns counted by state. One query."""
    state = "returns__state"
    rounds = (
        access.rounds_visible_to(user)
        .select_related("opened_by", "closed_by")
        .annotate(
            n_total=Count("returns"),
            n_submitted=Count("returns", filter=Q(**{state: ReturnState.SUBMITTED})),
            n_sent_back=Count("returns", filter=Q(**{state: ReturnState.SENT_BACK})),
            n_accepted=Count("returns", filter=Q(**{state: ReturnState.ACCEPTED})),
        )
        .order_by("-fiscal_year")
    )
    return [
        RoundSummary(round, round.n_total, round.n_submitted, round.n_sent_back, round.n_accepted)
        for round in rounds
    ]


def years_to_open(plan) -> list[FiscalYear]:
    """The plan's years that have no round yet (a year is opened once)."""
    opened = set(ReturnRound.objects.values_list("fiscal_year", flat=True))
    return [year for year in plan.fiscal_years if year.year not in opened] if plan else []


class Timeliness(models.TextChoices):
    """When a return came in, against the round's deadline."""

    ON_TIME = "on_time", "期限内"
    LATE = "late", "期限後"
    NOT_YET = "not_yet", "未提出"


def timeliness_of(first_submitted_at: datetime.datetime | None, deadline: datetime.date) -> str:
    """期限内 when first submitted by the deadline (Tokyo's calendar day), 期限後 after it, 未提出 if not in."""
    if first_submitted_at is None:
        return Timeliness.NOT_YET
    return (
        Timeliness.ON_TIME if timezone.localtime(first_submitted_at).date() <= deadline else Timeliness.LATE
    )


@dataclass
class LastChange:
    what: str
    by: object
    at: datetime.datetime

    @property
    def at_label(self) -> str:
        return era_datetime(self.at)


@dataclass
class RoundRow:
    """One municipality's return on the round page. Its transitions are prefetched
    (`transition_list`), so nothing here costs a query."""

    annual_return: AnnualReturn
    deadline: datetime.date

    @property
    def municipality(self) -> Municipality:
        return self.annual_return.municipality

    @property
    def first_submitted_at(self) -> datetime.datetime | None:
        """When the return was first submitted, if it is submitted now, or was and came back for
        correction (差戻し) or was accepted. A return withdrawn to a draft is not in (未提出).

        The first submission, not the latest: a return in by the deadline and sent back for a
        correction stays 期限内 when it is submitted again."""
        if self.annual_return.state == ReturnState.DRAFT:
            return None
        submissions = [
            t.at for t in self.annual_return.transition_list if t.to_state == ReturnState.SUBMITTED
        ]
        return submissions[0] if submissions else self.annual_return.submitted_at

    @property
    def first_submitted_label(self) -> str:
        return era_date(self.first_submitted_at)

    @property
    def timeliness(self) -> str:
        return timeliness_of(self.first_submitted_at, self.deadline)

    @property
    def timeliness_label(self) -> str:
        return Timeliness(self.timeliness).label

    @property
    def last_change(self) -> LastChange | None:
        """The latest save or change of state (who, when); None for a draft nobody has touched."""
        annual_return = self.annual_return
        candidates = []
        if annual_return.updated_at:
            candidates.append(LastChange("保存", annual_return.updated_by, annual_return.updated_at))
        if annual_return.transition_list:
            last = annual_return.transition_list[-1]
            candidates.append(LastChange(last.action, last.by, last.at))
        return max(candidates, key=lambda change: change.at) if candidates else None

    @property
    def selectable(self) -> bool:
        """Whether it may be ticked for accepting (submitted, awaiting review)."""
        return self.annual_return.state == ReturnState.SUBMITTED


@dataclass
class RoundFilters:
    region: str = ""
    kind: str = ""
    state: str = ""
    timeliness: str = ""

    @property
    def active(self) -> bool:
        return bool(self.region or self.kind or self.state or self.timeliness)

    def matches(self, row) -> bool:
        """For a RoundRow or a RoundListing."""
        if isinstance(row, RoundRow):
            municipality = row.municipality
            row = RoundListing(
                0, municipality.region, municipality.kind, row.annual_return.state, row.timeliness
            )
        return (
            (not self.region or row.region == self.region)
            and (not self.kind or row.kind == self.kind)
            and (not self.state or row.state == self.state)
            and (not self.timeliness or row.timeliness == self.timeliness)
        )


@dataclass
class RoundFigures:
    """The round's figures, over all its returns (whatever the filters)."""

    total: int = 0
    received: int = 0  # submitted at some point and not withdrawn: 提出済み, 差戻し or 受理
    on_time: int = 0
    late: int = 0
    submitted: int = 0  # awaiting review
    sent_back: int = 0
    accepted: int = 0
    drafts: int = 0

    @property
    def on_time_percent(self) -> str:
        """On-time submissions over all the round's returns, as 「45.2%」 (「—」 with no return)."""
        if not self.total:
            return "—"
        return f"{self.on_time * 100 / self.total:.1f}%"


def round_rows(round: ReturnRound, user) -> list[RoundRow]:
    """Every return of the round in local-government-code order, with its municipality, who saved
    it last and its transitions. Two queries, whatever the number of municipalities."""
    returns = (
        access.returns_visible_to(user, AnnualReturn.objects.filter(round=round))
        .select_related("municipality", "updated_by", "opened_by_secretariat_by")
        .prefetch_related(_transitions_prefetch(user))
        .order_by("municipality__code")
    )
    return [RoundRow(annual_return, round.deadline) for annual_return in returns]


@dataclass
class RoundListing:
    """What the round page filters and counts a return by, without the return itself: so that at
    national size (1,741 returns) only the page's 100 returns are read in full."""

    pk: int
    region: str
    kind: str
    state: str
    timeliness: str


def round_listings(round: ReturnRound, user) -> list[RoundListing]:
    """Every return of the round the user sees, in local-government-code order, as a RoundListing.
    One query: the first submission is the earliest transition to 提出済み (as RoundRow reads it
    from the prefetched transitions), else the return's submission time; none for a draft."""
    returns = (
        access.returns_visible_to(user, AnnualReturn.objects.filter(round=round))
        .annotate(
            first_submission=Min("transitions__at", filter=Q(transitions__to_state=ReturnState.SUBMITTED))
        )
        .order_by("municipality__code")
        .values_list(
            "pk", "municipality__region", "municipality__kind", "state", "first_submission", "submitted_at"
        )
    )
    return [
        RoundListing(
            pk,
            region,
            kind,
            state,
            timeliness_of(
                None if state == ReturnState.DRAFT else first_submission or submitted_at, round.deadline
            ),
        )
        for pk, region, kind, state, first_submission, submitted_at in returns
    ]


def round_rows_for(round: ReturnRound, user, listings: list[RoundListing]) -> list[RoundRow]:
    """The returns of `listings` (a page of them) in full, in their order. Two queries."""
    returns = (
        access.returns_visible_to(
            user, AnnualReturn.objects.filter(round=round, pk__in=[row.pk for row in listings])
        )
        .select_related("municipality", "updated_by", "opened_by_secretariat_by")
        .prefetch_related(_transitions_prefetch(user))
    )
    by_pk = {annual_return.pk: annual_return for annual_return in returns}
    return [RoundRow(by_pk[row.pk], round.deadline) for row in listings if row.pk in by_pk]


def round_figures(rows) -> RoundFigures:
    """The figures over `rows`: RoundRows or RoundListings (every return of the round)."""
    figures = RoundFigures(total=len(rows))
    for row in rows:
        state = row.state if isinstance(row, RoundListing) else row.annual_return.state
        if state == ReturnState.DRAFT:
            figures.drafts += 1
        else:
            figures.received += 1
        if state == ReturnState.SUBMITTED:
            figures.submitted += 1
        elif state == ReturnState.SENT_BACK:
            figures.sent_back += 1
        elif state == ReturnState.ACCEPTED:
            figures.accepted += 1
        timeliness = row.timeliness
        if timeliness == Timeliness.ON_TIME:
            figures.on_time += 1
        elif timeliness == Timeliness.LATE:
            figures.late += 1
    return figures


# --- the review page ----------------------------------------------------------------------------------

_FISCAL_YEAR_FIELDS = {
    "plan_period_start",
    "plan_period_end",
    "plan_expected_fiscal_year",
    "council_expected_fiscal_year",
}
_COUNT_FIELDS = {
    "council_representatives_meetings",
    "council_practitioners_meetings",
    "council_case_review_meetings",
    "workers_full_time",
    "workers_part_time",
    "workers_trained",
}


@dataclass
class AnswerRow:
    name: str
    label: str
    value: str
    change: "ShownDifference | None" = None
    multiline: bool = False


@dataclass
class ShownDifference:
    """A changed answer as the reviewer reads it: label, last accepted → now."""

    name: str
    label: str
    previous: str
    current: str


@dataclass
class AnswerSection:
    title: str
    rows: list


class _Shower:
    """Answers as a reader reads them: choice labels, 令和 dates and years, 「不明」 for an unknown
    number, organisations named as `meetings.access` lets the reader see them, providers' names
    in typed text masked for whoever may not see them."""

    def __init__(self, user, organization_ids):
        self.user = user
        named = organizations_named_for(user, Organization.objects.filter(pk__in=organization_ids))
        self.names = {
            organization.pk: (organization.name_hidden, organization.shown_name) for organization in named
        }

    def __call__(self, name: str, value) -> str:
        if name in AnnualReturn.ANSWER_M2M_FIELDS:
            if not value:
                return "（なし）"
            shown = sorted(self.names.get(pk, (True, "（削除された団体）")) for pk in value)
            return "、".join(label for _, label in shown)
        if name in _COUNT_FIELDS:
            return "不明" if value is None else f"{value}"
        if name in _FISCAL_YEAR_FIELDS:
            return NOT_KNOWN if value is None else FiscalYear(value).label
        if isinstance(value, datetime.date):
            return era_date(value)
        return mask_provider_names(display_value(name, value), self.user)


def review_context(annual_return: AnnualReturn, user) -> dict:
    """What the review page shows of a return: its sections read-only with the answers changed
    since the municipality's last accepted return marked (label, old → new), the course attendance,
    and the transitions (who, when, comment)."""
    annual_return = (
        access.returns_visible_to(user)
        .select_related(
            "round",
            "municipality",
            "updated_by",
            "submitted_by",
            "accepted_by",
            "opened_by_secretariat_by",
            "prefilled_from__round",
        )
        .prefetch_related(
            _transitions_prefetch(user),
            Prefetch(
                "course_attendances",
                queryset=ReturnCourseAttendance.objects.select_related("course"),
                to_attr="attendance_list",
            ),
        )
        .get(pk=annual_return.pk)
    )
    current = answer_values(annual_return)
    previous_return = last_accepted_before(annual_return)
    previous = answer_values(previous_return) if previous_return else None
    changes = differences(previous, current) if previous is not None else []
    organization_ids = set().union(
        *(current[name] for name in AnnualReturn.ANSWER_M2M_FIELDS),
        *((previous[name] for name in AnnualReturn.ANSWER_M2M_FIELDS) if previous else ()),
    )
    show = _Shower(user, organization_ids)
    shown_changes = {
        change.name: ShownDifference(
            change.name, change.label, show(change.name, change.previous), show(change.name, change.current)
        )
        for change in changes
    }
    sections = [
        AnswerSection(
            title,
            [
                AnswerRow(
                    name,
                    field_label(name),
                    show(name, current[name]),
                    shown_changes.get(name),
                    multiline=name in AnnualReturn.TEXT_FIELDS,
                )
                for name in names
            ],
        )
        for title, names in RETURN_SECTIONS
    ]
    return {
        "annual_return": annual_return,
        "sections": sections,
        "changes": list(shown_changes.values()),
        "previous_return": previous_return,
        "attendances": annual_return.attendance_list,
        "transitions": _with_labels(annual_return.transition_list),
        "dates": {
            "submitted": era_datetime(annual_return.submitted_at),
            "opened": era_datetime(annual_return.opened_by_secretariat_at),
            "accepted": era_datetime(annual_return.accepted_at),
            "updated": era_datetime(annual_return.updated_at),
            "deadline": era_date(annual_return.round.deadline, western=True),
        },
    }


# --- the status matrix --------------------------------------------------------------------------------


@dataclass
class CountTotal:
    """A sum of whole numbers some of which are unknown: the known ones added, the others counted."""

    total: int = 0
    unknown: int = 0  # municipalities whose number is 不明 (or that have no accepted return)

    def add(self, value) -> None:
        if value is None:
            self.unknown += 1
        else:
            self.total += value


@dataclass
class MatrixTotals:
    municipalities: int = 0
    reported: int = 0  # with an accepted return as of the year
    with_plan: int = 0  # indicator ⑤
    with_council: int = 0  # indicator ⑥
    with_private_organizations: int = 0
    full_time: CountTotal = field(default_factory=CountTotal)
    part_time: CountTotal = field(default_factory=CountTotal)
    trained: CountTotal = field(default_factory=CountTotal)  # indicator ③'s municipal part

    @property
    def not_reported(self) -> int:
        return self.municipalities - self.reported


NOT_APPLICABLE = "—"
UNKNOWN = "不明"


@dataclass
class MatrixRow:
    """A municipality's latest accepted information as of the year, as the matrix shows it."""

    status: MunicipalityStatus
    as_of_fiscal_year: int

    @property
    def municipality(self) -> Municipality:
        return self.status.municipality

    @property
    def annual_return(self) -> AnnualReturn | None:
        return self.status.annual_return

    @property
    def source_label(self) -> str:
        """Which year's return the row comes from (the matrix's own year or an earlier one)."""
        return FiscalYear(self.status.fiscal_year).era_label if self.annual_return else ""

    @property
    def from_earlier_year(self) -> bool:
        return bool(self.annual_return) and self.status.fiscal_year < self.as_of_fiscal_year

    @property
    def tiers(self) -> list[bool]:
        if not self.annual_return:
            return []
        return [getattr(self.annual_return, held) for held, _, _ in COUNCIL_TIERS.values()]

    def _count(self, name):
        """A count as shown: the number, 「不明」 when it is not known, 「—」 where no worker is
        placed by the municipality (配置なし, 都が配置) and none is given."""
        value = getattr(self.annual_return, name)
        if value is not None:
            return value
        if self.annual_return.workers_placement in (WorkerPlacement.NOT_PLACED, WorkerPlacement.METRO):
            return NOT_APPLICABLE
        return UNKNOWN

    @property
    def full_time(self):
        return self._count("workers_full_time")

    @property
    def part_time(self):
        return self._count("workers_part_time")

    @property
    def trained(self):
        return self._count("workers_trained")


@dataclass
class MatrixGroup:
    region: str
    rows: list = field(default_factory=list)
    totals: MatrixTotals = field(default_factory=MatrixTotals)


def _add_to_totals(totals: MatrixTotals, row: MatrixRow) -> None:
    totals.municipalities += 1
    annual_return = row.annual_return
    if annual_return is None:
        for count in (totals.full_time, totals.part_time, totals.trained):
            count.add(None)
        return
    totals.reported += 1
    totals.with_plan += row.status.has_basic_plan
    totals.with_council += row.status.council_is_set_up
    totals.with_private_organizations += (
        annual_return.council_is_set_up and annual_return.council_private_participation == YesNoUnknown.YES
    )
    for count, value in (
        (totals.full_time, row.full_time),
        (totals.part_time, row.part_time),
        (totals.trained, row.trained),
    ):
        if value == UNKNOWN:
            count.add(None)
        elif value != NOT_APPLICABLE:
            count.add(value)


# What the matrix and the shared status page show of a return (and total): read only these, since
# at national size loading every column of 1,741 returns was most of the page's time.
MATRIX_FIELDS = (
    "plan_status",
    "plan_period_start",
    "plan_period_end",
    "council_status",
    *(held for held, _, _ in COUNCIL_TIERS.values()),
    "council_private_participation",
    "workers_placement",
    "workers_full_time",
    "workers_part_time",
    "workers_trained",
)


def status_matrix(as_of_fiscal_year: int) -> tuple[list[MatrixGroup], MatrixTotals]:
    """Every municipality in code order, grouped by region (区部, 多摩, 島しょ), with its latest
    accepted information as of the year, the region's totals and the overall totals (which feed
    indicators ③ ⑤ ⑥). Two queries, whatever the number of municipalities."""
    groups = {region: MatrixGroup(label) for region, label in Municipality.Region.choices}
    totals = MatrixTotals()
    for status in latest_accepted_status(as_of_fiscal_year, fields=MATRIX_FIELDS):
        row = MatrixRow(status, as_of_fiscal_year)
        group = groups.setdefault(status.municipality.region, MatrixGroup(status.municipality.region))
        group.rows.append(row)
        _add_to_totals(group.totals, row)
        _add_to_totals(totals, row)
    return [group for group in groups.values() if group.rows], totals


def grouped_rows(groups) -> list:
    """The groups' rows in the order the page shows them (region by region), to be paged."""
    return [row for group in groups for row in group.rows]


def groups_on_page(groups, page_rows) -> list:
    """The groups with only the rows on this page (a region may begin on one page and end on the
    next), each keeping its totals over all its municipalities. No query."""
    on_page = {id(row) for row in page_rows}
    shown = []
    for group in groups:
        rows = [row for row in group.rows if id(row) in on_page]
        if rows:
            shown.append(replace(group, rows=rows))
    return shown


# --- a municipality's returns --------------------------------------------------------------------------


def municipality_returns(municipality: Municipality, user) -> list[AnnualReturn]:
    """The municipality's returns over the years, newest first, each with its round, who did what,
    and its transitions (`transition_list`, with `at_label`). Two queries."""
    returns = list(
        access.returns_visible_to(user, AnnualReturn.objects.filter(municipality=municipality))
        .select_related("round", "updated_by", "submitted_by", "accepted_by")
        .prefetch_related(_transitions_prefetch(user))
        .order_by("-round__fiscal_year")
    )
    for annual_return in returns:
        _with_labels(annual_return.transition_list)
        annual_return.deadline_label = era_date(annual_return.round.deadline, western=True)
        annual_return.submitted_label = era_datetime(annual_return.submitted_at)
        annual_return.accepted_label = era_datetime(annual_return.accepted_at)
        annual_return.updated_label = era_datetime(annual_return.updated_at)
    return returns


# --- reminders ---------------------------------------------------------------------------------------
#
# Who a reminder would reach (the confirmation page, the command's --dry-run and the service all
# read the same plan), the round's reminder log, and the latest reminder for the officer's card.

# A return still to be submitted: a draft, or sent back for a correction.
REMINDED_STATES = (ReturnState.DRAFT, ReturnState.SENT_BACK)
NO_ADDRESS_MESSAGE = "メールアドレスが登録された担当者がいません"


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of `day` in Tokyo and of the day after: "the same day" is Tokyo's day,
    whatever the database's own time zone."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


@dataclass
class ReminderTarget:
    """A municipality whose return is not submitted yet, with the addresses a reminder goes to."""

    annual_return: AnnualReturn
    addresses: list = field(default_factory=list)
    reminded_today_at: datetime.datetime | None = None

    @property
    def municipality(self) -> Municipality:
        return self.annual_return.municipality

    @property
    def reminded_today_label(self) -> str:
        return f"{timezone.localtime(self.reminded_today_at):%H:%M}" if self.reminded_today_at else ""


@dataclass
class ReminderPlan:
    """Who a reminder sent on `today` would reach: the municipalities to remind, and those left out
    (already reminded that day, by whichever channel; no officer with an address)."""

    round: ReturnRound
    today: datetime.date
    to_remind: list = field(default_factory=list)
    already_today: list = field(default_factory=list)
    no_address: list = field(default_factory=list)

    @property
    def left_out(self) -> int:
        return len(self.already_today) + len(self.no_address)

    @property
    def not_submitted(self) -> int:
        return len(self.to_remind) + self.left_out


def reminder_plan(round: ReturnRound, *, today: datetime.date | None = None) -> ReminderPlan:
    """Every municipality of the round whose return is not submitted (作成中 or 差戻し), in code
    order, sorted into to remind / reminded already `today` (Tokyo's date) / no address. The
    addresses are those of the municipality's active officers (an account in the officers' role).
    Three queries, whatever the number of municipalities."""
    today = today or timezone.localdate()
    plan = ReminderPlan(round=round, today=today)
    returns = list(
        AnnualReturn.objects.filter(round=round, state__in=REMINDED_STATES)
        .select_related("municipality")
        .order_by("municipality__code")
    )
    addresses: dict[int, list[str]] = {}
    officers = (
        MunicipalOfficer.objects.filter(
            municipality_id__in=[annual_return.municipality_id for annual_return in returns],
            user__is_active=True,
            user__groups__name=GROUP_NAMES[Role.MUNICIPAL_OFFICER],
        )
        .exclude(user__email="")
        .order_by("user__username")
        .values_list("municipality_id", "user__email")
    )
    for municipality_id, email in officers:
        email = email.strip()
        if email and email not in addresses.setdefault(municipality_id, []):
            addresses[municipality_id].append(email)
    start, end = local_day_bounds(today)
    reminded_today = {}
    for municipality_id, sent_at in (
        ReturnReminder.objects.filter(round=round, sent_at__gte=start, sent_at__lt=end)
        .order_by("sent_at")
        .values_list("municipality_id", "sent_at")
    ):
        reminded_today[municipality_id] = sent_at  # the latest wins
    for annual_return in returns:
        target = ReminderTarget(
            annual_return,
            addresses.get(annual_return.municipality_id, []),
            reminded_today.get(annual_return.municipality_id),
        )
        if target.reminded_today_at is not None:
            plan.already_today.append(target)
        elif not target.addresses:
            plan.no_address.append(target)
        else:
            plan.to_remind.append(target)
    return plan


def round_reminders(round: ReturnRound, user) -> list[ReturnReminder]:
    """The round's reminder log, newest first, with the municipality and who sent it
    (`sent_at_label` in the era). For the secretariat only; one query."""
    if not access.can_review_returns(user):
        return []
    reminders = list(round.reminders.select_related("municipality", "sent_by").order_by("-sent_at", "-id"))
    for reminder in reminders:
        reminder.sent_at_label = era_datetime(reminder.sent_at)
    return reminders


def latest_reminders(returns) -> dict[int, datetime.datetime]:
    """{return id: when its municipality was last reminded about the return's round}, for the
    officer's card. One query, however many returns."""
    keys = {
        (annual_return.round_id, annual_return.municipality_id): annual_return.pk for annual_return in returns
    }
    if not keys:
        return {}
    latest = {}
    reminders = (
        ReturnReminder.objects.filter(
            round_id__in={round_id for round_id, _ in keys},
            municipality_id__in={municipality_id for _, municipality_id in keys},
        )
        .order_by("sent_at")
        .values_list("round_id", "municipality_id", "sent_at")
    )
    for round_id, municipality_id, sent_at in reminders:
        pk = keys.get((round_id, municipality_id))
        if pk is not None:
            latest[pk] = sent_at  # the latest wins
    return latest


# --- sharing back: what every municipality may read of the others' status -----------------------------------
# (municipalities.views.shared; docs/returns.md 「区市町村への還元」)

NO_INFORMATION = "情報なし"
TIER_LABELS = [label for _, _, label in COUNCIL_TIERS.values()]


@dataclass
class SharedStatusRow:
    """What every municipality may read of another's latest accepted return: the statuses chosen
    from the lists, the plan's period and the council's tiers. Copied out of the return so that
    the page's template never holds the return itself (its free text, names, workflow)."""

    name: str
    code: str
    has_information: bool
    as_of_label: str = ""  # 「令和6年度末」: the year the information is from
    from_earlier_year: bool = False
    plan_status: str = ""
    plan_period: str = ""
    council_status: str = ""
    council_in_place: bool = False
    tiers: list = field(default_factory=list)  # held or not, in TIER_LABELS' order


@dataclass
class SharedTotals:
    municipalities: int = 0
    reported: int = 0
    with_plan: int = 0  # indicator ⑤: made, or made as part of another plan
    with_council: int = 0  # indicator ⑥: set up, or an existing council serving as one
    tiers: list = field(default_factory=lambda: [0] * len(TIER_LABELS))

    @property
    def not_reported(self) -> int:
        return self.municipalities - self.reported

    @property
    def tier_counts(self) -> list:
        return list(zip(TIER_LABELS, self.tiers, strict=True))

    def add(self, row: SharedStatusRow, status: MunicipalityStatus) -> None:
        self.municipalities += 1
        if not row.has_information:
            return
        self.reported += 1
        self.with_plan += status.has_basic_plan
        self.with_council += status.council_is_set_up
        for index, held in enumerate(row.tiers):
            self.tiers[index] += held


@dataclass
class SharedStatusGroup:
    region: str
    rows: list = field(default_factory=list)
    totals: SharedTotals = field(default_factory=SharedTotals)


def plan_period_label(start: int | None, end: int | None) -> str:
    """「令和7年度〜令和11年度（2025〜2029年度）」; empty when the start is not known."""
    if start is None:
        return ""
    if end is None:
        return f"{FiscalYear(start).era_label}〜（{start}年度〜）"
    return f"{FiscalYear(start).era_label}〜{FiscalYear(end).era_label}（{start}〜{end}年度）"


def shared_row(row: MatrixRow) -> SharedStatusRow:
    municipality: Municipality = row.municipality
    annual_return: AnnualReturn | None = row.annual_return
    if annual_return is None:
        return SharedStatusRow(name=municipality.name, code=municipality.code, has_information=False)
    council_in_place = annual_return.council_is_set_up
    return SharedStatusRow(
        name=municipality.name,
        code=municipality.code,
        has_information=True,
        as_of_label=f"{FiscalYear(row.status.fiscal_year).era_label}末",
        from_earlier_year=row.from_earlier_year,
        plan_status=annual_return.get_plan_status_display(),
        plan_period=(
            plan_period_label(annual_return.plan_period_start, annual_return.plan_period_end)
            if annual_return.has_basic_plan
            else ""
        ),
        council_status=annual_return.get_council_status_display(),
        council_in_place=council_in_place,
        tiers=row.tiers if council_in_place else [],
    )


def shared_status(as_of_fiscal_year: int) -> tuple[list[SharedStatusGroup], SharedTotals]:
    """Every municipality in code order, grouped by region as the secretariat's matrix is (its
    rows, from `selectors.status_matrix`, copied down to what may be shared), with totals. Two
    queries, whatever the number of municipalities."""
    groups, _ = status_matrix(as_of_fiscal_year)
    totals = SharedTotals()
    shared_groups = []
    for group in groups:
        shared_group = SharedStatusGroup(group.region)
        for matrix_row in group.rows:
            row = shared_row(matrix_row)
            shared_group.rows.append(row)
            shared_group.totals.add(row, matrix_row.status)
            totals.add(row, matrix_row.status)
        shared_groups.append(shared_group)
    return shared_groups, totals
