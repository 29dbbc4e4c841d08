"""Downloads of the returns lists (issue 12 item 6): the round page's for the secretariat, the
officer's own returns for an officer; the same access as the pages (municipalities.access)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from municipalities import access
from municipalities.list_exports import officer_returns_export, round_export
from municipalities.models import Municipality
from plan.access import role_required
from plan.accounts.roles import Role
from plan.common.list_exports import list_export_response, requested_format


@require_GET
@role_required(Role.PLAN_ADMIN)
def round_export_view(request, year):
    file_format = requested_format(request.GET)
    round = get_object_or_404(access.rounds_visible_to(request.user), fiscal_year=year)
    return list_export_response(round_export(round, request.user, request.GET), file_format)


@require_GET
def officer_returns_export_view(request):
    municipality_id = access.officer_municipality_id(request.user)
    if municipality_id is None:
        raise PermissionDenied
    file_format = requested_format(request.GET)
    municipality = Municipality.objects.get(pk=municipality_id)
    return list_export_response(officer_returns_export(request.user, municipality), file_format)
