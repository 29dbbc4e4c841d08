"""The one upload guard: every import and every attachment is checked here before anything parses it.

A review measured what an unchecked upload costs: a 1.1 MB zip bomb sent to an admin import took
the server process to 2.3 GB, and a dense 774 KB workbook took the progress import 144 s and
2.8 GB. So every file goes through `check_upload` first, which refuses, with a message in Japanese
for the field (a `ValidationError`):

- a file over the size cap of its kind (settings.UPLOAD_LIMITS, defaults below) or an empty one;
- a file whose *content* is not one of the accepted types (the name is never trusted);
- for zip-based files (xlsx, docx): too many members, or a member whose declared uncompressed
  size, the total uncompressed size or the compression ratio is over its cap — all read from the
  archive's directory, before a single member is decompressed. Python's zipfile never yields more
  than a member's declared size, so the declared sizes bound what any later reader gets;
- for those files again, any XML member with a DOCTYPE (and so an ENTITY) declaration: Excel and
  Word never write one, and it is how "billion laughs" entity bombs are built. Only each member's
  prolog is read (at most 64 KiB), since a DOCTYPE may only stand before the root element.

Reading rows (plan.common.spreadsheets) then stops at the row and cell caps. defusedxml, a dependency,
makes openpyxl refuse entity declarations too, as a second line.
"""

import io
import os
import struct
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

MB = 1024 * 1024

# The caps per kind of upload. settings.UPLOAD_LIMITS may override any of them, per kind.
DEFAULT_LIMITS = {
    # Workbooks and CSV files imported into the system (progress import, admin imports). The real
    # files are a few hundred rows; the caps leave wide room and still bound memory and time.
    "spreadsheet": {
        "max_bytes": 10 * MB,
        "max_uncompressed_bytes": 50 * MB,
        "max_member_bytes": 20 * MB,
        "max_ratio": 100,
        "max_members": 1000,
        "max_rows": 10_000,
        "max_cells": 200_000,
    },
    # Files stored and handed out as they are (minutes): never parsed by us, but a bomb would go
    # off on the computer of whoever downloads it.
    "attachment": {
        "max_bytes": 30 * MB,
        "max_uncompressed_bytes": 200 * MB,
        "max_member_bytes": 100 * MB,
        "max_ratio": 100,
        "max_members": 2000,
        "max_rows": 0,
        "max_cells": 0,
    },
}

# Small members may compress very well (a run of empty cells) without harm: the ratio is checked
# only for members that expand to more than this.
RATIO_CHECKED_ABOVE = 1 * MB
# A DOCTYPE must come before the root element; a prolog longer than this is not from Office.
XML_PROLOG_MAX = 64 * 1024
# The end-of-central-directory record is at most 22 bytes plus a 64 KiB comment from the end.
_EOCD_SEARCH = 22 + 65535

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
LABELS = {"pdf": "PDF", "docx": "Word（.docx）", "xlsx": "Excel（.xlsx）", "csv": "CSV"}

NOT_XLSX = (
    "Excel ファイル（.xlsx）として読み込めませんでした。"
    "Excel で「Excel ブック（*.xlsx）」形式で保存したファイルを選んでください。"
)
OLD_OR_PROTECTED_EXCEL = (
    "古い Excel 形式（.xls）か、パスワードで保護されたファイルのため読み込めません。"
    "パスワードを解除し、「Excel ブック（*.xlsx）」形式で保存し直してください。"
)
NOT_CSV = (
    "CSV ファイルではありません。Excel で「CSV UTF-8（コンマ区切り）」形式で保存したファイルを選んでください。"
)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_member_bytes: int
    max_ratio: int
    max_members: int
    max_rows: int
    max_cells: int


def upload_limits(kind: str) -> UploadLimits:
    """The caps for a kind of upload ("spreadsheet" or "attachment"), settings over defaults."""
    configured = getattr(settings, "UPLOAD_LIMITS", {}) or {}
    return UploadLimits(**(DEFAULT_LIMITS[kind] | configured.get(kind, {})))


def megabytes(size: int) -> str:
    """A cap for people: 10485760 → "10 MB"."""
    return f"{size / MB:g} MB"


def size_help_text(kind: str) -> str:
    return f"{megabytes(upload_limits(kind).max_bytes)} まで。"


# --- the checks ----------------------------------------------------------------------------------


def check_upload(file, *, kind: str, allowed: Iterable[str], wrong_type_message: str | None = None) -> str:
    """Refuse `file` with a ValidationError (Japanese, for the form field) or return its type.

    `file` is an uploaded file, a binary file object, bytes or a path. `allowed` holds the types
    accepted here: "xlsx", "docx", "pdf", "csv". Nothing is parsed before every cap has passed;
    the file is left at its start.
    """
    allowed = tuple(allowed)
    limits = upload_limits(kind)
    with binary_file(file) as (handle, size):
        if size == 0:
            raise ValidationError("ファイルが空です。", code="empty")
        if size > limits.max_bytes:
            raise ValidationError(
                f"ファイルが大きすぎます（上限 {megabytes(limits.max_bytes)}、"
                f"このファイルは {size / MB:.1f} MB）。",
                code="too_large",
            )
        head = handle.read(8)
        handle.seek(0)
        if isinstance(head, str):
            raise TypeError("uploads are read in binary mode")
        if head.startswith(b"PK\x03\x04"):
            names = _check_archive(handle, size, limits)
            detected = _office_type(names)
        else:
            detected = _sniff(handle)
        handle.seek(0)

        if detected == "macro":
            raise ValidationError("マクロを含むファイルは受け付けられません。", code="macro")
        if detected not in allowed:
            if detected == "ole2" and "xlsx" in allowed:
                raise ValidationError(OLD_OR_PROTECTED_EXCEL, code="old_or_protected")
            raise ValidationError(
                wrong_type_message or _wrong_type_message(allowed, detected), code="wrong_type"
            )
        if detected in ("xlsx", "docx"):
            _check_xml_prologs(handle)
            handle.seek(0)
        return detected


def detect_document_type(file) -> str | None:
    """'pdf', 'docx', 'xlsx', 'csv' (text), 'macro', 'ole2' or None, from the file's content.

    Only the first bytes and, for zip files, the archive's list of names are read (no member is
    decompressed); a zip whose directory is implausibly large is None. For checking an upload use
    `check_upload`, which also applies the caps.
    """
    with binary_file(file) as (handle, size):
        try:
            head = handle.read(8)
            handle.seek(0)
            if not head.startswith(b"PK\x03\x04"):
                return _sniff(handle)
            count = _declared_member_count(handle, size)
            if count is None or count > max(limits["max_members"] for limits in DEFAULT_LIMITS.values()):
                return None
            try:
                with zipfile.ZipFile(handle) as archive:
                    return _office_type(set(archive.namelist()))
            except (zipfile.BadZipFile, OSError, ValueError):
                return None
        finally:
            handle.seek(0)


def message_of(error: ValidationError) -> str:
    """The text of a refusal, for places that show it outside a form (SpreadsheetError)."""
    return " ".join(error.messages)


def too_many_rows_message(limits: UploadLimits) -> str:
    return (
        f"行数が多すぎます（上限 {limits.max_rows:,} 行）。"
        "不要な行を削除するか、ファイルを分けてください。"
    )


def too_many_cells_message(limits: UploadLimits) -> str:
    return (
        f"セルの数が多すぎます（上限 {limits.max_cells:,} セル）。"
        "不要な行や列を削除するか、ファイルを分けてください。"
    )


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def binary_file(file) -> Iterator[tuple[object, int]]:
    """(a seekable binary file object at its start, its size) for an upload, bytes or a path."""
    if isinstance(file, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(file)), len(file)
        return
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            yield handle, os.fstat(handle.fileno()).st_size
        return
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
    file.seek(0)
    yield file, size


def _wrong_type_message(allowed: tuple[str, ...], detected: str | None) -> str:
    if allowed == ("xlsx",):
        if detected == "csv":
            return (
                "Excel ファイル（.xlsx）として読み込めませんでした。ファイルの内容はテキスト（CSV など）です。"
                "Excel で「Excel ブック（*.xlsx）」形式で保存したファイルを選んでください。"
            )
        return NOT_XLSX
    if allowed == ("csv",):
        return NOT_CSV
    labels = "・".join(LABELS[name] for name in allowed)
    return f"受け付けられるのは {labels} のファイルだけです。"


def _sniff(handle) -> str | None:
    """The type of a file that is not a zip archive, from its first bytes."""
    head = handle.read(8192)
    handle.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Excel 97-2003, Word 97-2003, or encrypted
        return "ole2"
    if head.startswith(b"PK"):
        return None
    # Text (CSV) has no control characters other than tab, line ends and the old EOF mark.
    if any(byte < 0x20 and byte not in b"\t\n\r\x0c\x1a" for byte in head) or b"\x7f" in head:
        return None
    return "csv"


def _office_type(names: set[str]) -> str | None:
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return "macro"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _declared_member_count(handle, size: int) -> int | None:
    """The number of members the archive declares at its very end, before the directory is read
    (a directory of a million entries would cost hundreds of MB just to list); None if unreadable."""
    tail_size = min(size, _EOCD_SEARCH)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    handle.seek(0)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) < position + 22:
        return None
    (count,) = struct.unpack("<H", tail[position + 10 : position + 12])
    if count == 0xFFFF:  # ZIP64: more than Office ever writes
        return 1 << 32
    return count


def _bomb(limits: UploadLimits) -> ValidationError:
    return ValidationError(
        f"圧縮ファイルの展開後のサイズが大きすぎます（上限 {megabytes(limits.max_uncompressed_bytes)}）。",
        code="too_large_uncompressed",
    )


def _check_archive(handle, size: int, limits: UploadLimits) -> set[str]:
    """Refuse an archive over any cap, from its directory only; the names of its members."""
    too_many = ValidationError(
        f"圧縮ファイルの中のファイルが多すぎます（上限 {limits.max_members:,} 個）。", code="too_many_members"
    )
    count = _declared_member_count(handle, size)
    if count is not None and count > limits.max_members:
        raise too_many
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return set()  # not a readable archive: refused as the wrong type
    if len(members) > limits.max_members:
        raise too_many
    total = 0
    for member in members:
        if member.file_size > limits.max_member_bytes:
            raise _bomb(limits)
        total += member.file_size
        if total > limits.max_uncompressed_bytes:
            raise _bomb(limits)
        if member.file_size > RATIO_CHECKED_ABOVE and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise ValidationError(
                f"圧縮ファイルの展開後のサイズが大きすぎます（圧縮率が上限の {limits.max_ratio} 倍を超えています）。",
                code="compression_ratio",
            )
    return {member.filename for member in members}


def _check_xml_prologs(handle) -> None:
    """Refuse any member whose XML prolog holds a declaration (<!DOCTYPE …, and so <!ENTITY …)."""
    refused = ValidationError(
        "ファイルの中に XML の DOCTYPE（エンティティ）宣言があるため受け付けられません。"
        "Excel または Word で開いて保存し直したファイルを選んでください。",
        code="xml_declaration",
    )
    try:
        with zipfile.ZipFile(handle) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                with archive.open(member) as stream:
                    # Bounded: never more than the prolog's cap, whatever the member declares.
                    data = stream.read(XML_PROLOG_MAX)
                if _prolog_has_declaration(data, complete=member.file_size <= XML_PROLOG_MAX):
                    raise refused
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ValidationError(
            "ファイルが壊れているため読み込めません。保存し直したファイルを選んでください。", code="broken"
        ) from exc


def _prolog_has_declaration(data: bytes, *, complete: bool) -> bool:
    """True when the XML prolog in `data` has a <! declaration, or is too long to tell."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("latin-1")
    elif data.startswith((b"\xff\xfe", b"<\x00")):
        text = data[: len(data) // 2 * 2].decode("utf-16-le", "replace").lstrip("\ufeff")
    elif data.startswith((b"\xfe\xff", b"\x00<")):
        text = data[: len(data) // 2 * 2].decode("utf-16-be", "replace").lstrip("\ufeff")
    else:
        text = data.decode("latin-1")  # markup is ASCII; only the markup matters here
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            return not complete  # still in the prolog when the read stopped: too long to trust
        if not text.startswith("<", position):
            return False  # not XML (an image, a binary part)
        if text.startswith("<?", position):
            end, closing = text.find("?>", position), "?>"
        elif text.startswith("<!--", position):
            end, closing = text.find("-->", position + 4), "-->"
        elif text.startswith("<!", position):
            return True  # <!DOCTYPE …> (or anything else declared before the root)
        else:
            return False  # the root element: no declaration can follow
        if end < 0:
            return not complete
        position = end + len(closing)
