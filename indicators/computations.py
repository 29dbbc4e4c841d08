"""Computing the six indicators from the system's data, per fiscal year, with their drill-down.

`compute(number, year)` gives one indicator's `Computation`: its value (a Decimal, or None for
"no data", never 0 in its place) and the rows that make it (`detail`), whose `total` is the value.
`compute_all(years)` gives every indicator for every year in a fixed number of queries, whatever
the number of years or of records.

Two ways to the same figures:
- with the drill-down (`detail_years`, every year by default): the records of those years are read
  (each municipality's latest accepted return as of each of them, chosen by the database) and the
  rows built here; the value is the rows' total;
- the figure alone (the overview, the dashboard: `detail_years=()`): counted by the database in
  grouped queries whose rows do not grow with the municipalities or returns (seven queries,
  whatever the number of years or records); `detail` is None. tests/indicators/test_figures.py
  checks that both ways give the same figures.

The drill-down keeps the records themselves (case reviews' ids and dates, Organization objects,
municipalities, returns): who may see which is for the pages to decide through meetings.access
(case rows only with the case permission; providers' names masked for most readers). The
Organization objects carry `is_confidential` (`with_confidentiality`), so masking them costs no
query. The returns in the drill-down carry the municipalities' free text: a page shows of them
only the municipality, the year and the statuses, never the text to another municipality.

The definitions, sources and no-data rules are in docs/indicators.md.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Greatest, Lead

from indicators.models import MetroTrainedWorkers
from meetings.models import CaseReview, Organization, OrganizationRole
from municipalities.models import AnnualReturn, Municipality, ReturnState, WorkerPlacement
from municipalities.selectors import MunicipalityStatus
from plan.common.fiscal_year import FiscalYear

INDICATOR_NUMBERS = (1, 2, 3, 4, 5, 6)
ONE_PLACE = Decimal("0.1")


def share(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator in percent, to one decimal place (half up); None without a
    denominator (no meetings is no data, not 0%)."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# --- the drill-down of each indicator ---------------------------------------------------------------


@dataclass
class CaseReviewRow:
    id: int
    date: object
    woman_attended: bool


@dataclass
class CaseReviewShare:
    """① The center's case reviews in the year and whether the woman took part. The rows are case
    records: only for holders of the case permission; everyone else sees the two totals."""

    rows: list[CaseReviewRow] = field(default_factory=list)

    @property
    def denominator(self) -> int:
        return len(self.rows)

    @property
    def numerator(self) -> int:
        return sum(1 for row in self.rows if row.woman_attended)

    @property
    def total(self) -> Decimal | None:
        return share(self.numerator, self.denominator)


@dataclass
class Providers:
    """② Organisations holding the temporary-protection role on the year's last day. Their names
    are confidential (meetings.access.can_see_provider_names)."""

    organizations: list[Organization] = field(default_factory=list)
    registry_has_role: bool = False  # any provider recorded at all, in any year

    @property
    def total(self) -> Decimal | None:
        return Decimal(len(self.organizations)) if self.registry_has_role else None


@dataclass
class MunicipalTrainedRow:
    """A municipality's accepted return of the year's own round, and its trained workers (None:
    不明, or the metropolis places its workers)."""

    municipality: Municipality
    annual_return: AnnualReturn

    @property
    def workers_trained(self) -> int | None:
        return self.annual_return.workers_trained

    @property
    def placed_by_metro(self) -> bool:
        """都が配置 (towns and villages): counted in the secretariat's welfare-office figure."""
        return self.annual_return.workers_placement == WorkerPlacement.METRO


@dataclass
class TrainedWorkers:
    """③ Distinct workers who attended the center's training in the year: each municipality's
    accepted return of that year's round (not an earlier year's: training is yearly), plus the
    secretariat's two figures (the center's workers, the metropolitan welfare offices')."""

    municipal_rows: list[MunicipalTrainedRow] = field(default_factory=list)
    metro: MetroTrainedWorkers | None = None
    municipalities_without_return: list[Municipality] = field(default_factory=list)

    @property
    def municipal_total(self) -> int | None:
        known = [row.workers_trained for row in self.municipal_rows if row.workers_trained is not None]
        return sum(known) if known else None

    @property
    def municipalities_unknown(self) -> list[Municipality]:
        """Accepted returns that give no number (不明, or 都が配置)."""
        return [row.municipality for row in self.municipal_rows if row.workers_trained is None]

    @property
    def total(self) -> Decimal | None:
        parts = [self.municipal_total, self.metro.total if self.metro else None]
        known = [part for part in parts if part is not None]
        return Decimal(sum(known)) if known else None


class PartnerSource:
    METRO = "都"
    MUNICIPAL_ROLE = "区市町村（団体登録簿の役割）"


@dataclass
class PartnerRow:
    """④ One organisation, counted once, with everyone it works with at the year's end."""

    organization: Organization
    with_metro: bool = False  # a METRO_PARTNER role active at the year's end
    with_municipal_role: bool = False  # a MUNICIPAL_PARTNER role active at the year's end
    # Municipalities naming it in their latest accepted return as of the year: {municipality: year}.
    municipalities: dict = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        """都 / 区市町村（役割） / each municipality's name, in that order (municipalities in code
        order)."""
        labels = []
        if self.with_metro:
            labels.append(PartnerSource.METRO)
        if self.with_municipal_role:
            labels.append(PartnerSource.MUNICIPAL_ROLE)
        labels += [municipality.name for municipality in sorted(self.municipalities, key=lambda m: m.code)]
        return labels


@dataclass
class PrivatePartners:
    rows: list[PartnerRow] = field(default_factory=list)
    has_data: bool = False  # a partner role in the registry, or any accepted return as of the year

    @property
    def total(self) -> Decimal | None:
        return Decimal(len(self.rows)) if self.has_data else None

    def count_by_source(self) -> dict[str, int]:
        """How many organisations work with each: 都, 区市町村 (role), and each municipality. An
        organisation with several counts under each (the sum exceeds the total)."""
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for label in row.sources:
                counts[label] += 1
        return dict(counts)


class NotCounted:
    NO_INFORMATION = "受理済みの情報なし"
    NO_PLAN = "基本計画を策定していない"
    NO_COUNCIL = "支援調整会議を設置していない"
    AFTER_YEAR_END = "年度末より後の策定・設置"


@dataclass
class MunicipalityRow:
    """⑤/⑥ A municipality, its latest accepted information as of the year's end (the year it
    is from), counted or not and, if not, why."""

    municipality: Municipality
    annual_return: AnnualReturn | None
    counted: bool
    reason: str = ""  # NotCounted, when not counted

    @property
    def information_year(self) -> int | None:
        return self.annual_return.round.fiscal_year if self.annual_return else None


@dataclass
class MunicipalityCount:
    rows: list[MunicipalityRow] = field(default_factory=list)

    @property
    def counted(self) -> list[MunicipalityRow]:
        return [row for row in self.rows if row.counted]

    @property
    def not_counted(self) -> list[MunicipalityRow]:
        return [row for row in self.rows if not row.counted]

    @property
    def total(self) -> Decimal | None:
        # No municipality with any accepted information: no data, not 0.
        if all(row.annual_return is None for row in self.rows):
            return None
        return Decimal(len(self.counted))


@dataclass
class Computation:
    indicator_number: int
    fiscal_year: int
    value: Decimal | None
    detail: object  # one of the drill-down classes above; None when only the figure was asked for

    @property
    def has_data(self) -> bool:
        return self.value is not None


# --- reading the data of several years at once --------------------------------------------------------


def _organizations():
    # Confidentiality annotated, so that masking a provider's name asks nothing more.
    return Organization.objects.with_confidentiality().order_by("name", "id")


def _latest_accepted_q(year: int, prefix: str = "") -> Q:
    """The return (at `prefix`) is its municipality's latest accepted return as of `year`: accepted,
    of a round of `year` or before, and no accepted return of a later round up to `year` (a round
    per fiscal year, a return per round and municipality). The rule of
    municipalities.selectors.latest_accepted_status, asked of the database."""
    newer = AnnualReturn.objects.accepted().filter(
        municipality=OuterRef(f"{prefix}municipality"),
        round__fiscal_year__gt=OuterRef(f"{prefix}round__fiscal_year"),
        round__fiscal_year__lte=year,
    )
    return Q(**{f"{prefix}state": ReturnState.ACCEPTED, f"{prefix}round__fiscal_year__lte": year}) & ~Exists(
        newer
    )


class _YearData:
    """The data the drill-down needs for `years`, each part read once (a fixed number of queries
    whatever the number of years), only for the indicators asked for. Of the returns, only each
    municipality's latest accepted one as of each of the years (which includes the year's own)."""

    def __init__(self, years: list[FiscalYear], numbers: Iterable[int]):
        self.years = years
        numbers = set(numbers)
        first, last = years[0], years[-1]
        self.case_reviews = []
        if 1 in numbers:
            self.case_reviews = list(
                CaseReview.objects.filter(date__range=(first.start, last.end))
                .order_by("date", "id")
                .values_list("id", "date", "woman_attended")
            )
        self.provider_roles = []
        if 2 in numbers:
            self.provider_roles = self._roles([OrganizationRole.Kind.TEMPORARY_PROTECTION], kind=None)
        self.partner_roles = []
        if 4 in numbers:
            self.partner_roles = self._roles(
                list(OrganizationRole.PARTNER_KINDS), kind=Organization.Kind.PRIVATE
            )
        self.municipalities = []
        if numbers & {3, 4, 5, 6}:
            self.municipalities = list(Municipality.objects.order_by("code"))
        self.accepted = []
        if numbers & {3, 4, 5, 6}:
            latest = Q()
            for year in years:
                latest |= _latest_accepted_q(year.year)
            returns = (
                AnnualReturn.objects.filter(latest)
                .select_related("round")
                .order_by("municipality_id", "-round__fiscal_year")
            )
            if 4 in numbers:
                private = _organizations().filter(kind=Organization.Kind.PRIVATE)
                returns = returns.prefetch_related(
                    Prefetch("council_organizations", queryset=private, to_attr="council_private"),
                    Prefetch(
                        "collaboration_organizations", queryset=private, to_attr="collaboration_private"
                    ),
                )
            by_pk = {municipality.pk: municipality for municipality in self.municipalities}
            self.accepted = list(returns)
            for annual_return in self.accepted:  # the municipality already read, not a query per row
                annual_return.municipality = by_pk[annual_return.municipality_id]
        self.metro = {}
        if 3 in numbers:
            self.metro = {
                figures.fiscal_year: figures
                for figures in MetroTrainedWorkers.objects.filter(
                    fiscal_year__in=[year.year for year in years]
                )
            }

    @staticmethod
    def _roles(kinds, *, kind):
        """Every role of `kinds` (of whatever period) with its organisation: which are active on a
        year's last day is sorted here, year by year."""
        roles = OrganizationRole.objects.filter(role__in=kinds)
        if kind is not None:
            roles = roles.filter(organization__kind=kind)
        organizations = {
            org.pk: org for org in _organizations().filter(pk__in=roles.values("organization_id"))
        }
        rows = list(
            roles.order_by("organization_id", "start_date", "id").values_list(
                "organization_id", "role", "start_date", "end_date"
            )
        )
        return [
            (organizations[org_id], role, start, end)
            for org_id, role, start, end in rows
            if org_id in organizations
        ]

    def latest_accepted(self, year: FiscalYear) -> list[MunicipalityStatus]:
        """Every municipality in code order with its latest accepted return as of `year` (one of
        the years read): of the returns read, the newest of a round of `year` or before.
        tests/indicators checks that this agrees with municipalities.selectors.latest_accepted_status."""
        latest = {}
        for annual_return in self.accepted:  # newest round first within each municipality
            if annual_return.round.fiscal_year <= year.year:
                latest.setdefault(annual_return.municipality_id, annual_return)
        return [
            MunicipalityStatus(municipality, latest.get(municipality.pk))
            for municipality in self.municipalities
        ]


def _active_on(start, end, day) -> bool:
    return start <= day and (end is None or day <= end)


# --- each indicator ----------------------------------------------------------------------------------


def _case_review_share(data: _YearData, year: FiscalYear) -> CaseReviewShare:
    return CaseReviewShare(
        rows=[
            CaseReviewRow(pk, day, attended)
            for pk, day, attended in data.case_reviews
            if year.start <= day <= year.end
        ]
    )


def _providers(data: _YearData, year: FiscalYear) -> Providers:
    active = {}
    for organization, _, start, end in data.provider_roles:
        if _active_on(start, end, year.end):
            active[organization.pk] = organization
    return Providers(
        organizations=sorted(active.values(), key=lambda org: (org.name, org.pk)),
        registry_has_role=bool(data.provider_roles),
    )


def _trained_workers(data: _YearData, year: FiscalYear) -> TrainedWorkers:
    this_year = {
        annual_return.municipality_id: annual_return
        for annual_return in data.accepted
        if annual_return.round.fiscal_year == year.year
    }
    rows, without = [], []
    for municipality in data.municipalities:
        annual_return = this_year.get(municipality.pk)
        if annual_return is None:
            without.append(municipality)
        else:
            rows.append(MunicipalTrainedRow(municipality, annual_return))
    return TrainedWorkers(
        municipal_rows=rows, metro=data.metro.get(year.year), municipalities_without_return=without
    )


@dataclass(frozen=True)
class _StatusRule:
    """⑤ or ⑥ for one return: what the return answered, and the date it gives for it."""

    answered: str  # the return's property: has_basic_plan / council_is_set_up
    status_field: str  # the field that property reads: plan_status / council_status
    date_field: str  # plan_made_on / council_set_up_on
    not_made: str  # NotCounted, when the answer is no

    def yes_values(self) -> list[str]:
        """The statuses for which the model's own property answers yes (asked of it, so that the
        database's counts follow the rule written once, on the model)."""
        choices = AnnualReturn._meta.get_field(self.status_field).choices
        return [
            value
            for value, _ in choices
            if getattr(AnnualReturn(**{self.status_field: value}), self.answered)
        ]


PLAN_RULE = _StatusRule("has_basic_plan", "plan_status", "plan_made_on", NotCounted.NO_PLAN)
COUNCIL_RULE = _StatusRule("council_is_set_up", "council_status", "council_set_up_on", NotCounted.NO_COUNCIL)


def _not_counted_reason(annual_return: AnnualReturn, year: FiscalYear, rule: _StatusRule) -> str:
    """Why the return does not count for ⑤/⑥ at the year's end ("" when it counts): made or set up
    (or made as part of another plan, or an existing council serving as one), and not on a date
    after the year's end if the return gives one. The return's own rules refuse such a date for
    its round; the check stands for data that reached the table another way."""
    if not getattr(annual_return, rule.answered):
        return rule.not_made
    day = getattr(annual_return, rule.date_field)
    if day is not None and day > year.end:
        return NotCounted.AFTER_YEAR_END
    return ""


def _private_partners(data: _YearData, year: FiscalYear) -> PrivatePartners:
    rows: dict[int, PartnerRow] = {}

    def row_for(organization):
        return rows.setdefault(organization.pk, PartnerRow(organization))

    for organization, role, start, end in data.partner_roles:
        if not _active_on(start, end, year.end):
            continue
        if role == OrganizationRole.Kind.METRO_PARTNER:
            row_for(organization).with_metro = True
        else:
            row_for(organization).with_municipal_role = True
    statuses = data.latest_accepted(year)
    for status in statuses:
        annual_return = status.annual_return
        if annual_return is None:
            continue
        # A council's members count while the council itself counts (⑥); other collaboration always.
        named = list(annual_return.collaboration_private)
        if not _not_counted_reason(annual_return, year, COUNCIL_RULE):
            named += annual_return.council_private
        for organization in named:
            row_for(organization).municipalities[status.municipality] = status.fiscal_year
    has_data = bool(data.partner_roles) or any(status.annual_return for status in statuses)
    ordered = sorted(rows.values(), key=lambda row: (row.organization.name, row.organization.pk))
    return PrivatePartners(rows=ordered, has_data=has_data)


def _municipality_count(data: _YearData, year: FiscalYear, rule: _StatusRule) -> MunicipalityCount:
    rows = []
    for status in data.latest_accepted(year):
        annual_return = status.annual_return
        if annual_return is None:
            rows.append(MunicipalityRow(status.municipality, None, False, NotCounted.NO_INFORMATION))
            continue
        reason = _not_counted_reason(annual_return, year, rule)
        rows.append(MunicipalityRow(status.municipality, annual_return, not reason, reason))
    return MunicipalityCount(rows=rows)


def _detail(number: int, data: _YearData, year: FiscalYear):
    if number == 1:
        return _case_review_share(data, year)
    if number == 2:
        return _providers(data, year)
    if number == 3:
        return _trained_workers(data, year)
    if number == 4:
        return _private_partners(data, year)
    if number == 5:
        return _municipality_count(data, year, PLAN_RULE)
    if number == 6:
        return _municipality_count(data, year, COUNCIL_RULE)
    raise ValueError(f"indicator {number} is not one of ①–⑥")


# --- the figures alone, counted by the database ---------------------------------------------------------
#
# The same rules as the drill-down above, asked of the database: grouped counts whose rows are per
# fiscal year (not per municipality, return or organisation), and only the organisations a partner
# role or an accepted return names for ④. A handful of short queries whatever the data's size.


def _year_of_date(field: str, years: list[FiscalYear]) -> Case:
    """The first of `years` (sorted) whose last day is on or after the date in `field`: a date
    counts for a year of `years` exactly when that year is this or later. One after the last year
    when the date is later than all of them; null for no date."""
    return Case(
        *[When(**{f"{field}__lte": year.end}, then=Value(year.year)) for year in years],
        default=Value(years[-1].year + 1),
        output_field=IntegerField(),
    )


def _next_accepted_year(prefix: str = "") -> Subquery:
    """The round year of the municipality's next accepted return after this one (at `prefix`), or
    null: the return is its municipality's latest accepted return as of every year from its own up
    to the one before that (the rule of municipalities.selectors.latest_accepted_status, as
    _latest_accepted_q for the drill-down)."""
    return Subquery(
        AnnualReturn.objects.accepted()
        .filter(
            municipality=OuterRef(f"{prefix}municipality"),
            round__fiscal_year__gt=OuterRef(f"{prefix}round__fiscal_year"),
        )
        .order_by("round__fiscal_year")
        .values("round__fiscal_year")[:1]
    )


def _counts_from(rule: "_StatusRule", years: list[FiscalYear], prefix: str = ""):
    """The first year the return (at `prefix`) counts for ⑤/⑥ under `rule` while it is the latest:
    its own round's year, or the year its plan was made / council set up if that is later; null
    when it answered no. The same rule as _not_counted_reason (tests/indicators compares them)."""
    information_year = F(f"{prefix}round__fiscal_year")
    day = f"{prefix}{rule.date_field}"
    made_in = Case(
        When(**{f"{day}__isnull": True}, then=information_year),
        default=_year_of_date(day, years),
        output_field=IntegerField(),
    )
    return Case(
        When(
            **{f"{prefix}{rule.status_field}__in": rule.yes_values()},
            then=Greatest(information_year, made_in, output_field=IntegerField()),
        ),
        default=None,
        output_field=IntegerField(),
    )


def _is_latest(year: int, information_year, next_year) -> bool:
    return information_year <= year and (next_year is None or next_year > year)


def _case_review_figures(years: list[FiscalYear]) -> dict[int, Decimal | None]:
    """① per year: the share of the year's case reviews she took part in. One row per year."""
    fiscal_year = Case(*[When(date__range=(year.start, year.end), then=Value(year.year)) for year in years])
    rows = (
        CaseReview.objects.filter(date__range=(years[0].start, years[-1].end))
        .annotate(fiscal_year=fiscal_year)
        .values("fiscal_year")
        .annotate(held=Count("pk"), attended=Count("pk", filter=Q(woman_attended=True)))
        .order_by()
        .values_list("fiscal_year", "held", "attended")
    )
    counts = {fiscal_year: (held, attended) for fiscal_year, held, attended in rows}
    return {
        year.year: share(counts.get(year.year, (0, 0))[1], counts.get(year.year, (0, 0))[0]) for year in years
    }


def _provider_figures(years: list[FiscalYear]) -> dict[int, Decimal | None]:
    """② per year: the organisations holding the role on the year's last day; no data when the
    registry has no provider at all. One row."""
    roles = OrganizationRole.objects.filter(role=OrganizationRole.Kind.TEMPORARY_PROTECTION)
    counts = {
        f"active_{year.year}": Count(
            "organization_id",
            distinct=True,
            filter=Q(start_date__lte=year.end) & (Q(end_date__isnull=True) | Q(end_date__gte=year.end)),
        )
        for year in years
    }
    row = roles.aggregate(roles=Count("pk"), **counts)
    return {year.year: Decimal(row[f"active_{year.year}"]) if row["roles"] else None for year in years}


@dataclass
class _ReturnGroup:
    """Accepted returns alike for ③ ⑤ ⑥: of the same round year, latest until the same year,
    counting for ⑤ and ⑥ from the same years."""

    information_year: int
    next_year: int | None
    plan_from: int | None
    council_from: int | None
    returns: int
    trained: int | None  # the sum of the numbers given; None when none gives one
    trained_known: int


def _return_groups(years: list[FiscalYear]) -> list[_ReturnGroup]:
    """The accepted returns up to the last year, counted by (round year, next accepted year, first
    year counted for ⑤, for ⑥): rows bounded by the number of years, not of municipalities. The
    next accepted year comes from a window function over each municipality's accepted returns
    (one pass, where a correlated subquery would look once per return); Django cannot group the
    rows of a window, so the grouping is written around the ORM's own query."""
    returns = (
        AnnualReturn.objects.accepted()
        .filter(round__fiscal_year__lte=years[-1].year)
        .annotate(
            information_year=F("round__fiscal_year"),
            next_year=Window(
                Lead("round__fiscal_year"),
                partition_by=[F("municipality_id")],
                order_by=F("round__fiscal_year").asc(),
            ),
            plan_from=_counts_from(PLAN_RULE, years),
            council_from=_counts_from(COUNCIL_RULE, years),
            trained=F("workers_trained"),
        )
        .order_by()
        .values_list("information_year", "next_year", "plan_from", "council_from", "trained")
    )
    sql, params = returns.query.sql_with_params()
    keys = "information_year, next_year, plan_from, council_from"
    with connections[returns.db].cursor() as cursor:
        cursor.execute(
            f"SELECT {keys}, COUNT(*), SUM(trained), COUNT(trained) FROM ({sql}) accepted_returns GROUP BY {keys}",  # noqa: S608 — the ORM's SQL, its values passed as parameters
            params,
        )
        return [_ReturnGroup(*row) for row in cursor.fetchall()]


def _partner_figures(years: list[FiscalYear], any_accepted: dict[int, int]) -> dict[int, Decimal | None]:
    """④ per year: private organisations with a partner role active on the year's last day, or
    named by a municipality's latest accepted return as of the year (its council's members only
    while its council counts for ⑥), each counted once. Reads only the partner roles and the
    organisations named in accepted returns (their ids and years), three queries."""
    last = years[-1].year
    roles = list(
        OrganizationRole.objects.filter(
            role__in=OrganizationRole.PARTNER_KINDS, organization__kind=Organization.Kind.PRIVATE
        ).values_list("organization_id", "start_date", "end_date")
    )
    named = {}
    for field_name in ("collaboration_organizations", "council_organizations"):
        if field_name == "collaboration_organizations":  # always counted while the return is the latest
            counts_from = F("annualreturn__round__fiscal_year")
        else:  # a council's members only while the council counts (⑥)
            counts_from = _counts_from(COUNCIL_RULE, years, "annualreturn__")
        rows = (
            # Only the organisation's kind in the WHERE, so that the database starts from these rows
            # (few) rather than from the returns (many); which returns are accepted is sorted here.
            getattr(AnnualReturn, field_name)
            .through.objects.filter(organization__kind=Organization.Kind.PRIVATE)
            .annotate(counts_from=counts_from, next_year=_next_accepted_year("annualreturn__"))
            .values_list(
                "annualreturn__state",
                "annualreturn__round__fiscal_year",
                "organization_id",
                "counts_from",
                "next_year",
            )
        )
        named[field_name] = [
            (organization, start, end)
            for state, information_year, organization, start, end in rows
            if state == ReturnState.ACCEPTED and information_year <= last and start is not None
        ]
    values = {}
    for year in years:
        organizations = {org for org, start, end in roles if _active_on(start, end, year.end)}
        for rows in named.values():
            organizations.update(org for org, start, end in rows if _is_latest(year.year, start, end))
        has_data = bool(roles) or bool(any_accepted[year.year])
        values[year.year] = Decimal(len(organizations)) if has_data else None
    return values


def _figures(years: list[FiscalYear], numbers: list[int]) -> dict[tuple[int, int], Decimal | None]:
    """{(indicator number, year): value} without the drill-down, for the years and indicators asked."""
    wanted = set(numbers)
    values = {}
    if 1 in wanted:
        values.update({(1, year): value for year, value in _case_review_figures(years).items()})
    if 2 in wanted:
        values.update({(2, year): value for year, value in _provider_figures(years).items()})
    if not wanted & {3, 4, 5, 6}:
        return values
    groups = _return_groups(years)
    any_accepted = {
        year.year: sum(g.returns for g in groups if g.information_year <= year.year) for year in years
    }
    if 3 in wanted:
        metro = {
            figures.fiscal_year: figures.total
            for figures in MetroTrainedWorkers.objects.filter(fiscal_year__in=[year.year for year in years])
        }
        for year in years:
            this_year = [g for g in groups if g.information_year == year.year]
            municipal = (
                sum(g.trained for g in this_year if g.trained_known)
                if any(g.trained_known for g in this_year)
                else None
            )
            known = [part for part in (municipal, metro.get(year.year)) if part is not None]
            values[(3, year.year)] = Decimal(sum(known)) if known else None
    if 4 in wanted:
        values.update({(4, year): value for year, value in _partner_figures(years, any_accepted).items()})
    for number, counts_from in ((5, "plan_from"), (6, "council_from")):
        if number not in wanted:
            continue
        for year in years:
            counted = sum(
                g.returns
                for g in groups
                if getattr(g, counts_from) is not None
                and _is_latest(year.year, getattr(g, counts_from), g.next_year)
            )
            # No municipality with any accepted information: no data, not 0.
            values[(number, year.year)] = Decimal(counted) if any_accepted[year.year] else None
    return values


# --- both ----------------------------------------------------------------------------------------------


def compute_all(
    fiscal_years, numbers: Iterable[int] = INDICATOR_NUMBERS, *, detail_years=None
) -> dict[tuple[int, int], Computation]:
    """{(indicator number, year): Computation} for every indicator of `numbers` and every year of
    `fiscal_years` (ints or FiscalYears), in a fixed number of queries whatever the number of
    years or records. The years of `detail_years` (by default all) come with their drill-down;
    the others with the figure alone (`detail` None), counted by the database."""
    years = sorted({FiscalYear(getattr(year, "year", year)) for year in fiscal_years})
    numbers = [number for number in INDICATOR_NUMBERS if number in set(numbers)]
    if not years or not numbers:
        return {}
    if detail_years is None:
        detailed = years
    else:
        wanted = {int(getattr(year, "year", year)) for year in detail_years}
        detailed = [year for year in years if year.year in wanted]
    results = {}
    if detailed:
        data = _YearData(detailed, numbers)
        for number in numbers:
            for year in detailed:
                detail = _detail(number, data, year)
                results[(number, year.year)] = Computation(number, year.year, detail.total, detail)
    figure_years = [year for year in years if year not in detailed]
    if figure_years:
        for (number, year), value in _figures(figure_years, numbers).items():
            results[(number, year)] = Computation(number, year, value, None)
    return {(number, year.year): results[(number, year.year)] for number in numbers for year in years}


def compute(indicator_number: int, fiscal_year: int) -> Computation:
    """One indicator for one fiscal year, with its drill-down."""
    if indicator_number not in INDICATOR_NUMBERS:
        raise ValueError(f"indicator {indicator_number} is not one of ①–⑥")
    return compute_all([fiscal_year], [indicator_number])[
        (indicator_number, int(getattr(fiscal_year, "year", fiscal_year)))
    ]
