"""The secretariat's pages for returns that arrive as Excel (docs/returns.md 「Excelで届いた報告」).

- `return_template` (/returns/review/<pk>/template.xlsx): the return's template workbook, pre-filled;
- `return_upload` (/returns/review/<pk>/upload/): choose a filled workbook (GET, POST file) → the
  preview of what would change, or the errors at their cells; then POST `action` apply (save),
  apply_submit (save and submit on the municipality's behalf) or cancel.

Plan administrators only: officers fill in the form, and their own template is not theirs to
download here. Only the preview's values are kept in the session between the two steps, never the
file; nothing is saved before the confirmation, nor on any refusal. Reading is
municipalities.return_workbook, writing municipalities.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from municipalities import access, services
from municipalities.return_workbook import (
    SESSION_KEY,
    ReturnWorkbookPreview,
    return_template_workbook,
    return_workbook_parse,
    template_filename,
)
from municipalities.review_forms import ReturnWorkbookForm
from plan.access import role_required
from plan.accounts.roles import Role
from plan.common.spreadsheets import XLSX_CONTENT_TYPE, SpreadsheetError, content_disposition

secretariat_only = role_required(Role.PLAN_ADMIN)

ACTION_APPLY = "apply"
ACTION_APPLY_SUBMIT = "apply_submit"
ACTION_CANCEL = "cancel"


@secretariat_only
@require_GET
def return_template(request, pk):
    annual_return = access.get_return_for_review_or_404(request, pk)
    response = HttpResponse(return_template_workbook(annual_return), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(template_filename(annual_return))
    # The answers are a municipality's own, not yet reviewed: kept out of shared and disk caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _pending(request, annual_return) -> ReturnWorkbookPreview | None:
    """The preview kept in the session for this return, if any."""
    data = request.session.get(SESSION_KEY)
    if not data or data.get("annual_return_id") != annual_return.pk:
        return None
    return ReturnWorkbookPreview.from_session(data)


def _page(request, annual_return, *, form=None, preview=None, save_errors=None, status=200):
    return render(
        request,
        "municipalities/secretariat/workbook_upload.html",
        {
            "annual_return": annual_return,
            "round": annual_return.round,
            "municipality": annual_return.municipality,
            "refusal": annual_return.edit_refusal(),
            "form": form or ReturnWorkbookForm(),
            "preview": preview,
            "save_errors": save_errors or [],
        },
        status=status,
    )


@secretariat_only
def return_upload(request, pk):
    annual_return = access.get_return_for_review_or_404(request, pk)
    if request.method != "POST":
        return _page(request, annual_return, preview=_pending(request, annual_return))
    if "action" in request.POST:
        return _confirm(request, annual_return)

    request.session.pop(SESSION_KEY, None)  # a new file replaces any earlier preview
    form = ReturnWorkbookForm(request.POST, request.FILES)
    refusal = annual_return.edit_refusal()
    if refusal:
        # Not even read: a locked return takes no answers, whatever the file holds.
        return _page(request, annual_return, form=form, status=409)
    if not form.is_valid():
        return _page(request, annual_return, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        preview = return_workbook_parse(upload, annual_return=annual_return, filename=upload.name)
    except SpreadsheetError as error:
        form.add_error("file", str(error))
        return _page(request, annual_return, form=form, status=400)
    if preview.can_apply:
        request.session[SESSION_KEY] = preview.to_session()
    return _page(request, annual_return, form=form, preview=preview, status=400 if preview.errors else 200)


def _confirm(request, annual_return):
    """Apply the preview kept in the session (the token proves it is the one the page showed)."""
    action = request.POST.get("action")
    preview = _pending(request, annual_return)
    if preview is None or preview.token != request.POST.get("token"):
        messages.error(
            request,
            "取り込む内容が見つかりません（期限切れか、別の画面で取り込み済みです）。もう一度ファイルを選んでください。",
        )
        return redirect("municipalities:review_return_upload", pk=annual_return.pk)
    if action == ACTION_CANCEL or action not in (ACTION_APPLY, ACTION_APPLY_SUBMIT):
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "取り込みを取り消しました。何も保存していません。")
        return redirect("municipalities:review_return_upload", pk=annual_return.pk)
    submit = action == ACTION_APPLY_SUBMIT
    try:
        saved = services.annual_return_import_workbook(
            annual_return=annual_return,
            values=preview.values,
            expected_version=preview.expected_version,
            user=request.user,
            submit=submit,
        )
    except services.ReturnConflict as conflict:
        request.session.pop(SESSION_KEY, None)
        messages.error(
            request,
            f"取り込みを中止しました（何も保存していません）。{conflict.message}"
            "ファイルをもう一度選ぶと、最新の内容と比べて確認できます。",
        )
        return redirect("municipalities:review_return_upload", pk=annual_return.pk)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            # The submission lacks something (or a rule refused a value): the preview is kept, so
            # that it can be saved without submitting, or the file corrected.
            return _page(
                request,
                annual_return,
                preview=preview,
                save_errors=preview.errors_of(error.message_dict),
                status=400,
            )
        request.session.pop(SESSION_KEY, None)
        messages.error(request, f"取り込めませんでした（何も保存していません）。{' '.join(error.messages)}")
        return redirect("municipalities:review_return_upload", pk=annual_return.pk)
    request.session.pop(SESSION_KEY, None)
    name = f"{saved.municipality.name}の{saved.round.year.era_label}の報告"
    if submit:
        messages.success(
            request,
            f"Excelの内容を{name}に取り込み、{saved.municipality.name}に代わって提出しました（事務局が代理入力）。",
        )
    else:
        messages.success(
            request,
            f"Excelの内容を{name}に取り込みました（{len(preview.changes)}項目、版 {saved.version}、事務局が代理入力）。"
            "提出は、報告の画面の「提出する」で行えます。",
        )
    return redirect("municipalities:review_return", pk=saved.pk)
