"""Reading the annual returns for pages and indicators: the latest accepted information per
municipality, last year's accepted return, and what changed since it.

"Latest accepted" (docs/returns.md): for a fiscal year Y, a municipality's latest accepted return
is its accepted return of the latest round whose reporting year is Y or earlier. A return that is
being written or reviewed does not count until it is accepted, so a municipality whose plan was
accepted last year still counts while this year's return is in review; a reopened return stops
counting until it is accepted again.
"""

from dataclasses import dataclass

from meetings.models import Organization
from municipalities.models import AnnualReturn, Municipality


def last_accepted_before(annual_return: AnnualReturn) -> AnnualReturn | None:
    """The municipality's accepted return of the latest round before this one's year."""
    return (
        AnnualReturn.objects.accepted()
        .filter(municipality_id=annual_return.municipality_id, round__fiscal_year__lt=annual_return.round.fiscal_year)
        .select_related("round")
        .order_by("-round__fiscal_year")
        .first()
    )


def latest_accepted_returns(*, as_of_fiscal_year: int) -> dict[int, AnnualReturn]:
    """{municipality id: its latest accepted return for a round of `as_of_fiscal_year` or before}."""
    latest = {}
    returns = (
        AnnualReturn.objects.accepted()
        .filter(round__fiscal_year__lte=as_of_fiscal_year)
        .select_related("round")
        .order_by("municipality_id", "-round__fiscal_year")
    )
    for annual_return in returns:
        latest.setdefault(annual_return.municipality_id, annual_return)
    return latest


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


def latest_accepted_status(as_of_fiscal_year: int) -> list[MunicipalityStatus]:
    """Every municipality, in code order, with its latest accepted return as of the year
    (for indicators ⑤ and ⑥ and their drill-down). Two queries."""
    latest = latest_accepted_returns(as_of_fiscal_year=as_of_fiscal_year)
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
        values[name] = set(getattr(annual_return, name).values_list("pk", flat=True)) if annual_return.pk else set()
    return values


def display_value(name: str, value) -> str:
    """An answer as people read it: choice labels, はい/いいえ, （空欄） for nothing."""
    field = AnnualReturn._meta.get_field(name)
    if isinstance(value, set):
        if not value:
            return "（なし）"
        return "、".join(Organization.objects.filter(pk__in=value).order_by("name").values_list("name", flat=True))
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
    return [FieldDifference(name, before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)]


def fields_changed_since_last_accepted(annual_return: AnnualReturn) -> list[FieldDifference]:
    """The answers that differ from the municipality's last accepted return (of an earlier round),
    for highlighting to the reviewer. Empty when there is no earlier accepted return to compare
    with (see `last_accepted_before`). The courses attended are not compared: they are the year's
    own courses."""
    previous = last_accepted_before(annual_return)
    if previous is None:
        return []
    return differences(answer_values(previous), answer_values(annual_return))
