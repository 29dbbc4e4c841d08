"""Computing the six indicators from the system's data, per fiscal year, with their drill-down.

`compute(number, year)` gives one indicator's `Computation`: its value (a Decimal, or None for
"no data", never 0 in its place) and the rows that make it (`detail`), whose `total` is the value.
`compute_all(years)` gives every indicator for every year in a fixed number of queries, whatever
the number of years: the data of all the years is read at once and sorted by year here.

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

from django.db.models import Prefetch

from indicators.models import MetroTrainedWorkers
from meetings.models import CaseReview, Organization, OrganizationRole
from municipalities.models import AnnualReturn, Municipality, WorkerPlacement
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
    detail: object  # one of the drill-down classes above

    @property
    def has_data(self) -> bool:
        return self.value is not None


# --- reading the data of several years at once --------------------------------------------------------


def _organizations():
    # Confidentiality annotated, so that masking a provider's name asks nothing more.
    return Organization.objects.with_confidentiality().order_by("name", "id")


class _YearData:
    """The data the computations need for `years`, each part read once (a fixed number of queries
    whatever the number of years), only for the indicators asked for."""

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
            self.partner_roles = self._roles(list(OrganizationRole.PARTNER_KINDS), kind=Organization.Kind.PRIVATE)
        self.municipalities = []
        if numbers & {3, 4, 5, 6}:
            self.municipalities = list(Municipality.objects.order_by("code"))
        self.accepted = []
        if numbers & {3, 4, 5, 6}:
            returns = (
                AnnualReturn.objects.accepted()
                .filter(round__fiscal_year__lte=last.year)
                .select_related("round", "municipality")
                .order_by("municipality__code", "-round__fiscal_year")
            )
            if 4 in numbers:
                private = _organizations().filter(kind=Organization.Kind.PRIVATE)
                returns = returns.prefetch_related(
                    Prefetch("council_organizations", queryset=private, to_attr="council_private"),
                    Prefetch("collaboration_organizations", queryset=private, to_attr="collaboration_private"),
                )
            self.accepted = list(returns)
        self.metro = {}
        if 3 in numbers:
            self.metro = {
                figures.fiscal_year: figures
                for figures in MetroTrainedWorkers.objects.filter(fiscal_year__in=[year.year for year in years])
            }

    @staticmethod
    def _roles(kinds, *, kind):
        """Every role of `kinds` (of whatever period) with its organisation: which are active on a
        year's last day is sorted here, year by year."""
        roles = OrganizationRole.objects.filter(role__in=kinds)
        if kind is not None:
            roles = roles.filter(organization__kind=kind)
        organizations = {org.pk: org for org in _organizations().filter(pk__in=roles.values("organization_id"))}
        rows = list(roles.order_by("organization_id", "start_date", "id").values_list("organization_id", "role", "start_date", "end_date"))
        return [(organizations[org_id], role, start, end) for org_id, role, start, end in rows if org_id in organizations]

    def latest_accepted(self, year: FiscalYear) -> list[MunicipalityStatus]:
        """Every municipality in code order with its latest accepted return as of `year`: the rule
        of municipalities.selectors.latest_accepted_status (its accepted return of the latest round
        for the year or before), read from the returns of every year at once instead of two
        queries per year. tests/indicators checks that both agree."""
        latest = {}
        for annual_return in self.accepted:  # newest round first within each municipality
            if annual_return.round.fiscal_year <= year.year:
                latest.setdefault(annual_return.municipality_id, annual_return)
        return [MunicipalityStatus(municipality, latest.get(municipality.pk)) for municipality in self.municipalities]


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
    return TrainedWorkers(municipal_rows=rows, metro=data.metro.get(year.year), municipalities_without_return=without)


@dataclass(frozen=True)
class _StatusRule:
    """⑤ or ⑥ for one return: what the return answered, and the date it gives for it."""

    answered: str  # the return's property: has_basic_plan / council_is_set_up
    date_field: str  # plan_made_on / council_set_up_on
    not_made: str  # NotCounted, when the answer is no


PLAN_RULE = _StatusRule("has_basic_plan", "plan_made_on", NotCounted.NO_PLAN)
COUNCIL_RULE = _StatusRule("council_is_set_up", "council_set_up_on", NotCounted.NO_COUNCIL)


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


def compute_all(fiscal_years, numbers: Iterable[int] = INDICATOR_NUMBERS) -> dict[tuple[int, int], Computation]:
    """{(indicator number, year): Computation} for every indicator of `numbers` and every year of
    `fiscal_years` (ints or FiscalYears), in a fixed number of queries whatever the number of
    years."""
    years = sorted({FiscalYear(getattr(year, "year", year)) for year in fiscal_years})
    numbers = [number for number in INDICATOR_NUMBERS if number in set(numbers)]
    if not years or not numbers:
        return {}
    data = _YearData(years, numbers)
    results = {}
    for number in numbers:
        for year in years:
            detail = _detail(number, data, year)
            results[(number, year.year)] = Computation(number, year.year, detail.total, detail)
    return results


def compute(indicator_number: int, fiscal_year: int) -> Computation:
    """One indicator for one fiscal year, with its drill-down."""
    if indicator_number not in INDICATOR_NUMBERS:
        raise ValueError(f"indicator {indicator_number} is not one of ①–⑥")
    return compute_all([fiscal_year], [indicator_number])[(indicator_number, int(getattr(fiscal_year, "year", fiscal_year)))]
