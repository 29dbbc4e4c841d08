"""Pages for meetings, bodies, the organisation registry and case reviews.

Thin views: permission (meetings.access: its decorators, its querysets scoped to the user and its
`get_…_for_user_or_404` helpers), form, a call to meetings.services, redirect.
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from meetings import access, services
from meetings.files import content_type_for
from meetings.forms import (
    CALENDAR_YEARS,
    CaseReviewForm,
    MeetingEditor,
    OrganizationForm,
    OrganizationMergeForm,
    OrganizationRoleFormSet,
    YearForm,
    calendar_month,
    organization_choice_label,
)
from meetings.models import (
    CASE_REVIEW_TIER_CODE,
    AgendaItem,
    Body,
    CaseReview,
    CaseReviewParticipant,
    FollowUp,
    Meeting,
    Organization,
    OrganizationMerge,
    OrganizationRole,
)
from meetings.provider_names import typed_texts, warn_about_provider_names
from meetings.reports import case_review_sheet, meeting_count_rows, meeting_counts_sheet
from meetings.search import (
    ORGANIZATIONS_SHOWN,
    organizations_by_id,
    organizations_matching,
)
from meetings.selectors import (
    meeting_list_query,
    meetings_concerning_measure,
    organization_list_query,
    with_meeting_counts,
)
from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import spreadsheet_response
from plan.models import Measure, Plan

PAGE_SIZE = 50


def _plan_and_default_year():
    plan = Plan.objects.current()
    return plan, (plan.current_reporting_year() if plan else FiscalYear.current().previous())


def _plan_years(plan) -> list[FiscalYear]:
    if plan is None:
        return [FiscalYear.current()]
    return plan.fiscal_years


# --- meetings ---------------------------------------------------------------------------------------


@access.meetings_reader_required
def meeting_list(request):
    # The same rows as the list's download (meetings.list_exports).
    listed = meeting_list_query(request.user, request.GET)
    filters, search, fiscal_year = listed.filters, listed.search, listed.fiscal_year
    query = search.cleaned_data["q"] if search.is_valid() else ""
    body, tier = (
        (filters.cleaned_data["body"], filters.cleaned_data["tier"]) if filters.is_valid() else (None, None)
    )
    page = Paginator(listed.meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_organization_counts(page.object_list)

    # Case reviews are counted for everyone; only holders of the case permission see the records.
    show_case_reviews = (body is None or body.has_tiers) and (tier is None or tier.is_case_review)
    case_reviews = access.case_reviews_counted_for(request.user)
    if fiscal_year:
        case_reviews = case_reviews.in_fiscal_year(fiscal_year)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "filters": filters,
            "search": search,
            "searched": bool(query),
            "page": page,
            "fiscal_year": fiscal_year,
            "case_review_count": case_reviews.count() if show_case_reviews else None,
            "bodies": Body.objects.all(),
            "can_manage": access.can_manage_meetings(request.user),
        },
    )


def _with_organization_counts(meetings) -> list[Meeting]:
    """The page's meetings, each with `organization_count`: one grouped query over these rows."""
    meetings = list(meetings)
    counts = dict(
        Meeting.attending_organizations.through.objects.filter(meeting_id__in=[m.pk for m in meetings])
        .values_list("meeting_id")
        .annotate(n=Count("id"))
        .values_list("meeting_id", "n")
    )
    for meeting in meetings:
        meeting.organization_count = counts.get(meeting.pk, 0)
    return meetings


@access.meetings_reader_required
def measure_meetings(request, number):
    """Every meeting that discussed a measure, paginated: the measure page shows the latest few."""
    measure = get_object_or_404(Measure, plan=Plan.objects.current(), number=number)
    page = Paginator(meetings_concerning_measure(request.user, measure), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "meetings/measure_meetings.html", {"measure": measure, "page": page})


@access.meetings_reader_required
def meeting_calendar(request):
    """One month at a time (?month=2025-04), its meetings only (issue 13: the page read every
    meeting), with the fiscal year's months as links, each with its number of meetings."""
    visible = access.meetings_visible_to(request.user)
    month = _calendar_month(request.GET, visible)
    following = _next_month(month)
    meetings = (
        visible.filter(date__gte=month, date__lt=following)
        .select_related("body", "tier")
        .order_by("date", "start_time", "id")
    )
    fiscal_year = FiscalYear.of(month)
    counts = dict(
        visible.in_fiscal_year(fiscal_year)
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    year_months = []
    first = fiscal_year.start.replace(day=1)
    for _ in range(12):
        year_months.append({"first_day": first, "count": counts.get(first, 0), "current": first == month})
        first = _next_month(first)
    return render(
        request,
        "meetings/meeting_calendar.html",
        {
            "month": month,
            "meetings": meetings,
            "case_reviews": access.case_reviews_counted_for(request.user)
            .filter(date__gte=month, date__lt=following)
            .count(),
            "fiscal_year": fiscal_year,
            "year_months": year_months,
            "previous_month": _previous_month(month),
            "next_month": following,
        },
    )


def _next_month(first_day: datetime.date) -> datetime.date:
    return (first_day + datetime.timedelta(days=31)).replace(day=1)


def _previous_month(first_day: datetime.date) -> datetime.date:
    return (first_day - datetime.timedelta(days=1)).replace(day=1)


def _calendar_month(params, visible) -> datetime.date:
    """The month asked for (?month=2025-04); for a fiscal year (?year=2025, as the page's older
    links say) its first month with a meeting; else this month, or the month of the next meeting
    if this month has none."""
    month = calendar_month(params.get("month"))
    if month is not None:
        return month
    year = str(params.get("year") or "")
    if year.isascii() and year.isdigit() and int(year) in CALENDAR_YEARS:
        fiscal_year = FiscalYear(int(year))
        first = visible.in_fiscal_year(fiscal_year).order_by("date").values_list("date", flat=True).first()
        return (first or fiscal_year.start).replace(day=1)
    this_month = timezone.localdate().replace(day=1)
    upcoming = visible.filter(date__gte=this_month).order_by("date").values_list("date", flat=True).first()
    return upcoming.replace(day=1) if upcoming else this_month


@access.meetings_reader_required
def meeting_detail(request, pk):
    user = request.user
    meeting = access.get_meeting_for_user_or_404(
        request,
        pk,
        Meeting.objects.select_related("body", "tier", "created_by").prefetch_related(
            Prefetch(
                "attending_organizations",
                queryset=access.organizations_visible_to(user).order_by("name_hidden", "kind", "name"),
            ),
            Prefetch("agenda_items", queryset=AgendaItem.objects.prefetch_related("measures")),
            Prefetch("follow_ups", queryset=FollowUp.objects.prefetch_related("measures").order_by("id")),
        ),
    )
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "content_visible": access.can_read_meeting_content(user, meeting),
            "can_manage": access.can_edit_meeting(user, meeting),
            "today": timezone.localdate(),
        },
    )


@access.meetings_manager_required
def meeting_create(request):
    editor = MeetingEditor(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and editor.is_valid():
        meeting = services.meeting_create(**editor.changes(), user=request.user)
        messages.success(request, f"会議「{meeting.title}」を登録しました。")
        warn_about_provider_names(request, typed_texts(editor.form, [editor.agenda, editor.follow_ups]))
        return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"editor": editor, "meeting": None})


@access.meetings_manager_required
def meeting_edit(request, pk):
    meeting = access.get_meeting_for_editing_or_404(request, pk)
    editor = MeetingEditor(request.POST or None, request.FILES or None, instance=meeting, user=request.user)
    if request.method == "POST" and editor.is_valid():
        meeting = services.meeting_update(**editor.changes(), user=request.user)
        messages.success(request, f"会議「{meeting.title}」を更新しました。")
        warn_about_provider_names(request, typed_texts(editor.form, [editor.agenda, editor.follow_ups]))
        return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"editor": editor, "meeting": meeting})


@access.meetings_reader_required
def minutes_file(request, pk):
    """The attached minutes, through the meeting's access rule: MEDIA_ROOT itself is never served."""
    meeting = access.get_meeting_content_for_user_or_404(request, pk)
    if not meeting.minutes_file:
        raise Http404
    try:
        handle = meeting.minutes_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=meeting.minutes_file_name or meeting.minutes_file.name.rsplit("/", 1)[-1],
        content_type=content_type_for(meeting.minutes_file.name),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access.meetings_reader_required
def follow_up_list(request):
    """Open follow-ups of the meetings whose content the user may read, overdue first."""
    follow_ups = (
        access.follow_ups_visible_to(request.user, FollowUp.objects.open())
        .select_related("meeting__body", "meeting__tier")
        .prefetch_related("measures")
        .overdue_first()
    )
    page = Paginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/follow_up_list.html",
        {"page": page, "today": timezone.localdate(), "can_manage": access.can_manage_meetings(request.user)},
    )


@require_POST
@access.meetings_manager_required
def follow_up_done(request, pk):
    follow_up = access.get_follow_up_for_editing_or_404(request, pk)
    services.follow_up_mark_done(follow_up=follow_up, user=request.user)
    messages.success(request, f"対応事項「{follow_up.description}」を完了にしました。")
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("meetings:follow_up_list")


@access.meetings_reader_required
def meeting_counts(request):
    plan, _ = _plan_and_default_year()
    fiscal_years = _plan_years(plan)
    return render(
        request,
        "meetings/meeting_counts.html",
        {
            "fiscal_years": fiscal_years,
            "table": [
                (row, row.cells(fiscal_years)) for row in meeting_count_rows(fiscal_years, user=request.user)
            ],
            "can_see_case_records": access.can_see_case_records(request.user),
        },
    )


@access.meetings_reader_required
def meeting_counts_download(request):
    plan, _ = _plan_and_default_year()
    return spreadsheet_response(
        meeting_counts_sheet(_plan_years(plan), user=request.user),
        filename="会議の開催回数.xlsx",
        title="会議の開催回数",
    )


@access.meetings_reader_required
def body_detail(request, code):
    body = get_object_or_404(Body.objects.prefetch_related("tiers", "members"), code=code)
    today = timezone.localdate()
    members = list(body.members.all())
    meetings = (
        access.meetings_visible_to(request.user)
        .filter(body=body)
        .select_related("tier")
        .order_by("-date", "-id")[:10]
    )
    return render(
        request,
        "meetings/body_detail.html",
        {
            "body": body,
            "tiers": list(body.tiers.all()),
            "current_members": [member for member in members if member.serves_on(today)],
            "past_members": [member for member in members if member.term_end and member.term_end < today],
            "meetings": meetings,
            "case_review_tier_code": CASE_REVIEW_TIER_CODE,
        },
    )


# --- organisations -------------------------------------------------------------------------------


@access.meetings_reader_required
def organization_list(request):
    user = request.user
    listed = organization_list_query(user, request.GET)  # the same rows as the download
    form, organizations = listed.form, listed.organizations
    searched = form.is_valid() and bool(form.cleaned_data["q"])
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_meeting_counts(page.object_list)
    today = timezone.localdate()
    # Registry-wide by design (the summary above the list): one grouped query on the roles table.
    role_counts = dict(
        OrganizationRole.objects.active_on(today)
        .values_list("role")
        .annotate(n=Count("organization", distinct=True))
        .values_list("role", "n")
    )
    return render(
        request,
        "meetings/organization_list.html",
        {
            "form": form,
            "page": page,
            "searched": searched,
            "today": today,
            "role_counts": [
                (label, role_counts.get(value, 0)) for value, label in OrganizationRole.Kind.choices
            ],
            "can_manage": access.can_manage_meetings(user),
            "names_hidden": not access.can_see_provider_names(user),
        },
    )


@access.meetings_reader_required
def organization_search_json(request):
    """At most 20 organisations matching ?q=, for the meeting form's search field
    (static/js/organization-search.js): named, and found, as on the organisation list. Or
    ?ids=1,2: those organisations by id, named likewise (chosen ones put back after an expired
    session)."""
    if "ids" in request.GET:
        found = organizations_by_id(request.user, str(request.GET["ids"]).split(",")[:ORGANIZATIONS_SHOWN])
    else:
        found = organizations_matching(request.user, str(request.GET.get("q", ""))[:100])
    return JsonResponse(
        {"results": [{"id": org.pk, "label": organization_choice_label(org, request.user)} for org in found]},
        json_dumps_params={"ensure_ascii": False},
    )


@access.meetings_reader_required
def organization_detail(request, pk):
    organization = access.get_organization_for_user_or_404(
        request,
        pk,
        Organization.objects.prefetch_related(
            Prefetch("roles", queryset=OrganizationRole.objects.order_by("role", "start_date"))
        ),
    )
    meetings = (
        access.meetings_visible_to(request.user)
        .filter(attending_organizations=organization)
        .select_related("body", "tier")
        .order_by("-date", "-id")
    )
    can_manage = access.can_manage_organizations(request.user)
    return render(
        request,
        "meetings/organization_detail.html",
        {
            "organization": organization,
            "meetings": meetings,
            "case_review_count": CaseReviewParticipant.objects.filter(organization=organization).count(),
            "merges": OrganizationMerge.objects.filter(kept=organization).select_related("merged_by")
            if can_manage
            else [],
            "today": timezone.localdate(),
            "can_manage": can_manage,
        },
    )


def _organization_form_page(request, organization):
    creating = organization.pk is None
    form = OrganizationForm(request.POST or None, instance=organization, user=request.user)
    roles = OrganizationRoleFormSet(request.POST or None, instance=organization, prefix="roles")
    # The organisation form first: the roles' checks read its kind.
    if request.method == "POST" and form.is_valid() and roles.is_valid():
        kept = [f.instance for f in roles.forms if f.has_changed() and f not in roles.deleted_forms]
        if creating:
            organization = services.organization_create(
                organization=form.instance, roles=kept, user=request.user
            )
        else:
            organization = services.organization_update(
                organization=form.instance,
                roles=kept,
                removed_roles=[f.instance for f in roles.deleted_forms if f.instance.pk],
                user=request.user,
            )
        messages.success(request, f"「{organization.name}」を{'登録' if creating else '更新'}しました。")
        warn_about_provider_names(request, typed_texts(form, [roles]))
        return redirect(organization)
    return render(
        request,
        "meetings/organization_form.html",
        {"form": form, "roles": roles, "organization": None if creating else organization},
    )


@access.organizations_manager_required
def organization_create(request):
    return _organization_form_page(request, Organization())


@access.organizations_manager_required
def organization_edit(request, pk):
    return _organization_form_page(request, access.get_organization_for_editing_or_404(request, pk))


@access.organizations_manager_required
def organization_merge_view(request, pk):
    keep = access.get_organization_for_editing_or_404(request, pk)
    # `?remove=`: the organisation form's similar-name message links here with the record to fold in.
    form = OrganizationMergeForm(
        request.POST or None, keep=keep, user=request.user, initial={"remove": request.GET.get("remove")}
    )
    if request.method == "POST" and form.is_valid():
        record = services.organization_merge(keep=keep, remove=form.cleaned_data["remove"], user=request.user)
        moved = "、".join(f"{label} {count} 件" for label, count in record.moved.items()) or "関連なし"
        messages.success(
            request, f"「{record.removed_name}」を「{keep.name}」に統合しました（移した関連：{moved}）。"
        )
        return redirect(keep)
    return render(
        request,
        "meetings/organization_merge.html",
        {
            "organization": keep,
            "form": form,
            "meeting_count": keep.meetings_attended.count(),
            "role_count": keep.roles.count(),
        },
    )


# --- case reviews ----------------------------------------------------------------------------------


def _case_reviews(request):
    return access.case_reviews_visible_to(
        request.user,
        CaseReview.objects.prefetch_related(
            Prefetch(
                "participants",
                queryset=CaseReviewParticipant.objects.select_related("organization").order_by(
                    "organization__kind", "organization__name"
                ),
            )
        ),
    )


@access.case_permission_required
def case_review_list(request):
    plan, default_year = _plan_and_default_year()
    form = YearForm(request.GET, plan=plan, default_year=default_year)
    fiscal_year = form.fiscal_year(default_year)
    case_reviews = _case_reviews(request).in_fiscal_year(fiscal_year)
    page = Paginator(case_reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    total, attended = access.case_reviews_visible_to(request.user).counts_by_fiscal_year([fiscal_year])[
        fiscal_year.year
    ]
    return render(
        request,
        "meetings/case_review_list.html",
        {"form": form, "fiscal_year": fiscal_year, "page": page, "total": total, "attended": attended},
    )


def _case_review_form_page(request, case_review):
    creating = case_review.pk is None
    form = CaseReviewForm(request.POST or None, instance=case_review, user=request.user)
    if request.method == "POST" and form.is_valid():
        service = services.case_review_create if creating else services.case_review_update
        case_review = service(
            case_review=form.instance,
            organizations=list(form.cleaned_data["organizations"]),
            supported_before=list(form.cleaned_data["supported_before"]),
            user=request.user,
        )
        messages.success(
            request, f"ケース番号 {case_review.case_code} の記録を{'登録' if creating else '更新'}しました。"
        )
        return redirect(f"{reverse('meetings:case_review_list')}?year={case_review.fiscal_year.year}")
    return render(
        request,
        "meetings/case_review_form.html",
        {"form": form, "case_review": None if creating else case_review},
    )


@access.case_permission_required
def case_review_create(request):
    return _case_review_form_page(request, CaseReview())


@access.case_permission_required
def case_review_edit(request, pk):
    return _case_review_form_page(
        request, access.get_case_review_for_user_or_404(request, pk, _case_reviews(request))
    )


@access.case_permission_required
def case_review_download(request):
    plan, default_year = _plan_and_default_year()
    form = YearForm(request.GET, plan=plan, default_year=default_year)
    fiscal_year = form.fiscal_year(default_year)
    case_reviews = _case_reviews(request).in_fiscal_year(fiscal_year).order_by("date", "id")
    title = f"個別ケース検討会議 {fiscal_year.era_label}"
    return spreadsheet_response(
        case_review_sheet(case_reviews, title=title, user=request.user), filename=f"{title}.xlsx", title=title
    )
