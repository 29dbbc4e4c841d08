"""The project's one spreadsheet writer and reader: every export and import goes through here.

A report is a list of `Sheet`s (a title, a header row, data rows). `write_xlsx` renders them as an
Excel workbook ready to print (A4 landscape, one page wide, header row on every page, page numbers
in the footer, with an optional as-of text beside them; native bar charts for a sheet's `charts`);
`write_csv` renders one sheet as CSV that Excel opens with Japanese intact (UTF-8
with BOM, CRLF). `spreadsheet_response` wraps either as a download. The xlsx is written in
openpyxl's write-only mode, row by row (see `write_xlsx`).

Sheets people fill in and send back (the progress workbook, the returns' template): a value
wrapped in `Input` is a cell to fill in, with a drop-down list when it has `Choices`; a
`Sheet(protected=True)` locks every other cell (no password: it stops slips, not people), and
`hidden_columns` / `hidden_rows` hide the keys an import matches rows by.

Safe cells: text a user typed is never turned into a formula. In xlsx every text value is stored as
a text cell, unchanged; text starting with = + - @, a tab or a carriage return also gets Excel's
"quote prefix" style, so it stays text when someone edits the cell. In CSV, which has no cell
types, such text is written with a leading single quote, as OWASP recommends.

`read_xlsx_rows` and `read_csv_rows` read uploads for imports, giving each row with its row number
and the values as stored (text unchanged), or raise `SpreadsheetError` with a message in Japanese
that can be shown to the user as is.
"""

import copy
import csv
import datetime
import io
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

import openpyxl
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from plan.common.uploads import (
    NOT_XLSX,
    binary_file,
    check_upload,
    message_of,
    too_many_cells_message,
    too_many_rows_message,
    upload_limits,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# Excel's default font for Japanese (Office 2016 and later). Only named, never embedded: Excel on
# Windows and macOS has it, other programs substitute their own Japanese font.
FONT_NAME = "游ゴシック"
FONT_SIZE = 11
_SHIFTJIS_CHARSET = 128  # tells Excel the font is for Japanese

# Text starting with one of these is read as a formula by Excel (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60
MAX_HEADER_WIDTH = 30  # a long header wraps rather than widening a column of short values
SHEET_TITLE_MAX = 31
_SHEET_TITLE_INVALID = re.compile(r"[\\/?*\[\]:\x00-\x1f]")

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, charset=_SHIFTJIS_CHARSET)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
_HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)
_FONT = Font(name=FONT_NAME, size=FONT_SIZE, charset=_SHIFTJIS_CHARSET)
_ALIGNMENT = Alignment(vertical="top")
_WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
_DATE_FORMAT = "yyyy/m/d"
_DATETIME_FORMAT = "yyyy/m/d h:mm"
_TIME_FORMAT = "h:mm"
_UNLOCKED = Protection(locked=False)


class SpreadsheetError(Exception):
    """An uploaded file cannot be read; the message is in Japanese, for the user."""


@dataclass
class Sheet:
    """One table: a title, a header row, data rows, and optionally column widths.

    `rows` may be a generator; it is consumed once, by whichever writer renders the sheet.
    `column_widths` are in Excel's units (about one half-width character); missing ones are
    estimated from the content.
    """

    title: str
    headers: list[str]
    rows: Iterable[Sequence]
    column_widths: list[int] | None = None
    # --- briefing workbook (issue 12): additions, all optional ---
    charts: list["Chart"] = field(default_factory=list)
    # --- end briefing workbook ---
    # --- spreadsheets people fill in (issue 12 item 5): additions, all optional ---
    # A protected sheet may be read, filtered and resized, but only its `Input` cells typed in.
    # No password: the protection stops slips (a measure number typed over), not a determined
    # person, and whatever comes back is checked by the import anyway.
    protected: bool = False
    hidden_columns: list[int] = field(default_factory=list)  # 1-based
    hidden_rows: Collection[int] = ()  # data rows, 0 for the first row under the header
    # --- end spreadsheets people fill in ---


# --- briefing workbook (issue 12): native charts ---
@dataclass
class Chart:
    """A native Excel bar chart of one data row's values across columns, the columns' headers as
    the categories (a figure per fiscal year, say). Drawn beside the data, never in a cell, so the
    sheet stays one record per row.

    `row` is the data row's index (0 for the first row under the header); `first_column` and
    `last_column` are 1-based. The chart sits at `anchor` (a cell such as "B12"), or else below
    the table, the sheet's charts one under another.
    """

    title: str
    row: int
    first_column: int
    last_column: int
    y_axis_title: str = ""
    anchor: str = ""


CHART_HEIGHT_ROWS = 16  # rows a chart of the default size covers, for stacking them
# --- end briefing workbook: native charts ---


# --- spreadsheets people fill in (issue 12 item 5) ---
@dataclass(frozen=True)
class Choices:
    """The values a cell accepts, offered as a drop-down list (an Excel list validation); Excel
    refuses anything else typed with a message in Japanese naming `label` and the values."""

    label: str
    values: tuple[str, ...]
    allow_blank: bool = True
    prompt: str = ""  # shown beside the cell when it is selected, if given


@dataclass(frozen=True)
class Input:
    """A cell the person filling in the workbook may change: unlocked on a protected sheet, with
    a drop-down list when it has `choices`. Written like any value otherwise (safe-cell rule)."""

    value: object = None
    choices: Choices | None = None


# Excel's limits for a list validation typed in place and for its messages.
_INLINE_LIST_MAX = 255
_MESSAGE_MAX = 255
_MESSAGE_TITLE_MAX = 32
CHOICES_SHEET_TITLE = "選択肢"
# --- end spreadsheets people fill in ---


# --- writing ---------------------------------------------------------------------------------


def write_xlsx(sheets: list[Sheet], *, title: str = "", footer: str = "", write_only: bool = True) -> bytes:
    """Render the sheets as one xlsx workbook, in order.

    `title` is printed at the top of every page, `footer` (an as-of date, say) at the bottom left
    beside the page numbers.

    By default the workbook is written in openpyxl's write-only mode: each row goes to the file as
    it is made, so a sheet of thousands of rows never holds thousands of cell objects in memory
    (issue 13: the progress workbook took a quarter of the time and memory). Every setting this
    writer makes (styles, widths, frozen header, autofilter, print titles, page setup, drop-down
    lists, protection, hidden rows and columns, charts) is written the same in both modes; a test
    compares them. The one thing write-only mode cannot do is go back to a cell, which estimating
    a column's width from its content needs: a sheet without a given width for every column has
    its rows read first as plain values (not cells), measured, then written. `write_only=False`
    builds the whole workbook in memory instead (openpyxl's normal mode), for comparison.
    """
    if not sheets:
        raise ValueError("write_xlsx needs at least one sheet")
    workbook = openpyxl.Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    if title:
        workbook.properties.title = title
    used_titles: set[str] = set()
    lists = _ChoiceLists()
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_title(sheet.title, used=used_titles))
        _fill_worksheet(worksheet, sheet, title=title, footer=footer, lists=lists)
    lists.finish(workbook, used_titles)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _keep_carriage_returns(buffer.getvalue())


def write_csv(sheet: Sheet) -> bytes:
    """Render one sheet as CSV: UTF-8 with BOM, CRLF line ends, the header row first."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_value(value) for value in sheet.headers])
    for row in sheet.rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def spreadsheet_response(
    sheets: Sheet | list[Sheet],
    *,
    filename: str,
    file_format: Literal["xlsx", "csv"] = "xlsx",
    title: str = "",
    footer: str = "",  # list exports (issue 12): the as-of text beside the page numbers
) -> HttpResponse:
    """A download of the sheets; CSV takes exactly one sheet.

    `filename` may be Japanese; the extension is added when missing. `title` and `footer` are
    printed on every page of the xlsx (see write_xlsx); CSV has no pages.
    """
    if isinstance(sheets, Sheet):
        sheets = [sheets]
    if file_format == "xlsx":
        content, content_type = write_xlsx(sheets, title=title, footer=footer), XLSX_CONTENT_TYPE
    elif file_format == "csv":
        if len(sheets) != 1:
            raise ValueError("a CSV file holds exactly one sheet")
        content, content_type = write_csv(sheets[0]), CSV_CONTENT_TYPE
    else:
        raise ValueError(f"unknown file format: {file_format!r}")
    if not filename.lower().endswith("." + file_format):
        filename = f"{filename}.{file_format}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    # Exports can carry confidential names: keep them out of shared caches and the disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real name per RFC 6266 / RFC 5987."""
    filename = re.sub(r'[\x00-\x1f\x7f/\\"]', "_", filename).strip() or "download"
    stem, extension = os.path.splitext(filename)
    ascii_stem = unicodedata.normalize("NFKC", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_stem).strip("._-")
    if not re.search(r"[A-Za-z]", ascii_stem):  # what is left of a Japanese name says nothing
        ascii_stem = "download"
    ascii_extension = re.sub(r"[^A-Za-z0-9.]", "", extension)
    return (
        f"attachment; filename=\"{ascii_stem}{ascii_extension}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )


def sheet_title(title: str, *, used: set[str] | None = None) -> str:
    """A valid Excel sheet name: no \\ / ? * [ ] :, no apostrophe at either end, at most 31
    characters, unique (case-insensitively) among `used`, which is updated."""
    title = _SHEET_TITLE_INVALID.sub("_", str(title)).strip()
    if title.startswith("'"):
        title = "_" + title[1:]
    if title.endswith("'"):
        title = title[:-1] + "_"
    if not title:
        title = "Sheet"
    if title.lower() == "history":  # reserved by Excel
        title += "_"
    used = used if used is not None else set()
    candidate, number = _truncate_title(title, SHEET_TITLE_MAX), 1
    while candidate.lower() in used:
        number += 1
        suffix = f"_{number}"
        candidate = _truncate_title(title, SHEET_TITLE_MAX - len(suffix)) + suffix
    used.add(candidate.lower())
    return candidate


def _truncate_title(title: str, limit: int) -> str:
    # Excel counts UTF-16 code units: a character outside the BMP counts twice.
    while len(title.encode("utf-16-le")) // 2 > limit:
        title = title[:-1]
    return title


def _fill_worksheet(worksheet, sheet: Sheet, *, title: str, footer: str = "", lists: "_ChoiceLists") -> None:
    """Write one sheet, in either mode: cells are made row by row, each finished (value, style,
    wrapping, lock, list) when it is made, which is what write-only mode needs and normal mode
    does not mind. Whatever openpyxl writes before the first row (column widths and hidden
    columns, the frozen pane, fit-to-page) is set before it; the rest (autofilter, validations,
    protection, page setup, charts) is written when the workbook is saved."""
    write_only = isinstance(worksheet, WriteOnlyWorksheet)
    rows: Iterable[Sequence] = sheet.rows
    given = list(sheet.column_widths or [])
    if all(column <= len(given) and given[column - 1] for column in range(1, len(sheet.headers) + 1)):
        measured: dict[int, int] = {}
    else:
        # Estimating a width needs the column's every value before its first cell is written:
        # read the rows first, as plain values (cheap), not as cells.
        rows = [list(row) for row in rows]
        measured = _measured_widths(sheet.headers, rows)
    column_widths = {}
    for column in range(1, max(len(sheet.headers), max(measured, default=0)) + 1):
        if column <= len(given) and given[column - 1]:
            column_widths[column] = given[column - 1]
        else:
            column_widths[column] = max(MIN_COLUMN_WIDTH, min(measured.get(column, 0) + 2, MAX_COLUMN_WIDTH))
        worksheet.column_dimensions[get_column_letter(column)].width = column_widths[column]
    for column in sheet.hidden_columns:
        worksheet.column_dimensions[get_column_letter(column)].hidden = True
    worksheet.freeze_panes = "A2"
    if worksheet.sheet_properties.pageSetUpPr is None:
        worksheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True

    def new_cell(row: int, column: int):
        return WriteOnlyCell(worksheet) if write_only else worksheet.cell(row=row, column=column)

    # Setting a style through openpyxl's attributes hashes it and looks it up in the workbook's
    # tables, cell after cell (most of the time a sheet took). Each combination is set once and
    # its style ids copied to the next cell that needs the same: the same file, written faster.
    styles: dict[tuple, StyleArray] = {}

    def style(cell, *, header: bool = False, wrap: bool = False, unlocked: bool = False) -> None:
        # The value's number format and quote prefix are in the cell's style ids already.
        key = (tuple(cell._style or ()), header, wrap, unlocked)
        if key in styles:
            cell._style = copy.copy(styles[key])
            return
        if header:
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
        else:
            cell.font, cell.alignment = _FONT, _WRAP_ALIGNMENT if wrap else _ALIGNMENT
        cell.border = _BORDER
        if unlocked:
            cell.protection = _UNLOCKED
        styles[key] = copy.copy(cell._style)

    header_cells = []
    for column, header in enumerate(sheet.headers, start=1):
        cell = new_cell(1, column)
        _set_value(cell, header)
        style(cell, header=True)
        header_cells.append(cell)
    if write_only:
        worksheet.append(header_cells)

    hidden_rows = set(sheet.hidden_rows)
    last_row, last_column = 1, max(len(sheet.headers), 1)
    for index, row in enumerate(rows):
        last_row = index + 2
        if index in hidden_rows:
            worksheet.row_dimensions[last_row].hidden = True  # before the row is written
        cells = []
        for column, value in enumerate(row, start=1):
            cell = new_cell(last_row, column)
            entry = value if isinstance(value, Input) else None
            _set_value(cell, entry.value if entry else value)
            style(
                cell,
                wrap=_wraps(cell.value, column_widths.get(column, MAX_COLUMN_WIDTH)),
                unlocked=entry is not None,
            )
            if entry is not None and entry.choices is not None:
                lists.add(worksheet, entry.choices, column=column, row=last_row)
            cells.append(cell)
        last_column = max(last_column, len(cells))
        if write_only:
            worksheet.append(cells)
    lists.finish_sheet(worksheet)

    worksheet.auto_filter.ref = f"A1:{get_column_letter(last_column)}{last_row}"
    worksheet.print_title_rows = "1:1"
    worksheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    worksheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # as many pages tall as needed
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    worksheet.page_margins.top = worksheet.page_margins.bottom = 0.6
    worksheet.page_margins.header = worksheet.page_margins.footer = 0.3
    if title:
        worksheet.oddHeader.center.text = _header_footer_text(title)
    worksheet.oddFooter.center.text = "&P / &N"
    if footer:
        worksheet.oddFooter.left.text = _header_footer_text(footer)
    if sheet.protected:
        _protect(worksheet)
    for index, chart in enumerate(sheet.charts):
        anchor = chart.anchor or f"A{last_row + 2 + index * CHART_HEIGHT_ROWS}"
        worksheet.add_chart(_bar_chart(worksheet, chart), anchor)


def _measured_widths(headers: Sequence, rows: list[list]) -> dict[int, int]:
    """Each column's widest value, as written (a header counts up to MAX_HEADER_WIDTH only: a long
    header wraps rather than widening a column of short values)."""
    widths = {
        column: min(_display_width(_stored_value(header)), MAX_HEADER_WIDTH)
        for column, header in enumerate(headers, start=1)
    }
    for row in rows:
        for column, value in enumerate(row, start=1):
            widths[column] = max(widths.get(column, 0), _display_width(_stored_value(value)))
    return widths


def _wraps(value, column_width: int) -> bool:
    """Text wraps when it has a line break or is wider than its column."""
    if not isinstance(value, str):
        return False
    width = _display_width(value)
    return "\n" in value or (width > MIN_COLUMN_WIDTH and width > column_width)


def _protect(worksheet) -> None:
    """Protect the sheet without a password: cells stay locked unless written as `Input`; the
    reader may still filter, resize and select, but not sort (which would fail on locked cells)."""
    worksheet.protection.sheet = True
    worksheet.protection.formatColumns = False
    worksheet.protection.formatRows = False
    worksheet.protection.autoFilter = False
    worksheet.protection.sort = True


class _ChoiceLists:
    """The drop-down lists of a workbook: one list validation per sheet and `Choices`, covering its
    cells as ranges (D2:D121, not 120 cells). A list that Excel cannot take typed in place (longer
    than 255 characters, or a value with a comma or a quote) is put on a hidden sheet at the end
    of the workbook and referred to."""

    def __init__(self):
        # (sheet, choices) → the validation and its cells: column → [[first row, last row], …]
        self._validations: dict[tuple[int, Choices], tuple[DataValidation, dict[int, list[list[int]]]]] = {}
        self._on_sheet: dict[Choices, list[DataValidation]] = {}

    def add(self, worksheet, choices: Choices, *, column: int, row: int) -> None:
        key = (id(worksheet), choices)
        if key not in self._validations:
            validation = _list_validation(choices)
            # (worksheet.add_data_validation exists in normal mode only; the list is in both.)
            worksheet.data_validations.append(validation)
            self._validations[key] = (validation, {})
            if validation.formula1 is None:
                self._on_sheet.setdefault(choices, []).append(validation)
        ranges = self._validations[key][1].setdefault(column, [])
        if ranges and ranges[-1][1] == row - 1:
            ranges[-1][1] = row
        else:
            ranges.append([row, row])

    def finish_sheet(self, worksheet) -> None:
        for (sheet_id, _choices), (validation, columns) in self._validations.items():
            if sheet_id != id(worksheet):
                continue
            validation.sqref = MultiCellRange(
                " ".join(
                    f"{letter}{first}" if first == last else f"{letter}{first}:{letter}{last}"
                    for column, ranges in sorted(columns.items())
                    for letter in [get_column_letter(column)]
                    for first, last in ranges
                )
            )

    def finish(self, workbook, used_titles: set[str]) -> None:
        if not self._on_sheet:
            return
        title = sheet_title(CHOICES_SHEET_TITLE, used=used_titles)
        worksheet = workbook.create_sheet(title)
        worksheet.sheet_state = "hidden"
        lists = list(self._on_sheet.items())
        for column, (choices, validations) in enumerate(lists, start=1):
            letter = get_column_letter(column)
            for validation in validations:
                validation.formula1 = f"{quote_sheetname(title)}!${letter}$1:${letter}${len(choices.values)}"
        write_only = isinstance(worksheet, WriteOnlyWorksheet)
        for row in range(1, max(len(choices.values) for choices, _ in lists) + 1):
            cells = []
            for column, (choices, _) in enumerate(lists, start=1):
                cell = WriteOnlyCell(worksheet) if write_only else worksheet.cell(row=row, column=column)
                _set_value(cell, choices.values[row - 1] if row <= len(choices.values) else None)
                cells.append(cell)
            if write_only:
                worksheet.append(cells)
        _protect(worksheet)


def _list_validation(choices: Choices) -> DataValidation:
    values = [str(value) for value in choices.values]
    inline = ",".join(values)
    fits_inline = len(inline) + 2 <= _INLINE_LIST_MAX and not any(
        "," in value or '"' in value for value in values
    )
    error = f"「{choices.label}」は一覧から選んでください：{'、'.join(values)}" + (
        "（空欄も可）。" if choices.allow_blank else "。"
    )
    if len(error) > _MESSAGE_MAX:
        error = f"「{choices.label}」は、セルの右の▼で開く一覧から選んでください。"
    return DataValidation(
        type="list",
        formula1=f'"{inline}"' if fits_inline else None,  # else set by _ChoiceLists.finish
        allow_blank=choices.allow_blank,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="一覧にない値です",
        error=_limit(error, _MESSAGE_MAX),
        showInputMessage=bool(choices.prompt),
        promptTitle=_limit(choices.label, _MESSAGE_TITLE_MAX) if choices.prompt else None,
        prompt=_limit(choices.prompt, _MESSAGE_MAX) if choices.prompt else None,
    )


def _limit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _bar_chart(worksheet, chart: Chart) -> BarChart:
    bar = BarChart()
    bar.type = "col"
    bar.title = chart.title
    bar.legend = None
    bar.y_axis.title = chart.y_axis_title or None
    # openpyxl hides both axes by default (delete=True); a briefing chart needs its scale.
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    row = chart.row + 2  # the header is row 1
    values = Reference(
        worksheet, min_col=chart.first_column, max_col=chart.last_column, min_row=row, max_row=row
    )
    categories = Reference(
        worksheet, min_col=chart.first_column, max_col=chart.last_column, min_row=1, max_row=1
    )
    bar.add_data(values, from_rows=True, titles_from_data=False)
    bar.set_categories(categories)
    return bar


def _stored_value(value):
    """The value as a cell holds it: plain, and text without the control characters XML cannot hold."""
    value = _plain_value(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _set_value(cell, value) -> None:
    value = _stored_value(value)
    if isinstance(value, str):
        text = value
        cell.value = text
        cell.data_type = "s"  # text, never a formula or an error value
        if text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES:
            cell.quotePrefix = True  # Excel keeps it text when the cell is edited
        return
    cell.value = value
    if isinstance(value, datetime.datetime):
        cell.number_format = _DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = _DATE_FORMAT
    elif isinstance(value, datetime.time):
        cell.number_format = _TIME_FORMAT


def _plain_value(value):
    """None, bool, a number, a naive date/time (Tokyo time) or str (of an `Input`, its value)."""
    if isinstance(value, Input):
        value = value.value
    if value is None or isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.time):
        return value.replace(tzinfo=None)
    return str(value)


def _csv_value(value) -> str:
    value = _plain_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    return str(value)


def _display_width(value) -> int:
    """Width in half-width characters of the longest line; East Asian wide characters count 2."""
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = str(value)
    return max(
        len(line)
        if line.isascii()
        else sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in line)
        for line in text.split("\n")
    )


def _header_footer_text(text: str) -> str:
    return text.replace("&", "&&")


def _keep_carriage_returns(xlsx: bytes) -> bytes:
    """Write a carriage return in cell text as the character reference &#13;.

    openpyxl (without lxml) writes it raw, and an XML parser turns a raw CR into a line feed, so
    "\\rx" would come back as "\\nx". The serializer escapes CR in attributes already, so a raw
    CR in a part can only be text, where &#13; means exactly the character that was written.
    """
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    if not any(b"\r" in source.read(info) for info in source.infolist()):
        return xlsx
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                data = data.replace(b"\r", b"&#13;")
            target.writestr(info, data)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------------
#
# Every upload is checked by plan.common.uploads (size, content type, zip and XML bombs) before a reader
# touches it; the readers then stop at the row and cell caps, so no file can cost more than the
# caps allow however it is built.


def read_xlsx_rows(file, *, sheet: str | None = None) -> list[tuple[int, list]]:
    """The rows of one sheet (the first unless named) as (Excel row number, values).

    `file` is an uploaded file, any binary file object, bytes or a path. Values are as stored:
    text unchanged, numbers as numbers, dates as datetimes, empty cells as None; a formula gives
    the value Excel last calculated for it. Rows with no value at all are left out (the row
    numbers of the others still match what Excel shows); every row is as wide as the last column
    that holds a value in any row.
    """
    limits = upload_limits("spreadsheet")
    try:
        check_upload(file, kind="spreadsheet", allowed=("xlsx",))
    except ValidationError as error:
        raise SpreadsheetError(message_of(error)) from error

    with binary_file(file) as (handle, _size):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # unsupported extensions, missing default styles
                # Read-only: rows are parsed one at a time as they are asked for, not all at once.
                workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # any failure to parse an upload is the file's fault
            raise SpreadsheetError(NOT_XLSX) from exc
        try:
            return _worksheet_rows(workbook, sheet, limits)
        except SpreadsheetError:
            raise
        except Exception as exc:
            raise SpreadsheetError(NOT_XLSX) from exc
        finally:
            workbook.close()


def _worksheet_rows(workbook, sheet: str | None, limits) -> list[tuple[int, list]]:
    if sheet is None:
        if not workbook.worksheets:
            raise SpreadsheetError("ファイルにシートがありません。")
        worksheet = workbook.worksheets[0]
    elif sheet in [ws.title for ws in workbook.worksheets]:
        worksheet = workbook[sheet]
    else:
        names = "、".join(f"「{ws.title}」" for ws in workbook.worksheets)
        raise SpreadsheetError(f"シート「{sheet}」が見つかりません。このファイルのシート：{names}")

    # The size the sheet declares (its <dimension>) refuses a huge sheet before any row is read.
    declared_rows, declared_columns = worksheet.max_row or 0, worksheet.max_column or 0
    if declared_rows > limits.max_rows:
        raise SpreadsheetError(too_many_rows_message(limits))
    if declared_rows * declared_columns > limits.max_cells:
        raise SpreadsheetError(too_many_cells_message(limits))
    # The declaration may also be wrong (some programs write "A1"): read every row there is, each
    # as wide as its last cell, and count while reading.
    worksheet.reset_dimensions()

    rows, cells, width = [], 0, 0
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > limits.max_rows:
            raise SpreadsheetError(too_many_rows_message(limits))
        cells += len(values)
        if cells > limits.max_cells:
            raise SpreadsheetError(too_many_cells_message(limits))
        filled = [index for index, value in enumerate(values) if value is not None and value != ""]
        if filled:
            rows.append((number, list(values)))
            width = max(width, filled[-1] + 1)
    if not rows:
        raise SpreadsheetError(f"シート「{worksheet.title}」にデータがありません。")
    # Every row as wide as the last column holding a value; padding may not exceed the cell cap
    # either (one value in column XFD would otherwise widen every row to 16,384 cells).
    if len(rows) * width > limits.max_cells:
        raise SpreadsheetError(too_many_cells_message(limits))
    for _, values in rows:
        del values[width:]
        values.extend([None] * (width - len(values)))
    return rows


def read_csv_rows(file) -> list[tuple[int, list[str]]]:
    """The records of a CSV file as (row number, fields), text unchanged.

    Accepts UTF-8 with or without BOM and CP932 (Shift_JIS, what Excel saves as "CSV (コンマ区切り)").
    The row number is the record's position, as Excel shows it when it opens the file; blank
    records are left out.
    """
    limits = upload_limits("spreadsheet")
    if isinstance(file, str | io.TextIOBase):
        text = (file if isinstance(file, str) else file.read()).removeprefix("\ufeff")
    else:
        try:
            check_upload(file, kind="spreadsheet", allowed=("csv",))
        except ValidationError as error:
            raise SpreadsheetError(message_of(error)) from error
        with binary_file(file) as (handle, _size):
            data = handle.read()
            handle.seek(0)
        if isinstance(data, str):
            text = data.removeprefix("\ufeff")
        else:
            text = _decode_csv(data)
    rows, cells = [], 0
    try:
        for number, fields in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > limits.max_rows:
                raise SpreadsheetError(too_many_rows_message(limits))
            cells += len(fields)
            if cells > limits.max_cells:
                raise SpreadsheetError(too_many_cells_message(limits))
            if any(field != "" for field in fields):
                rows.append((number, fields))
    except csv.Error as exc:
        raise SpreadsheetError("CSV ファイルの形式が正しくないため読み込めません。") from exc
    if not rows:
        raise SpreadsheetError("ファイルにデータがありません。")
    return rows


def _decode_csv(data: bytes) -> str:
    # Japanese offices save CSV from Excel in CP932 (Shift_JIS); newer Excel offers UTF-8 with BOM.
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(
        "文字コードを判別できませんでした。CSV を UTF-8 または Shift_JIS で保存し直してください。"
    )
