"""Attached minutes: which files are accepted, judged by their content rather than their name.

A file is accepted when it passes the project's one upload guard (plan.common.uploads, kind
"attachment": the size cap from settings.UPLOAD_LIMITS, 30 MB by default; zip bombs and XML
entity declarations refused), its bytes are a PDF, a Word document (.docx) or an Excel workbook
(.xlsx), its name has the matching extension and it carries no macros. Files are stored under
MEDIA_ROOT, which the app never serves; `meetings:minutes_file` hands them out after applying
the meeting's access rule.
"""

from pathlib import PurePath

from django.core.exceptions import ValidationError

from plan.common.uploads import CONTENT_TYPES, LABELS, check_upload, size_help_text

ACCEPTED_TYPES = ("pdf", "docx", "xlsx")
WRONG_TYPE = "添付できるのは PDF・Word（.docx）・Excel（.xlsx）のファイルだけです。"


def minutes_file_help_text() -> str:
    return "PDF・Word（.docx）・Excel（.xlsx）、" + size_help_text("attachment")


def validate_minutes_file(value) -> None:
    """The model field's validator: the admin and the app's own form both go through it."""
    # A file already stored was checked when it was uploaded: no need to open it again.
    if not value or getattr(value, "_committed", False):
        return
    try:
        kind = check_upload(value.file, kind="attachment", allowed=ACCEPTED_TYPES, wrong_type_message=WRONG_TYPE)
    except ValidationError as error:
        if error.code == "macro":
            raise ValidationError("マクロを含むファイルは添付できません。", code="macro") from error
        raise
    extension = PurePath(value.name or "").suffix.lower().lstrip(".")
    if extension != kind:
        raise ValidationError(
            "ファイルの内容（%(kind)s）と拡張子（.%(extension)s）が一致しません。",
            code="extension_mismatch",
            params={"kind": LABELS[kind], "extension": extension or "なし"},
        )


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(PurePath(name).suffix.lower().lstrip("."), "application/octet-stream")
