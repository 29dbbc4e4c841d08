"""Sharing back with the municipalities (区市町村への還元; seed 000, measure 104).

- `status` (/returns/shared/status/<year>/): every municipality's basic-plan and council status as
  of a fiscal year, from its latest accepted return, grouped by region with totals. Structured
  answers only: no free text, no names, never where another municipality's return is in the
  workflow. `status_latest` (/returns/shared/status/) goes to the latest year with accepted data.
- `practices` (/returns/shared/practices/): the good practices the secretariat has published,
  newest first, by fiscal year; the secretariat sees its drafts there too.
- `practice_create` (/returns/review/<pk>/practice/) and `practice_edit`
  (/returns/practices/<pk>/edit/): the secretariat writes a practice from an accepted return, saves
  it as a draft or publishes it, edits it, takes it back.

Who may open what is municipalities.access (every role reads what is shared; the secretariat alone
writes); every write is municipalities.services. See docs/returns.md 「区市町村への還元」.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render

from meetings.provider_names import warn_about_provider_names
from municipalities import access, selectors, services
from municipalities.models import (
    AnnualReturn,
    GoodPractice,
    ReturnRound,
    ReturnState,
)
from municipalities.review_forms import GoodPracticeForm, PracticeFilterForm
from municipalities.views.secretariat import _add_errors, municipalities_page, print_note, secretariat_only
from plan.common.fiscal_year import FiscalYear, era_date, era_datetime
from plan.models import Plan


def _check_sees_shared(user) -> None:
    if not access.can_see_shared_information(user):
        raise PermissionDenied


def _years_with_rounds(plan) -> list[FiscalYear]:
    """The years a status page may be asked for, newest first: those with a round, within the
    plan's period (one query)."""
    years = ReturnRound.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True)
    return [
        FiscalYear(year)
        for year in years
        if plan is None or plan.start_fiscal_year <= year <= plan.end_fiscal_year
    ]


def status_latest(request):
    """The status as of the latest year with accepted information (the plan's last ended year
    before any return is accepted)."""
    _check_sees_shared(request.user)
    latest = AnnualReturn.objects.accepted().aggregate(year=Max("round__fiscal_year"))["year"]
    if latest is None:
        plan = Plan.objects.current()
        latest = (
            FiscalYear.default_reporting_year(first=plan.start_fiscal_year, last=plan.end_fiscal_year).year
            if plan
            else FiscalYear.current().year - 1
        )
    return redirect("municipalities:shared_status", year=latest)


def status(request, year):
    _check_sees_shared(request.user)
    plan = Plan.objects.current()
    years = _years_with_rounds(plan)
    in_plan = plan is not None and plan.start_fiscal_year <= year <= plan.end_fiscal_year
    if not in_plan and FiscalYear(year) not in years:
        raise Http404
    groups, totals = selectors.shared_status(year)
    page = municipalities_page(request, selectors.grouped_rows(groups))
    return render(
        request,
        "municipalities/shared/status.html",
        {
            "year": FiscalYear(year),
            "years": years,
            "groups": selectors.groups_on_page(groups, page.object_list),
            "totals": totals,
            "page": page,
            "print_note": print_note(page),
            "tier_labels": selectors.TIER_LABELS,
            "no_information": selectors.NO_INFORMATION,
        },
    )


# --- good practices: the list -------------------------------------------------------------------------


def _with_labels(practice: GoodPractice) -> GoodPractice:
    practice.year = practice.annual_return.round.year
    practice.published_label = era_date(practice.published_at, western=True)
    practice.updated_label = era_datetime(practice.updated_at)
    return practice


def practices(request):
    _check_sees_shared(request.user)
    visible = access.practices_visible_to(request.user)
    years = sorted(
        set(visible.order_by().values_list("annual_return__round__fiscal_year", flat=True).distinct()),
        reverse=True,
    )
    form = PracticeFilterForm(request.GET or None, years=years)
    year = form.cleaned_data.get("year") if form.is_valid() else None
    shown = visible.select_related("annual_return__round", "annual_return__municipality", "updated_by")
    if year is not None:
        shown = shown.filter(annual_return__round__fiscal_year=year)
    rows = [_with_labels(practice) for practice in shown]
    published = sorted(
        (practice for practice in rows if practice.is_published),
        key=lambda practice: (practice.published_at, practice.pk),
        reverse=True,
    )
    drafts = [practice for practice in rows if not practice.is_published]
    return render(
        request,
        "municipalities/shared/practices.html",
        {
            "form": form,
            "year": FiscalYear(year) if year is not None else None,
            "published": published,
            "drafts": drafts,
            "can_manage": access.can_manage_good_practices(request.user),
        },
    )


# --- good practices: the secretariat's pages ------------------------------------------------------------


ACTION_PUBLISH = "publish"
ACTION_UNPUBLISH = "unpublish"


def _practice_page(request, *, annual_return, form, practice=None, status=200):
    refusal = None
    if practice is None and annual_return.state != ReturnState.ACCEPTED:
        refusal = GoodPractice.FROM_ACCEPTED_ONLY_MESSAGE
    return render(
        request,
        "municipalities/shared/practice_form.html",
        {
            "annual_return": annual_return,
            "practice": practice,
            "form": form,
            "refusal": refusal,
            "publish_refusal": practice.publish_refusal() if practice and not practice.is_published else None,
            "published_label": era_datetime(practice.published_at) if practice else "",
            "updated_label": era_datetime(practice.updated_at) if practice else "",
        },
        status=status,
    )


def _done(request, practice: GoodPractice, what: str):
    messages.success(request, f"好事例「{practice.title}」を{what}。")
    warn_about_provider_names(request, [practice.title, practice.body])
    return redirect("municipalities:review_practice_edit", pk=practice.pk)


@secretariat_only
def practice_create(request, pk):
    annual_return = access.get_return_for_review_or_404(request, pk)
    form = GoodPracticeForm(request.POST or None)
    if request.method != "POST":
        return _practice_page(request, annual_return=annual_return, form=form)
    if form.is_valid():
        publish = request.POST.get("action") == ACTION_PUBLISH
        try:
            # One savepoint: a refused publication leaves no draft behind either.
            with transaction.atomic():
                practice = services.good_practice_create(
                    annual_return=annual_return,
                    user=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
                if publish:
                    practice = services.good_practice_publish(practice=practice, user=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(request, practice, "公開しました" if publish else "下書きとして保存しました")
    return _practice_page(request, annual_return=annual_return, form=form, status=400)


@secretariat_only
def practice_edit(request, pk):
    practice = access.get_practice_for_editing_or_404(request, pk)
    annual_return = practice.annual_return
    if request.method != "POST":
        form = GoodPracticeForm(
            initial={
                "title": practice.title,
                "body": practice.body,
                "loaded_at": practice.updated_at.isoformat(),
            }
        )
        return _practice_page(request, annual_return=annual_return, form=form, practice=practice)
    action = request.POST.get("action", "")
    if action == ACTION_UNPUBLISH:
        try:
            practice = services.good_practice_unpublish(practice=practice, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("municipalities:review_practice_edit", pk=practice.pk)
        messages.success(request, f"好事例「{practice.title}」の公開を取り消しました（下書きに戻しました）。")
        return redirect("municipalities:review_practice_edit", pk=practice.pk)
    form = GoodPracticeForm(request.POST)
    if form.is_valid():
        publish = action == ACTION_PUBLISH
        try:
            # One savepoint: a refused publication keeps the old wording too.
            with transaction.atomic():
                saved = services.good_practice_update(
                    practice=practice,
                    user=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    loaded_at=form.cleaned_data["loaded_at"] or None,
                )
                if publish:
                    saved = services.good_practice_publish(practice=saved, user=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(request, saved, "保存して公開しました" if publish else "保存しました")
    return _practice_page(request, annual_return=annual_return, form=form, practice=practice, status=400)
