"""Downloads of the list pages (issue 12 item 6): a list's records as xlsx or CSV, written by the
one spreadsheet writer (plan.common.spreadsheets, its safe-cell rule included), each stating the
filters in force and the as-of date.

Each app builds its rows in its own module (plan.progress.list_export, meetings.list_exports,
municipalities.list_exports) from the list page's own filter form and scoped queryset; this module
only lays them out:

- xlsx: the data sheet first — one record per row, no merged cells, numbers as numbers (the
  national rules for machine-readable spreadsheets) — then a small sheet 「条件」 listing the list,
  the filters in force and the as-of date; the title and the as-of date are also printed on every
  page (header and footer).
- CSV: one sheet only, so the filters and the as-of date go in a first line of one cell, above
  the header row.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from django import forms
from django.http import Http404
from django.utils import timezone

from plan.common.fiscal_year import era_date
from plan.common.spreadsheets import Sheet, spreadsheet_response

FORMATS = ("xlsx", "csv")
FORMAT_PARAMETER = "format"
CONDITIONS_SHEET_TITLE = "条件"
NO_FILTER = "なし（すべて）"


@dataclass
class ListExport:
    """One list's download: what it is, its records and the filters that chose them."""

    title: str  # the list as its page names it, 「施策の進捗 令和7年度（2025年度）」
    filename: str  # without extension; may be Japanese
    headers: list[str]
    rows: Iterable[Sequence]
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (filter, value in words)
    notes: list[str] = field(default_factory=list)  # what the reader's form leaves out, say
    column_widths: list[int] | None = None
    sheet_title: str = ""  # the data sheet's name; the title's first word if empty
    as_of: datetime.date | None = None

    @property
    def as_of_text(self) -> str:
        return f"{era_date(self.as_of or timezone.localdate(), western=True)}現在"


def requested_format(params) -> str:
    """The file format asked for in the query string (xlsx unless `format=csv`); 404 for another."""
    value = params.get(FORMAT_PARAMETER) or "xlsx"
    if value not in FORMATS:
        raise Http404("出力の形式は xlsx か csv を指定してください。")
    return value


def form_conditions(form: forms.Form, *, skip=()) -> list[tuple[str, str]]:
    """The filters of a valid filter form that hold a value, in words as the form shows them
    (a choice's label, a record's label), in the form's order."""
    if not form.is_bound or not form.is_valid():
        return []
    conditions = []
    for name, form_field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name in skip or value in (None, "", False, [], ()):
            continue
        conditions.append((str(form_field.label), _shown_value(form_field, value)))
    return conditions


def _shown_value(form_field, value) -> str:
    if isinstance(form_field, forms.BooleanField):
        return "はい"
    if isinstance(form_field, forms.ModelChoiceField):
        return str(form_field.label_from_instance(value))
    if isinstance(form_field, forms.ChoiceField):
        for choice, label in form_field.choices:
            if str(choice) == str(value):
                return str(label)
    return str(value)


def condition_rows(export: ListExport) -> list[list[str]]:
    """The 「条件」 sheet's rows: the list, each filter, the reader's form, the as-of date."""
    rows = [["一覧", export.title]]
    rows += [[f"絞り込み：{label}", value] for label, value in export.conditions] or [["絞り込み", NO_FILTER]]
    rows += [["注記", note] for note in export.notes]
    rows.append(["時点", export.as_of_text])
    return rows


def conditions_line(export: ListExport) -> str:
    """The same in one line, for the CSV file's first line."""
    filters = "、".join(f"{label}：{value}" for label, value in export.conditions) or NO_FILTER
    parts = [export.title, f"絞り込み：{filters}", *export.notes, export.as_of_text]
    return "　".join(parts)


def list_export_response(export: ListExport, file_format: str):
    """The download of `export` as xlsx or CSV (plan.common.spreadsheets.spreadsheet_response)."""
    if file_format == "csv":
        sheet = Sheet(
            title=export.sheet_title or export.title,
            headers=[conditions_line(export)],
            rows=chain([export.headers], export.rows),
        )
        return spreadsheet_response(sheet, filename=export.filename, file_format="csv")
    sheets = [
        Sheet(
            title=export.sheet_title or export.title.split()[0],
            headers=export.headers,
            rows=export.rows,
            column_widths=export.column_widths,
        ),
        Sheet(
            title=CONDITIONS_SHEET_TITLE,
            headers=["項目", "内容"],
            rows=condition_rows(export),
            column_widths=[24, 80],
        ),
    ]
    return spreadsheet_response(
        sheets, filename=export.filename, file_format="xlsx", title=export.title, footer=export.as_of_text
    )
