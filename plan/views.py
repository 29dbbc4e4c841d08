from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from plan.access import any_role_required, role_required
from plan.accounts.roles import Role, has_role, is_plan_admin
from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import SpreadsheetError, spreadsheet_response
from plan.common.text import measure_number_in
from plan.forms import (
    HeadingReviewForm,
    ProgressForm,
    ProgressImportForm,
    ReportingYearForm,
    ResponsibilityForm,
    SearchForm,
    YearStartForm,
)
from plan.models import Area, Department, Goal, Listing, Measure, MeasureProgress, MeasureResponsibility, Plan
from plan.progress.access import get_progress_for_user_or_404
from plan.progress.selectors import (
    measure_progress_context,
    my_progress_counts,
    next_year_to_start,
    progress_counts,
    progress_history,
    progress_list_query,
    progress_listings,
    started_years,
)
from plan.progress.services import (
    plan_set_reporting_year,
    progress_update,
    progress_year_start,
    responsibility_confirm,
)
from plan.progress.spreadsheet import (
    SESSION_KEY,
    progress_export_sheets,
    progress_import_apply,
    progress_import_parse,
)
from plan.progress.validation import ProgressConflict
from plan.services import measure_review_heading


def _current_plan():
    plan = Plan.objects.current()
    if plan is None:
        # Only on an empty database: the setup command loads the plan.
        raise Http404("計画データが読み込まれていません。")
    return plan


@any_role_required
def plan_tree(request):
    plan = _current_plan()
    listings = Listing.objects.select_related("measure").order_by("position")
    goals = (
        Goal.objects.filter(plan=plan)
        .annotate(
            measure_count=Count("areas__listings", filter=Q(areas__listings__relisted=False), distinct=True),
            relisting_count=Count("areas__listings", filter=Q(areas__listings__relisted=True), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "areas",
                queryset=Area.objects.order_by("position")
                .annotate(
                    measure_count=Count("listings", filter=Q(listings__relisted=False)),
                    relisting_count=Count("listings", filter=Q(listings__relisted=True)),
                )
                .prefetch_related(Prefetch("listings", queryset=listings)),
            )
        )
    )
    return render(request, "plan/tree.html", {"plan": plan, "goals": goals})


@any_role_required
def measure_detail(request, number):
    plan = _current_plan()
    measure = get_object_or_404(
        Measure.objects.with_listings().select_related("heading_reviewed_by"), plan=plan, number=number
    )
    context = {"plan": plan, "measure": measure}
    context.update(measure_progress_context(measure=measure, user=request.user, plan=plan))
    # The page shows each year's latest few changes; the full history is its own paginated page.
    # Printed, it shows one year's record and the last change, unless ?print=full asks for every
    # year and every change (static/css/print.css, issue 12 item 4).
    history = context.pop("progress_history")
    print_full = request.GET.get("print") == "full"
    shown = None if print_full else MEASURE_PAGE_HISTORY
    by_year = {}
    for entry in history:
        by_year.setdefault(entry.year, []).append(entry)
    context["progress_history_years"] = [
        {"year": year, "entries": entries[:shown], "count": len(entries)}
        for year, entries in sorted(by_year.items(), key=lambda item: item[0].year, reverse=True)
    ]
    records = context["progress_records"]
    reporting_year = context["progress_reporting_year"].year
    context["print_full"] = print_full
    context["last_change"] = history[0] if history else None  # newest first
    # The reporting year's record, or the newest there is when that year has not begun.
    context["print_year"] = (
        reporting_year
        if any(record.fiscal_year == reporting_year for record in records)
        else (records[0].fiscal_year if records else None)
    )
    context["print_year_label"] = FiscalYear(context["print_year"]).label if context["print_year"] else ""
    return render(request, "plan/measure_detail.html", context)


MEASURE_PAGE_HISTORY = 5
HISTORY_PAGE_SIZE = 20


@any_role_required
def measure_history(request, number):
    """Every change to a measure's progress, newest first, paginated; `?year=` narrows it to one
    fiscal year (the measure page links each year's 「すべて見る」 here)."""
    plan = _current_plan()
    measure = get_object_or_404(Measure, plan=plan, number=number)
    entries = progress_history(measure)
    fiscal_year = None
    if (year := request.GET.get("year", "")).isdigit():
        fiscal_year = FiscalYear(int(year))
        entries = [entry for entry in entries if entry.year.year == fiscal_year.year]
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "plan/measure_history.html",
        {"plan": plan, "measure": measure, "page": page, "fiscal_year": fiscal_year},
    )


@any_role_required
def measure_search(request):
    plan = _current_plan()
    form = SearchForm(request.GET or None)
    measures = None
    if form.is_valid() and form.cleaned_data["q"]:
        measures = Measure.objects.filter(plan=plan).search(form.cleaned_data["q"]).with_listings()
        if len(measures) == 1 and measure_number_in(form.cleaned_data["q"]) is not None:
            return redirect("plan:measure_detail", number=measures[0].number)
    return render(request, "plan/search.html", {"plan": plan, "form": form, "measures": measures})


@role_required(Role.PLAN_ADMIN)
def inferred_headings(request):
    plan = _current_plan()
    measures = (
        Measure.objects.filter(plan=plan, heading_inferred=True)
        .select_related("heading_reviewed_by")
        .with_listings()
    )
    return render(request, "plan/inferred_headings.html", {"plan": plan, "measures": measures})


@role_required(Role.PLAN_ADMIN)
def inferred_heading_review(request, number):
    plan = _current_plan()
    measure = get_object_or_404(
        Measure.objects.with_listings(), plan=plan, number=number, heading_inferred=True
    )
    neighbours = Measure.objects.filter(plan=plan, number__in=[number - 1, number + 1]).order_by("number")
    form = HeadingReviewForm(request.POST or None, instance=measure)
    if request.method == "POST" and form.is_valid():
        measure_review_heading(measure=measure, heading=form.cleaned_data["heading"], user=request.user)
        messages.success(request, f"No.{measure.number} の事項を確認済みにしました。")
        return redirect("plan:inferred_headings")
    return render(
        request,
        "plan/inferred_heading_review.html",
        {"plan": plan, "measure": measure, "form": form, "neighbours": neighbours},
    )


# --- measure progress --------------------------------------------------------------------------


def _safe_next(request, fallback):
    """Where to go after saving: `next` if it is a path on this site, otherwise `fallback`.

    Only a path starting with a single "/" is taken: a bare word ("abc") would be looked up as a
    URL name by redirect() and fail, and "//host" or "/\\host" lead off-site. Callers redirect with
    HttpResponseRedirect, which never treats the value as a URL name."""
    target = request.POST.get("next") or request.GET.get("next")
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return fallback


# A number no measure has, put in a reversed URL and replaced by each row's own (one reverse per
# list rather than three per row).
_URL_NUMBER = 987654321


def _progress_row_labels(listings, *, year: FiscalYear, current_url: str) -> None:
    """The progress list's links and badges for each row. Each badge snippet (the one source of
    its wording and marks, shared with the measure page) is rendered once per distinct value and
    reused: rendering it by {% include %} on every row was most of the page's time at scale."""
    detail_url = reverse("plan:measure_detail", args=[_URL_NUMBER])
    edit_url = f"{reverse('plan:progress_edit', args=[year.year, _URL_NUMBER])}?next={quote(current_url, safe='/')}"
    number = str(_URL_NUMBER)
    rendered = {}

    def snippet(name, key, record):
        if (name, key) not in rendered:
            rendered[name, key] = render_to_string(f"plan/snippets/{name}.html", {"record": record})
        return rendered[name, key]

    relisted = snippet("relisted_badge", None, None)
    for listing in listings:
        record = listing.record
        # A string, not the number: the template localises every number it shows, and there are five a row.
        listing.number = measure_number = str(listing.measure.number)
        listing.detail_url = detail_url.replace(number, measure_number)
        listing.edit_url = edit_url.replace(number, measure_number, 1) if listing.editable else ""
        listing.relisted_badge = relisted if listing.relisted else ""
        listing.assessment_badge = snippet("assessment_badge", record and record.assessment, record)
        listing.direction_label = snippet("direction_label", record.direction, record) if record else ""
        updated_key = (
            record
            and record.updated_at
            and (timezone.localtime(record.updated_at).date(), record.updated_by_id)
        )
        listing.updated_badge = snippet("updated_badge", (bool(record), updated_key), record)


@any_role_required
def progress_list(request):
    plan = _current_plan()
    # The same filters and rows as the list's download (plan.progress.list_export).
    query = progress_list_query(plan, request.GET)
    form, year, filters = query.form, query.year, query.filters
    listings = progress_listings(plan=plan, fiscal_year=year.year, filters=filters, user=request.user)
    _progress_row_labels(listings, year=year, current_url=request.get_full_path())
    counts = progress_counts(plan=plan, fiscal_year=year.year)
    mine = my_progress_counts(plan=plan, fiscal_year=year.year, user=request.user)
    return render(
        request,
        "plan/progress_list.html",
        {
            "plan": plan,
            "year": year,
            "form": form,
            "filters": filters,
            "listings": listings,
            "counts": counts,
            "assessments": MeasureProgress.Assessment.choices,
            "started": any(goal.records for goal in counts),
            "measure_count": len({listing.measure_id for listing in listings}),
            "mine": mine,
            "bureau_level_rows": any(listing.bureau_level for listing in listings),
            "is_bureau_staff": has_role(request.user, Role.BUREAU_STAFF) and not is_plan_admin(request.user),
            "current_url": request.get_full_path(),
        },
    )


@role_required(Role.PLAN_ADMIN, Role.BUREAU_STAFF)
def progress_edit(request, year, number):
    plan = _current_plan()
    year = FiscalYear(year)  # the URL's year number
    measure = get_object_or_404(Measure.objects.with_listings(), plan=plan, number=number)
    record = get_progress_for_user_or_404(request, measure=measure, fiscal_year=year.year)
    previous = (
        MeasureProgress.objects.filter(measure=measure, fiscal_year=year.previous().year)
        .select_related("updated_by")
        .first()
    )
    next_url = _safe_next(request, reverse("plan:measure_detail", args=[number]))
    conflict = None
    status = 200
    if request.method == "POST":
        form = ProgressForm(request.POST, instance=record)
        if form.is_valid():
            try:
                changes = progress_update(
                    progress=record,
                    expected_version=form.cleaned_data["expected_version"],
                    values=form.progress_values(),
                    user=request.user,
                )
            except ProgressConflict as error:
                conflict, status = error, 409
                # Keep what the person typed; the next save starts from the version they have now seen.
                data = request.POST.copy()
                data["expected_version"] = error.current.version
                record = error.current
                form = ProgressForm(data, instance=record)
            except ValidationError as error:
                for name, messages_ in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, messages_)
                status = 400
            else:
                label = f"No.{number} の{year.era_label}の進捗"
                if changes:
                    messages.success(request, f"{label}を保存しました（{'・'.join(c.label for c in changes)}）。")
                else:
                    messages.info(request, f"{label}に変更はありませんでした。")
                return HttpResponseRedirect(next_url)
        else:
            status = 400
    else:
        form = ProgressForm(instance=record)
    if form.is_bound:
        # Validating writes what was typed onto the form's instance: the page's status shows the
        # record as saved, the form keeps what was typed.
        record = MeasureProgress.objects.select_related("updated_by").prefetch_related("departments__parent").get(pk=record.pk)
    return render(
        request,
        "plan/progress_edit.html",
        {
            "plan": plan,
            "measure": measure,
            "record": record,
            "year": year,
            "previous": previous,
            "form": form,
            "conflict": conflict,
            "next_url": next_url,
        },
        status=status,
    )


@role_required(Role.PLAN_ADMIN)
def progress_years(request):
    plan = _current_plan()
    if request.method == "POST":
        action = request.POST.get("action")
        form = YearStartForm(request.POST) if action == "start" else ReportingYearForm(request.POST)
        if action not in ("start", "reporting") or not form.is_valid():
            messages.error(request, "年度を選んでください。")
            return redirect("plan:progress_years")
        try:
            if action == "start":
                result = progress_year_start(plan=plan, fiscal_year=form.cleaned_data["year"], user=request.user)
                if result.created:
                    messages.success(
                        request, f"{result.year.label}を開始しました（施策 {result.created} 件の記録を作成。すべて「未更新」です）。"
                    )
                else:
                    messages.info(request, f"{result.year.label}はすでに開始されています。何も変更していません。")
            else:
                reporting_year = plan_set_reporting_year(plan=plan, fiscal_year=form.cleaned_data["year"], user=request.user)
                messages.success(request, f"報告対象年度を{reporting_year.label}にしました。")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("plan:progress_years")
    started = started_years(plan)
    reporting_year = plan.current_reporting_year()
    years = [
        {"year": year, "started": started.get(year.year), "reporting": year == reporting_year}
        for year in plan.fiscal_years
    ]
    return render(
        request,
        "plan/progress_years.html",
        {"plan": plan, "years": years, "next_year": next_year_to_start(plan), "reporting_year": reporting_year},
    )


@role_required(Role.PLAN_ADMIN)
def progress_export(request, year):
    plan = _current_plan()
    year = FiscalYear(year)  # the URL's year number
    if year not in plan.fiscal_years:
        raise Http404("計画期間外の年度です。")
    department = None
    if request.GET.get("department"):
        department = get_object_or_404(Department, pk=request.GET["department"]) if request.GET["department"].isdigit() else None
        if department is None:
            raise Http404("所管の指定が正しくありません。")
    sheets = progress_export_sheets(plan=plan, fiscal_year=year.year, user=request.user, department=department)
    name = f"施策の進捗_{year.era_label}" + (f"_{department}" if department else "")
    return spreadsheet_response(sheets, filename=name.replace(" ", "_"), title=f"{plan.short_name} 施策の進捗 {year.label}")


@role_required(Role.PLAN_ADMIN)
def progress_import(request):
    plan = _current_plan()
    form = ProgressImportForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = progress_import_parse(file=upload, plan=plan, user=request.user, filename=upload.name)
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            # Only the parsed, validated rows are kept, in the session, never the file itself.
            if preview.can_apply:
                request.session[SESSION_KEY] = preview.to_session()
            else:
                request.session.pop(SESSION_KEY, None)
    status = 400 if request.method == "POST" and (form.errors or (preview and preview.errors)) else 200
    return render(
        request,
        "plan/progress_import.html",
        {
            "plan": plan,
            "form": form,
            "preview": preview,
            "reporting_year": plan.current_reporting_year(),
            "departments": Department.objects.filter(is_active=True, parent__isnull=True),
        },
        status=status,
    )


@role_required(Role.PLAN_ADMIN)
@require_POST
def progress_import_confirm(request):
    data = request.session.get(SESSION_KEY)
    if not data or data.get("token") != request.POST.get("token"):
        messages.error(request, "取り込む内容が見つかりません（期限切れか、別の画面で取り込み済みです）。もう一度ファイルを選んでください。")
        return redirect("plan:progress_import")
    if "cancel" in request.POST:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "取り込みを取り消しました。何も変更していません。")
        return redirect("plan:progress_import")
    if data["conflicts"] and request.POST.get("skip_conflicts") != "1":
        messages.error(request, "競合する行があります。競合する行を除いて取り込むか、取り消してください。")
        return redirect("plan:progress_import")
    try:
        rows, cells = progress_import_apply(data=data, user=request.user)
    except ProgressConflict as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(
            request,
            f"確認の後に No.{error.current.measure.number} がシステム上で更新されたため、取り込みを中止しました"
            "（何も変更していません）。もう一度ファイルを選んで確認してください。",
        )
        return redirect("plan:progress_import")
    except (ValidationError, PermissionDenied) as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, f"取り込みを中止しました（何も変更していません）：{error}")
        return redirect("plan:progress_import")
    request.session.pop(SESSION_KEY, None)
    skipped = f"競合した {len(data['conflicts'])} 行は取り込んでいません。" if data["conflicts"] else ""
    messages.success(request, f"{rows} 件の施策の進捗を取り込みました（変更したセル {cells} 件）。{skipped}")
    return redirect(f"{reverse('plan:progress_list')}?year={data['fiscal_year']}")


@role_required(Role.PLAN_ADMIN)
def responsibilities(request):
    plan = _current_plan()
    errors = {}
    if request.method == "POST":
        form = ResponsibilityForm(request.POST)
        if form.is_valid():
            measure = get_object_or_404(Measure, plan=plan, number=form.cleaned_data["number"])
            responsibility, _ = MeasureResponsibility.objects.get_or_create(measure=measure)
            changed = responsibility_confirm(
                responsibility=responsibility, departments=form.cleaned_data["departments"], user=request.user
            )
            verb = "修正して確認済みにしました" if changed else "確認済みにしました"
            messages.success(request, f"No.{measure.number} の所管を{verb}。")
            return HttpResponseRedirect(f"{_safe_next(request, reverse('plan:responsibilities'))}#resp-{measure.number}")
        number = request.POST.get("number", "")
        errors[int(number) if number.isdigit() else None] = " ".join(
            message for field_errors in form.errors.values() for message in field_errors
        )
    provisional_only = request.GET.get("provisional") == "1"
    measures = (
        Measure.objects.filter(plan=plan)
        .select_related("responsibility__confirmed_by")
        .prefetch_related("responsibility__departments")
        .order_by("number")
    )
    if provisional_only:
        measures = measures.exclude(responsibility__confirmed_at__isnull=False)
    departments = sorted(
        Department.objects.filter(is_active=True).select_related("parent"),
        key=lambda d: (d.parent.position if d.parent_id else d.position, d.parent_id or 0, d.position),
    )
    rows = []
    for measure in measures:
        responsibility = getattr(measure, "responsibility", None)
        selected = {d.pk for d in responsibility.departments.all()} if responsibility else set()
        rows.append({"measure": measure, "responsibility": responsibility, "selected": selected, "error": errors.get(measure.number)})
    provisional = MeasureResponsibility.objects.filter(measure__plan=plan, confirmed_at__isnull=True).count()
    return render(
        request,
        "plan/responsibilities.html",
        {
            "plan": plan,
            "rows": rows,
            "departments": departments,
            "provisional_count": provisional,
            "provisional_only": provisional_only,
            "current_url": request.get_full_path(),
        },
        status=400 if errors else 200,
    )
