"""The progress list's download (issue 12 item 6): for everyone who reads the list, as they read it
(plan.progress.list_export). The plan administrators' fill-in workbook stays plan.views.progress_export."""

from django.http import Http404
from django.views.decorators.http import require_GET

from plan.access import any_role_required
from plan.common.list_exports import list_export_response, requested_format
from plan.models import Plan
from plan.progress.list_export import progress_list_export
from plan.progress.selectors import progress_list_query


@require_GET
@any_role_required
def progress_list_export_view(request):
    file_format = requested_format(request.GET)
    plan = Plan.objects.current()
    if plan is None:
        raise Http404("計画データが読み込まれていません。")
    query = progress_list_query(plan, request.GET)
    return list_export_response(progress_list_export(query, request.user), file_format)
