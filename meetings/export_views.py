"""Downloads of the meetings list and the organisation registry (issue 12 item 6): the pages' own
access rule (every role), filters and masking (meetings.list_exports)."""

from django.views.decorators.http import require_GET

from meetings import access
from meetings.list_exports import meeting_list_export, organization_list_export
from meetings.selectors import meeting_list_query, organization_list_query
from plan.common.list_exports import list_export_response, requested_format


@require_GET
@access.meetings_reader_required
def meeting_list_export_view(request):
    file_format = requested_format(request.GET)
    query = meeting_list_query(request.user, request.GET)
    return list_export_response(meeting_list_export(query, request.user), file_format)


@require_GET
@access.meetings_reader_required
def organization_list_export_view(request):
    file_format = requested_format(request.GET)
    query = organization_list_query(request.user, request.GET)
    return list_export_response(organization_list_export(query, request.user), file_format)
