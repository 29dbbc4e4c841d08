"""The indicators' pages: the overview of the six (figures per plan year, grade, progress, a chart)
and one page per indicator with the drill-down of a fiscal year. Read-only: every write is the
secretariat's, in the admin (indicators.admin → indicators.services).

Who sees what is asked of indicators.access (the pages) and meetings.access (case records and
providers' names in the drill-down); see docs/indicators.md 「画面」.
"""

from collections import Counter
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from indicators.access import can_see_indicators
from indicators.charts import figures_chart_svg
from indicators.computations import INDICATOR_NUMBERS, PartnerSource
from indicators.selectors import format_value, indicator_year_figures
from meetings import access as meetings_access
from plan.common.fiscal_year import FiscalYear
from plan.models import Plan


def indicators_reader_required(view):
    """Any role reads the indicators; an account without a role is refused (403). Anonymous users
    never get here: the login middleware sends them to the login page first."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_see_indicators(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _plan_years() -> tuple[list[FiscalYear], FiscalYear]:
    """The plan's years and the year pages default to (the reporting year the secretariat set)."""
    plan = Plan.objects.current()
    if plan is None:
        year = FiscalYear.current().previous()
        return [year], year
    return plan.fiscal_years, plan.current_reporting_year()


def _chosen_year(request, years: list[FiscalYear], default: FiscalYear) -> FiscalYear:
    """?year= when it is one of the plan's years that have begun; anything else shows the default."""
    try:
        chosen = FiscalYear(int(request.GET.get("year", "")))
    except ValueError:
        return default
    return chosen if chosen in years else default


def _chart(figures, this_year: FiscalYear) -> str:
    svg = figures_chart_svg(figures, this_year)
    return mark_safe(svg)  # noqa: S308 — indicator_chart_svg escapes every text it writes


@indicators_reader_required
def overview(request):
    years, reporting_year = _plan_years()
    # A figure is "at the year's end": a year not begun has none yet (the computations would count
    # what is registered today), and this year's is provisional. The page says so.
    this_year = FiscalYear.current()
    # The figures only (counted by the database): the drill-down is on each indicator's page.
    rows = [(figures, _chart(figures, this_year)) for figures in indicator_year_figures(years, detail_years=())]
    return render(
        request,
        "indicators/overview.html",
        {"years": years, "reporting_year": reporting_year, "this_year": this_year, "rows": rows},
    )


def _case_review_dates(detail) -> list[tuple]:
    """① for readers without the case permission: the dates meetings were held on and how many
    each day (the issue's "counts and dates"). Whether she took part in a given meeting, and its
    case code, stay with the case records."""
    days = Counter(row.date for row in detail.rows)
    return sorted(days.items())


def _case_review_rows(user, detail) -> list[dict]:
    """① for holders of the case permission: each meeting with its case code (read through
    meetings.access, so no one else could get them even by mistake)."""
    codes = dict(
        meetings_access.case_reviews_visible_to(user)
        .filter(pk__in=[row.id for row in detail.rows])
        .values_list("pk", "case_code")
    )
    return [
        {"date": row.date, "attended": row.woman_attended, "case_code": codes.get(row.id, "")}
        for row in detail.rows
    ]


def _partner_groups(user, detail) -> list[dict]:
    """④ grouped by who works with them: 都, 区市町村 (registry role), then each municipality in
    code order. An organisation working with several appears under each; names are masked where a
    provider's name would show."""
    groups: dict[str, list] = {}
    for label in (PartnerSource.METRO, PartnerSource.MUNICIPAL_ROLE):
        groups[label] = []
    municipalities = sorted(
        {municipality for row in detail.rows for municipality in row.municipalities}, key=lambda m: m.code
    )
    for municipality in municipalities:
        groups[municipality.name] = []
    for row in detail.rows:
        name = meetings_access.organization_name_for(user, row.organization)
        if row.with_metro:
            groups[PartnerSource.METRO].append({"name": name, "year": None})
        if row.with_municipal_role:
            groups[PartnerSource.MUNICIPAL_ROLE].append({"name": name, "year": None})
        for municipality, year in row.municipalities.items():
            groups[municipality.name].append({"name": name, "year": FiscalYear(year) if year else None})
    return [
        {"label": label, "organizations": organizations}
        for label, organizations in groups.items()
        if organizations
    ]


def _providers(user, detail) -> list[str] | None:
    """② names for the secretariat and holders of the case permission; None (the count only) for
    everyone else."""
    if not meetings_access.can_see_provider_names(user):
        return None
    return [organization.name for organization in detail.organizations]


@indicators_reader_required
def detail(request, number):
    if number not in INDICATOR_NUMBERS:
        raise Http404("指標が見つかりません。")
    plan_years, reporting_year = _plan_years()
    this_year = FiscalYear.current()
    # Years not yet begun have no figure to drill into (before the plan starts: its first year).
    years = [year for year in plan_years if year <= this_year] or plan_years[:1]
    year = _chosen_year(request, years, reporting_year if reporting_year in years else years[-1])
    figures = next((item for item in indicator_year_figures([year]) if item.indicator.number == number), None)
    if figures is None:  # the reference data is not loaded
        raise Http404("指標が見つかりません。")
    figure = figures.years[0]
    indicator = figures.indicator
    drill_down = figure.computation.detail
    context = {
        "indicator": indicator,
        "figures": figures,
        "figure": figure,
        "drill_down": drill_down,
        "drill_down_total": format_value(figure.computation.value, indicator.unit),
        "total_matches": figure.computation.value == figure.value,
        "years": years,
        "year": year,
        "in_progress": year == this_year,
        "can_see_case_records": meetings_access.can_see_case_records(request.user),
        "can_see_provider_names": meetings_access.can_see_provider_names(request.user),
    }
    if number == 1:
        if context["can_see_case_records"]:
            context["case_reviews"] = _case_review_rows(request.user, drill_down)
        else:
            context["case_review_dates"] = _case_review_dates(drill_down)
    elif number == 2:
        context["provider_names"] = _providers(request.user, drill_down)
        context["provider_count"] = len(drill_down.organizations)
    elif number == 4:
        context["partner_groups"] = _partner_groups(request.user, drill_down)
    return render(request, "indicators/detail.html", context)
