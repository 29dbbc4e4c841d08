"""Attached minutes: which files are accepted, judged by their content rather than their name.

A file is accepted when its bytes are a PDF, a Word document (.docx) or an Excel workbook (.xlsx),
its name has the matching extension, it carries no macros, and it is at most 10 MB. Files are
stored under MEDIA_ROOT, which the app never serves; `meetings:minutes_file` hands them out after
applying the meeting's access rule.
"""

import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError

MAX_MINUTES_FILE_BYTES = 10 * 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LABELS = {"pdf": "PDF", "docx": "Word（.docx）", "xlsx": "Excel（.xlsx）"}
WRONG_TYPE = "添付できるのは PDF・Word（.docx）・Excel（.xlsx）のファイルだけです。"


def detect_document_type(file) -> str | None:
    """'pdf', 'docx', 'xlsx', or None, from the file's first bytes (and, for the Office formats,
    the names inside the zip archive — no member is decompressed)."""
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        head = file.read(8)
        if head.startswith(b"%PDF-"):
            return "pdf"
        if not head.startswith(b"PK\x03\x04"):
            return None
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            return "macro"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return None
    finally:
        if position is not None:
            file.seek(position)


def validate_minutes_file(value) -> None:
    """The model field's validator: the admin and the app's own form both go through it."""
    # A file already stored was checked when it was uploaded: no need to open it again.
    if not value or getattr(value, "_committed", False):
        return
    file = value.file
    size = value.size
    if size > MAX_MINUTES_FILE_BYTES:
        raise ValidationError(
            "ファイルが大きすぎます（上限 10 MB、このファイルは %(size)s MB）。",
            code="too_large",
            params={"size": f"{size / 1024 / 1024:.1f}"},
        )
    if size == 0:
        raise ValidationError("ファイルが空です。", code="empty")
    kind = detect_document_type(file)
    if kind == "macro":
        raise ValidationError("マクロを含むファイルは添付できません。", code="macro")
    if kind is None:
        raise ValidationError(WRONG_TYPE, code="wrong_type")
    extension = PurePath(value.name or "").suffix.lower().lstrip(".")
    if extension != kind:
        raise ValidationError(
            "ファイルの内容（%(kind)s）と拡張子（.%(extension)s）が一致しません。",
            code="extension_mismatch",
            params={"kind": LABELS[kind], "extension": extension or "なし"},
        )


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(PurePath(name).suffix.lower().lstrip("."), "application/octet-stream")
