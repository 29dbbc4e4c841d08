"""Downloading the committee briefing workbook (config.briefing): the secretariat both forms,
viewers (committee members) the public form only, everyone else 403. The print view (its 概要 and
指標 as one page) follows the same rule."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from config.briefing import (
    BriefingError,
    BriefingForm,
    briefing_filename,
    briefing_summary,
    briefing_workbook,
)
from indicators.charts import figures_chart_svg
from plan.accounts.roles import is_plan_admin, reads_publication_form
from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import XLSX_CONTENT_TYPE, content_disposition


def can_download_briefing(user, form: str) -> bool:
    """The secretariat prepares the briefing (both forms); committee members and other viewers get
    what may be published. Bureau staff and municipal officers read the pages instead."""
    if is_plan_admin(user):
        return True
    return form == BriefingForm.PUBLIC and reads_publication_form(user)


@require_GET
def briefing_download(request, year: int, form: str):
    if form not in BriefingForm.ALL:
        raise Http404
    if not can_download_briefing(request.user, form):
        raise PermissionDenied
    try:
        content = briefing_workbook(fiscal_year=year, form=form)
    except BriefingError as error:
        raise Http404(str(error)) from error
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(briefing_filename(fiscal_year=year, form=form))
    # The members' form is confidential: keep it out of shared caches and the disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


# --- briefing print view (issue 12 item 4) ---


def briefing_print_form(user, asked: str | None) -> str:
    """The form the print view shows `user`: the one asked for (?form=) if they may download it,
    else the fullest they may (the secretariat the members' form, viewers the public one). Raises
    PermissionDenied for those who may download neither, as the download does."""
    if asked in BriefingForm.ALL:
        if not can_download_briefing(user, asked):
            raise PermissionDenied
        return asked
    for form in BriefingForm.ALL:  # members first
        if can_download_briefing(user, form):
            return form
    raise PermissionDenied


def _indicator_charts(summary) -> list[str]:
    """The six indicators' charts as the indicators' pages draw them (indicators.charts)."""
    this_year = FiscalYear.current()
    # indicators.charts escapes every text it writes.
    return [mark_safe(figures_chart_svg(figures, this_year)) for figures in summary.figures]  # noqa: S308


@require_GET
def briefing_print(request, year: int):
    """The briefing's 概要 and 指標 as one HTML page, for the browser to print (A4, PDF)."""
    form = briefing_print_form(request.user, request.GET.get("form"))
    try:
        summary = briefing_summary(fiscal_year=year, form=form)
    except BriefingError as error:
        raise Http404(str(error)) from error
    other_forms = [
        (other, BriefingForm.LABELS[other])
        for other in BriefingForm.ALL
        if other != form and can_download_briefing(request.user, other)
    ]
    response = render(
        request,
        "briefing/print.html",
        {
            "summary": summary,
            "charts": _indicator_charts(summary),
            "years": [figure.year for figure in summary.figures[0].years] if summary.figures else [],
            "other_forms": other_forms,
        },
    )
    response["Cache-Control"] = "private, no-store"  # the members' form is confidential
    return response


# --- end briefing print view ---
