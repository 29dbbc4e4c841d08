"""Downloading the committee briefing workbook (config.briefing): the secretariat both forms,
viewers (committee members) the public form only, everyone else 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from config.briefing import BriefingError, BriefingForm, briefing_filename, briefing_workbook
from plan.accounts.roles import Role, has_role, is_plan_admin
from plan.common.spreadsheets import XLSX_CONTENT_TYPE, content_disposition


def can_download_briefing(user, form: str) -> bool:
    """The secretariat prepares the briefing (both forms); committee members and other viewers get
    what may be published. Bureau staff and municipal officers read the pages instead."""
    if is_plan_admin(user):
        return True
    return form == BriefingForm.PUBLIC and has_role(user, Role.VIEWER)


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
