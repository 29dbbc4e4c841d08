"""The progress spreadsheet round trip: export a year's records, read an edited file back.

Written and read through plan.common.spreadsheets (the project's one writer and reader). Each exported
row carries the record's version (版): a row whose record was saved in the system after the
export is a conflict and is never applied. Importing is two steps: `progress_import_parse` checks
the whole file and describes what would change (the preview); `progress_import_apply` applies the
validated changes in one transaction, each through `progress_update`, so the version check, the
permission rule and the history entry are the same as for the form.

Parsing reads the file (`_read_progress_file`: headers, columns, the year, its records), checks
each row on its own (`_check_row`) and gathers the results into the preview.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import Choices, Input, Sheet, SpreadsheetError, read_xlsx_rows
from plan.models import Department, Measure, MeasureProgress, Plan, ProgressAssessment, ProgressDirection
from plan.progress.access import ProgressScope, department_scope, progress_edit_scope, progress_visible_to
from plan.progress.services import progress_update
from plan.progress.validation import (
    FIELD_LABELS,
    TEXT_MAX_LENGTH,
    Change,
    changes_between,
    editable_values,
    normalize_text,
    progress_values_errors,
    version_conflict,
)

COL_NUMBER = "No."
COL_HEADING = "事項"
COL_DEPARTMENTS = "所管（参考）"
COL_YEAR = "年度"
COL_VERSION = "版"
EDITABLE_COLUMNS = {FIELD_LABELS[name]: name for name in MeasureProgress.EDITABLE_FIELDS}
HEADERS = [COL_NUMBER, COL_HEADING, COL_DEPARTMENTS, *EDITABLE_COLUMNS, COL_YEAR, COL_VERSION]
COLUMN_WIDTHS = [6, 28, 16, 12, 14, 50, 40, 40, 8, 6]
REQUIRED_COLUMNS = [COL_NUMBER, COL_YEAR, COL_VERSION]
_CHOICES = {
    "assessment": {label: value for value, label in ProgressAssessment.choices},
    "direction": {label: value for value, label in ProgressDirection.choices},
}
# The workbook's drop-down lists: the same labels the import accepts (_CHOICES).
CHOICE_LISTS = {
    name: Choices(label=FIELD_LABELS[name], values=tuple(labels))
    for name, labels in (("assessment", ProgressAssessment.labels), ("direction", ProgressDirection.labels))
}
SESSION_KEY = "progress_import"


# --- export ------------------------------------------------------------------------------------


def progress_export_sheets(
    *, plan: Plan, fiscal_year: int, user, department: Department | None = None
) -> list[Sheet]:
    """The year's records in the plan's numbering (one row per measure), and a sheet of instructions.

    Made to be filled in and imported back: 進捗状況 and 今後の方向性 offer drop-down lists of the
    labels the import accepts, and the sheet is protected (no password) so that only the five
    editable columns can be typed in — No., 年度 and 版, which the import matches rows by, cannot
    be overwritten by a slip. The rows are a generator, written as they are read (the writer's
    write-only mode; every column has a given width, so nothing is measured first)."""
    records = (
        progress_visible_to(user)
        .filter(measure__plan=plan, fiscal_year=fiscal_year)
        .select_related("measure")
        .prefetch_related("departments__parent")
        .order_by("measure__number")
    )
    if department is not None:
        # The same rule as the list's 所管 filter and 「自分の所管」.
        records = department_scope([department]).filter(records)

    def rows():
        for record in records:
            yield [
                record.measure.number,
                record.measure.heading,
                record.department_names,
                Input(record.get_assessment_display() or None, CHOICE_LISTS["assessment"]),
                Input(record.get_direction_display() or None, CHOICE_LISTS["direction"]),
                Input(record.achievements or None),
                Input(record.issues or None),
                Input(record.next_steps or None),
                record.fiscal_year,
                record.version,
            ]

    return [
        Sheet(
            title=f"{FiscalYear(fiscal_year).era_label} 進捗",
            headers=HEADERS,
            rows=rows(),
            column_widths=COLUMN_WIDTHS,
            protected=True,
        ),
        Sheet(
            title=INSTRUCTIONS_TITLE,
            headers=["項目", "説明"],
            rows=_instructions(),
            column_widths=[16, 100],
            protected=True,
        ),
    ]


INSTRUCTIONS_TITLE = "記入方法"
_EDITABLE = "・".join(EDITABLE_COLUMNS)


def _instructions():
    yield ["記入する列", f"{_EDITABLE}の列だけに記入できます。ほかの列はシートの保護により変更できません。"]
    yield [
        "進捗状況",
        "セルを選ぶと右に出る▼の一覧から選んでください："
        + "、".join(ProgressAssessment.labels)
        + "（一覧にない値は入力できません）",
    ]
    yield [
        "今後の方向性",
        "セルを選ぶと右に出る▼の一覧から選んでください："
        + "、".join(ProgressDirection.labels)
        + "（一覧にない値は入力できません）",
    ]
    yield ["実績", "この年度に実施したこと。進捗状況が「未着手」の場合のみ空欄にできます。"]
    yield ["課題・今後の取組", f"自由記述（各{TEXT_MAX_LENGTH}文字まで）。セル内の改行は Alt＋Enter です。"]
    yield [
        "No.・年度・版",
        "変更できません（保護されています）。取込時に、どの施策・年度の行かを見分けるために使います。版は書き出した時点の記録の版で、書き出し後にシステム上で更新された行を見分けます。",
    ]
    yield [
        "所管（参考）",
        "参考として表示しています。取り込みません。所管の変更は事務局の「施策の所管の確認」画面で行います。",
    ]
    yield [
        "記入しない行",
        "そのままにしてください。変更のない行は取り込んでも何も変わりません（変更のあったセルだけを反映します）。"
        "見出しの▼（フィルター）で自分の施策に絞り込んで記入できます。",
    ]
    yield [
        "シートの保護",
        "誤って番号や版を書き換えないための保護で、パスワードは設定していません。解除（「校閲」→「シート保護の解除」）はできますが、No.・年度・版 を書き換えると正しく取り込めません。",
    ]
    yield [
        "提出",
        "記入したファイルは事務局に送ってください。事務局が「Excel から取り込む」で取り込みます（変更点を確認してから反映し、書き出し後にシステム上で更新された行は反映しません）。",
    ]


# --- import: what a preview holds ---------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str
    number: int | None = None


@dataclass
class RowUpdate:
    row: int
    number: int
    heading: str
    record_id: int
    version: int
    values: dict
    changes: list[Change]


@dataclass
class RowConflict:
    row: int
    number: int
    heading: str
    file_version: int
    current: MeasureProgress
    file_changes: list[Change]
    system_changes: list[Change]


@dataclass
class ImportPreview:
    fiscal_year: int
    filename: str
    rows: int = 0
    unchanged: int = 0
    updates: list[RowUpdate] = field(default_factory=list)
    conflicts: list[RowConflict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def cell_count(self):
        return sum(len(update.changes) for update in self.updates)

    @property
    def can_apply(self):
        """A bad row blocks the whole file; otherwise there must be something to apply."""
        return not self.errors and bool(self.updates)

    def to_session(self) -> dict:
        """Only the validated changes, as plain JSON: conflicting rows are never kept for applying."""
        return {
            "token": self.token,
            "fiscal_year": self.fiscal_year,
            "filename": self.filename,
            "conflicts": [conflict.number for conflict in self.conflicts],
            "updates": [
                {"number": u.number, "record_id": u.record_id, "version": u.version, "values": u.values}
                for u in self.updates
            ],
        }


# --- import: reading the file -------------------------------------------------------------------


def _header_name(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _whole_number(value):
    """An int from a cell (Excel may store 86 as 86.0, or as text); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().removeprefix("No.").strip()
        if text.isdigit():
            return int(text)
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _ProgressFile:
    """An uploaded file as read: its columns, its data rows, and the year's records it is about."""

    columns: dict[str, int]  # header → column index
    editable: dict[str, str]  # header → field, for the editable columns the file has
    data_rows: list[tuple[int, list]]  # (Excel row number, values)
    fiscal_year: int
    records: dict[int, MeasureProgress]  # measure number → the year's record
    numbers: set[int]  # the plan's measure numbers

    def cell(self, values, name):
        return _cell(self.columns, values, name)


def _cell(columns: dict[str, int], values: list, name: str):
    index = columns.get(name)
    return values[index] if index is not None and index < len(values) else None


def _read_columns(header_row: int, header_values: list) -> dict[str, int]:
    columns = {}
    # Headers are matched after NFKC, so 「所管(参考)」 typed with half-width brackets still matches.
    known = {_header_name(header): header for header in HEADERS} | {"所管": COL_DEPARTMENTS}
    for index, value in enumerate(header_values):
        name = known.get(_header_name(value), _header_name(value))
        if not name:
            continue
        if name in columns:
            raise SpreadsheetError(
                f"見出し「{name}」の列が2つあります（{header_row}行目）。列は1つずつにしてください。"
            )
        columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise SpreadsheetError(
            "見出し行（1行目）に" + "・".join(f"「{name}」" for name in missing) + "の列がありません。"
            "書き出したファイルの見出し行は変更せずに使ってください。"
        )
    return columns


def _read_progress_file(file, *, plan: Plan) -> _ProgressFile:
    """Read the file as a whole; raise SpreadsheetError (in Japanese) when it cannot be used."""
    rows = read_xlsx_rows(file)
    header_row, header_values = rows[0]
    columns = _read_columns(header_row, header_values)
    editable = {label: name for label, name in EDITABLE_COLUMNS.items() if label in columns}
    if not editable:
        raise SpreadsheetError("取り込む列（" + "・".join(EDITABLE_COLUMNS) + "）が見出し行にありません。")
    data_rows = rows[1:]
    if not data_rows:
        raise SpreadsheetError("見出し行の下にデータの行がありません。")
    # The file's year is the first one its rows give; a row with another year is a bad row.
    fiscal_year = next(
        (
            year
            for _, values in data_rows
            if (year := _whole_number(_cell(columns, values, COL_YEAR))) is not None
        ),
        None,
    )
    if fiscal_year is None:
        raise SpreadsheetError("「年度」の列に年度がありません。書き出したときの値を変更しないでください。")
    records = {
        record.measure.number: record
        for record in MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=fiscal_year)
        .select_related("measure", "updated_by")
        .prefetch_related("departments__parent")
    }
    if not records:
        raise SpreadsheetError(
            f"{FiscalYear(fiscal_year).label}の進捗の記録はありません（年度が開始されていないか、計画期間外です）。"
        )
    numbers = set(Measure.objects.filter(plan=plan).values_list("number", flat=True))
    return _ProgressFile(columns, editable, data_rows, fiscal_year, records, numbers)


# --- import: checking one row -------------------------------------------------------------------


@dataclass
class _RowResult:
    """What one row of the file comes to: errors, or a conflict, an update, or nothing to change."""

    errors: list[RowError] = field(default_factory=list)
    conflict: RowConflict | None = None
    update: RowUpdate | None = None
    note: str = ""


def _check_row(
    progress_file: _ProgressFile, row_number: int, values: list, *, seen: dict[int, int], scope: ProgressScope
) -> _RowResult:
    """Check one row against the file's year, the plan, the user's scope, the record's version and
    the rules a record must meet. `seen` (measure number → first row) is updated for the next rows."""
    result = _RowResult()
    fiscal_year = progress_file.fiscal_year
    cell = progress_file.cell

    def error(column, message, number=None):
        result.errors.append(RowError(row_number, column, message, number))

    raw_number = cell(values, COL_NUMBER)
    number = _whole_number(raw_number)
    if _blank(raw_number):
        error(COL_NUMBER, "No. が空欄です。施策番号を入れてください。")
    elif number is None:
        error(COL_NUMBER, f"No.「{raw_number}」は施策番号として読めません。")
    elif number not in progress_file.numbers:
        error(COL_NUMBER, f"No.{number} の施策は計画にありません。", number)
    elif number in seen:
        error(
            COL_NUMBER,
            f"No.{number} が2回あります（{seen[number]}行目にもあります）。1つの施策は1行にしてください。",
            number,
        )
    if number is not None and number not in seen:
        seen[number] = row_number

    raw_year = cell(values, COL_YEAR)
    if _blank(raw_year):
        error(COL_YEAR, "年度が空欄です。書き出したときの値を変更しないでください。", number)
    elif _whole_number(raw_year) != fiscal_year:
        error(
            COL_YEAR,
            f"年度「{raw_year}」が他の行（{fiscal_year}）と違います。1つのファイルには1つの年度だけを入れてください。",
            number,
        )

    raw_version = cell(values, COL_VERSION)
    version = _whole_number(raw_version)
    if _blank(raw_version):
        error(COL_VERSION, "版が空欄です。書き出したときの値を変更しないでください。", number)
    elif version is None or version < 1:
        error(
            COL_VERSION,
            f"版「{raw_version}」が正しくありません。書き出したときの値を変更しないでください。",
            number,
        )

    file_values = {}
    for label, name in progress_file.editable.items():
        raw = cell(values, label)
        if name in _CHOICES:
            text = unicodedata.normalize("NFKC", _cell_text(raw)).replace(" ", "")
            if text and text not in _CHOICES[name]:
                error(
                    label,
                    f"「{text}」は{label}に使えません。次のいずれかを入力してください：{'、'.join(_CHOICES[name])}",
                    number,
                )
                continue
            file_values[name] = _CHOICES[name].get(text, "")
        else:
            file_values[name] = _cell_text(raw)

    if result.errors:
        return result
    record = progress_file.records.get(number)
    if record is None:
        error(COL_NUMBER, f"No.{number} の{FiscalYear(fiscal_year).era_label}の記録がありません。", number)
        return result
    if not scope.covers(record):
        error(COL_NUMBER, f"No.{number} の進捗を編集する権限がありません。", number)
        return result
    if (
        COL_DEPARTMENTS in progress_file.columns
        and _cell_text(cell(values, COL_DEPARTMENTS)) != record.department_names
    ):
        result.note = f"{row_number}行目（No.{number}）：所管の列は取り込みません。所管を変えるには「施策の所管の確認」画面を使ってください。"
    changes = changes_between(record, file_values)
    if not changes:
        return result
    conflict = version_conflict(record, version)
    if conflict:
        result.conflict = RowConflict(
            row=row_number,
            number=number,
            heading=record.measure.heading,
            file_version=version,
            current=record,
            file_changes=changes,
            system_changes=conflict.changes,
        )
        return result
    for name, message in progress_values_errors(editable_values(record) | file_values).items():
        error(FIELD_LABELS[name], message, number)
    if result.errors:
        return result
    result.update = RowUpdate(
        row=row_number,
        number=number,
        heading=record.measure.heading,
        record_id=record.pk,
        version=version,
        values={change.field: change.new for change in changes},
        changes=changes,
    )
    return result


# --- import: the preview and applying it --------------------------------------------------------


def progress_import_parse(*, file, plan: Plan, user, filename: str = "") -> ImportPreview:
    """Check an uploaded file and describe what importing it would do. Changes nothing.

    Raises SpreadsheetError (message in Japanese) when the file as a whole cannot be used.
    """
    progress_file = _read_progress_file(file, plan=plan)
    scope = progress_edit_scope(user)
    preview = ImportPreview(fiscal_year=progress_file.fiscal_year, filename=filename)
    seen: dict[int, int] = {}
    for row_number, values in progress_file.data_rows:
        preview.rows += 1
        result = _check_row(progress_file, row_number, values, seen=seen, scope=scope)
        preview.errors += result.errors
        if result.note:
            preview.notes.append(result.note)
        if result.conflict:
            preview.conflicts.append(result.conflict)
        elif result.update:
            preview.updates.append(result.update)
        elif not result.errors:
            preview.unchanged += 1
    return preview


@transaction.atomic
def progress_import_apply(*, data: dict, user) -> tuple[int, int]:
    """Apply the validated rows of a preview (see ImportPreview.to_session) in one transaction.

    Each row goes through progress_update, with the version from the file: a row saved in the
    system since the preview raises ProgressConflict and nothing at all is applied.
    Returns (rows applied, cells changed).
    """
    filename = data.get("filename") or "ファイル"
    rows = cells = 0
    for item in data["updates"]:
        record = MeasureProgress.objects.get(pk=item["record_id"], fiscal_year=data["fiscal_year"])
        changes = progress_update(
            progress=record,
            expected_version=item["version"],
            values=item["values"],
            user=user,
            reason=f"Excel取込（{filename}）",
        )
        rows += bool(changes)
        cells += len(changes)
    return rows, cells
