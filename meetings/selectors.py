"""Reads of the meetings app that more than one page shares."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch
from django.utils import timezone

from meetings import access
from meetings.forms import AWAITING_RECORD, MeetingFilterForm, OrganizationSearchForm
from meetings.models import AgendaItem, Meeting, Organization, OrganizationRole
from meetings.provider_names import text_matches
from meetings.search import MeetingSearchForm, meetings_matching, organization_search_words
from plan.common.fiscal_year import FiscalYear
from plan.models import Plan


def meetings_concerning_measure(user, measure):
    """The meetings `user` may see whose agenda concerns `measure`, newest first, each with
    `measure_agenda` (its agenda items about the measure). A queryset, so that the measure page
    can take the latest few and the full list can paginate it."""
    return (
        access.meetings_visible_to(user)
        .filter(agenda_items__measures=measure)
        .distinct()
        .select_related("body", "tier")
        .prefetch_related(
            Prefetch(
                "agenda_items", queryset=AgendaItem.objects.filter(measures=measure), to_attr="measure_agenda"
            )
        )
        .order_by("-date", "-start_time", "-id")
    )


# --- the meetings list and the organisation registry ------------------------------------------


@dataclass
class MeetingListQuery:
    filters: MeetingFilterForm
    search: MeetingSearchForm
    fiscal_year: FiscalYear | None
    meetings: object  # the queryset, in the page's order


def meeting_list_query(user, params) -> MeetingListQuery:
    """The meetings list's rows for `user` under the filters in `params`, for the page
    (meetings.views.meeting_list) and its download (meetings.list_exports): the fiscal year (the reporting year unless another or every
    year is asked for), the body, the tier, the state and the keyword."""
    plan = Plan.objects.current()
    default_year = plan.current_reporting_year() if plan else FiscalYear.current().previous()
    filters = MeetingFilterForm(params, plan=plan, default_year=default_year)
    # No annotation here: a COUNT would group every row before the LIMIT, and Django drops
    # Meta.ordering from grouped queries, which left ?year=all unordered (issue 13). The page
    # counts the organisations on its own rows only.
    meetings = access.meetings_visible_to(
        user, Meeting.objects.select_related("body", "tier").order_by("-date", "-start_time", "-id")
    )
    fiscal_year, body, tier = default_year, None, None
    if filters.is_valid():
        fiscal_year = filters.fiscal_year()
        body, tier = filters.cleaned_data["body"], filters.cleaned_data["tier"]
        status, today = filters.cleaned_data["status"], timezone.localdate()
        if status == AWAITING_RECORD:
            meetings = meetings.filter(status=Meeting.Status.PLANNED, date__lt=today)
        elif status == Meeting.Status.PLANNED:
            meetings = meetings.filter(status=status, date__gte=today)
        elif status:
            meetings = meetings.filter(status=status)
    if fiscal_year:
        meetings = meetings.in_fiscal_year(fiscal_year).order_by("date", "start_time", "id")
    if body:
        meetings = meetings.filter(body=body)
    if tier:
        meetings = meetings.filter(tier=tier)
    search = MeetingSearchForm(params)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    if query:
        meetings = meetings_matching(meetings, query, user)
    return MeetingListQuery(filters, search, fiscal_year, meetings)


@dataclass
class OrganizationListQuery:
    form: OrganizationSearchForm
    organizations: object  # the queryset, in the page's order (masked names last)


def organization_list_query(user, params) -> OrganizationListQuery:
    """The registry's rows for `user` under the page's search (name, kind, role), for the page
    (meetings.views.organization_list) and its download (meetings.list_exports). A search by name or kind never returns a row whose
    name is masked for the user, and a name is matched as the user reads it."""
    form = OrganizationSearchForm(params)
    organizations = (
        # Meetings are counted on the page's rows only: a COUNT here grouped the whole registry
        # before the LIMIT (issue 13).
        access.organizations_visible_to(user)
        .prefetch_related(Prefetch("roles", queryset=OrganizationRole.objects.order_by("role", "start_date")))
        .order_by("name_hidden", "kind", "name")
    )
    if form.is_valid():
        if form.cleaned_data["q"]:
            findable = access.organizations_findable_by(user, organizations)
            words = organization_search_words(form.cleaned_data["q"])
            kept = [
                pk for pk, name in findable.values_list("pk", "name") if text_matches([name], words, user)
            ]
            organizations = findable.filter(pk__in=kept)
        if form.cleaned_data["kind"]:
            organizations = access.organizations_findable_by(user, organizations).filter(
                kind=form.cleaned_data["kind"]
            )
        if form.cleaned_data["role"]:
            organizations = organizations.filter(
                Exists(
                    OrganizationRole.objects.filter(
                        organization=OuterRef("pk"), role=form.cleaned_data["role"]
                    )
                )
            )
    return OrganizationListQuery(form, organizations)


def with_meeting_counts(organizations) -> list[Organization]:
    """The organisations (a page of the registry, or its download), each with `meeting_count` (meetings attended): one grouped query
    over these rows."""
    organizations = list(organizations)
    counts = dict(
        Meeting.attending_organizations.through.objects.filter(
            organization_id__in=[o.pk for o in organizations]
        )
        .values_list("organization_id")
        .annotate(n=Count("meeting_id", distinct=True))
        .values_list("organization_id", "n")
    )
    for organization in organizations:
        organization.meeting_count = counts.get(organization.pk, 0)
    return organizations
