"""The secretariat's pages: return rounds, reviewing returns, the status matrix, a municipality's returns.

Plan administrators only (everyone else 403; anonymous users are sent to the login page by the
middleware). Reads through municipalities.selectors, writes through municipalities.services, access
through plan.access.role_required and municipalities.access. See docs/returns.md."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from municipalities import access, selectors, services
from municipalities.models import Municipality, ReturnState
from municipalities.review_forms import (
    BulkAcceptForm,
    ReopenForm,
    RoundFilterForm,
    RoundOpenForm,
    SendBackForm,
)
from plan.access import role_required
from plan.accounts.roles import Role
from plan.common.fiscal_year import FiscalYear, era_date, era_datetime
from plan.models import Plan

secretariat_only = role_required(Role.PLAN_ADMIN)

# Rows per page on the lists of municipalities (the round page, the status matrix, the shared status
# page): Tokyo's 62 stay on one page; at national size (1,741) a page of every municipality was
# about 1 MB to render (docs/benchmarks.md). The figures and totals above the lists stay over every
# row.
MUNICIPALITIES_PER_PAGE = 100


def municipalities_page(request, rows):
    """The requested page of a list of municipalities' rows (filtered already); a page number out
    of range gives the last page, a bad one the first, as the other lists do."""
    return Paginator(rows, MUNICIPALITIES_PER_PAGE).get_page(request.GET.get("page"))


def print_note(page, whole: str = "全団体") -> str:
    """What a printed page of the list covers (the pager is not printed): `whole` when the list is
    on one page, else which of its rows."""
    if page.paginator.num_pages <= 1:
        return whole
    return f"{page.paginator.count}団体のうち{page.start_index()}〜{page.end_index()}件目"


def _round_or_404(request, year):
    return get_object_or_404(
        access.rounds_visible_to(request.user).select_related("closed_by"), fiscal_year=year
    )


def _add_errors(form, error: ValidationError) -> None:
    """A service's refusal beside the form's fields (or above them)."""
    if hasattr(error, "error_dict"):
        for name, field_messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


def _back_to(request, fallback: str) -> str:
    """The page to return to: a `next` path on this site under `fallback` (the round page with its
    filters), else `fallback`."""
    target = request.POST.get("next", "")
    if target.startswith(fallback) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- rounds ---------------------------------------------------------------------------------------


@secretariat_only
def round_list(request):
    plan = Plan.objects.current()
    years = selectors.years_to_open(plan)
    default_year = (
        FiscalYear.default_reporting_year(first=plan.start_fiscal_year, last=plan.end_fiscal_year)
        if plan
        else None
    )
    form = RoundOpenForm(request.POST or None, years=years, default_year=default_year)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                round = services.return_round_open(
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    deadline=form.cleaned_data["deadline"],
                    message=form.cleaned_data["message"],
                    user=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                count = round.returns.count()
                messages.success(
                    request,
                    f"{round.year.label}の報告の受付を開始しました（{count}団体の報告を作成しました）。",
                )
                return redirect("municipalities:review_round", year=round.fiscal_year)
        status = 400
    return render(
        request,
        "municipalities/secretariat/round_list.html",
        {"summaries": selectors.round_summaries(request.user), "form": form, "years": years},
        status=status,
    )


def _round_status_change(request, year, *, closing: bool):
    """Close or reopen a round: a confirmation page on GET, the change on POST."""
    round = _round_or_404(request, year)
    if request.method == "POST":
        change = services.return_round_close if closing else services.return_round_reopen
        try:
            change(round=round, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = "終了" if closing else "再開"
            messages.success(request, f"{round.year.label}の報告の受付を{done}しました。")
        return redirect("municipalities:review_round", year=round.fiscal_year)
    return render(
        request,
        "municipalities/secretariat/round_confirm.html",
        {"round": round, "closing": closing, "deadline_label": era_date(round.deadline, western=True)},
    )


@secretariat_only
def round_close(request, year):
    return _round_status_change(request, year, closing=True)


@secretariat_only
def round_reopen(request, year):
    return _round_status_change(request, year, closing=False)


@secretariat_only
def round_detail(request, year):
    round = _round_or_404(request, year)
    form = RoundFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.RoundFilters(
        region=data.get("region", ""),
        kind=data.get("kind", ""),
        state=data.get("state", ""),
        timeliness=data.get("timeliness", ""),
    )
    listings = selectors.round_listings(round, request.user)
    # Filters first, then the page: the pager counts and links the filtered rows (its links keep the
    # filters); the figures are the round's, over every return whatever the filters or the page.
    # Only the page's returns are read in full.
    page = municipalities_page(request, [row for row in listings if filters.matches(row)])
    page.object_list = selectors.round_rows_for(round, request.user, page.object_list)
    return render(
        request,
        "municipalities/secretariat/round_detail.html",
        {
            "round": round,
            "form": form,
            "filters": filters,
            "page": page,
            "rows": page.object_list,
            "figures": selectors.round_figures(listings),
            "selectable": any(row.selectable for row in page.object_list),
            "print_note": print_note(page, whole=""),
            "deadline_label": era_date(round.deadline, western=True),
            "closed_label": era_datetime(round.closed_at),
            "current_url": request.get_full_path(),
            "reminders": selectors.round_reminders(round, request.user),  # reminders: the log (督促記録)
        },
    )


@secretariat_only
@require_POST
def round_accept(request, year):
    """Accept the ticked returns together; each refused one is reported with the reason."""
    round = _round_or_404(request, year)
    back = _back_to(request, reverse("municipalities:review_round", kwargs={"year": round.fiscal_year}))
    form = BulkAcceptForm(request.POST, round=round)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["returns"]))
        return HttpResponseRedirect(back)
    report = services.annual_returns_accept(returns=form.cleaned_data["returns"], user=request.user)
    if report.accepted:
        names = "、".join(annual_return.municipality.name for annual_return in report.accepted)
        messages.success(request, f"{len(report.accepted)}件の報告を受理しました：{names}")
    if report.refused:
        messages.error(
            request,
            f"{len(report.refused)}件は受理できませんでした："
            + "／".join(
                f"{annual_return.municipality.name}（{reason}）" for annual_return, reason in report.refused
            ),
        )
    return HttpResponseRedirect(back)


@secretariat_only
def round_matrix(request, year):
    round = _round_or_404(request, year)
    groups, totals = selectors.status_matrix(round.fiscal_year)
    page = municipalities_page(request, selectors.grouped_rows(groups))
    return render(
        request,
        "municipalities/secretariat/matrix.html",
        {
            "round": round,
            "groups": selectors.groups_on_page(groups, page.object_list),
            "totals": totals,
            "page": page,
            "print_note": print_note(page),
        },
    )


# --- one return -------------------------------------------------------------------------------------


def _review_page(
    request, annual_return, *, send_back_form=None, reopen_form=None, just_opened=False, status=200
):
    context = selectors.review_context(annual_return, request.user)
    annual_return = context["annual_return"]
    context.update(
        {
            "just_opened": just_opened,
            "can_send_back": access.can_send_back_return(request.user, annual_return),
            "can_accept": access.can_accept_return(request.user, annual_return),
            "can_reopen": access.can_reopen_return(request.user, annual_return),
            "send_back_form": send_back_form or SendBackForm(),
            "reopen_form": reopen_form or ReopenForm(),
        }
    )
    return render(request, "municipalities/secretariat/review.html", context, status=status)


@secretariat_only
def return_review(request, pk):
    """A return for review. Opening a submitted return records that the secretariat has opened it
    (from then on the municipality can no longer withdraw it): on GET, as the admin's change page
    does, since reading it is what "opened" means; only once, with who and when in its history."""
    annual_return = access.get_return_for_review_or_404(request, pk)
    just_opened = False
    if (
        request.method == "GET"
        and annual_return.state == ReturnState.SUBMITTED
        and annual_return.opened_by_secretariat_at is None
    ):
        services.annual_return_mark_opened(annual_return=annual_return, user=request.user)
        just_opened = True
    return _review_page(request, annual_return, just_opened=just_opened)


def _after_action(annual_return):
    return redirect("municipalities:review_return", pk=annual_return.pk)


def _act_with_form(request, pk, *, form_class, form_name: str, act, done: str):
    """Send back or reopen: the form's text (a comment, a reason) is required; a refusal is shown
    beside the field (or above it) on the review page, and nothing is changed."""
    annual_return = access.get_return_for_review_or_404(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(annual_return=annual_return, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{annual_return.municipality.name}の報告{done}")
            return _after_action(annual_return)
    return _review_page(request, annual_return, status=400, **{form_name: form})


@secretariat_only
@require_POST
def return_send_back(request, pk):
    return _act_with_form(
        request,
        pk,
        form_class=SendBackForm,
        form_name="send_back_form",
        act=services.annual_return_send_back,
        done="を差し戻しました。",
    )


@secretariat_only
@require_POST
def return_accept(request, pk):
    annual_return = access.get_return_for_review_or_404(request, pk)
    try:
        services.annual_return_accept(annual_return=annual_return, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{annual_return.municipality.name}の報告を受理しました。")
    return _after_action(annual_return)


@secretariat_only
@require_POST
def return_reopen(request, pk):
    return _act_with_form(
        request,
        pk,
        form_class=ReopenForm,
        form_name="reopen_form",
        act=services.annual_return_reopen,
        done="の受理を取り消し、差戻しとして区市町村に戻しました。",
    )


# --- a municipality ---------------------------------------------------------------------------------


@secretariat_only
def municipality_detail(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    return render(
        request,
        "municipalities/secretariat/municipality.html",
        {"municipality": municipality, "returns": selectors.municipality_returns(municipality, request.user)},
    )
