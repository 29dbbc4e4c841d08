"""The progress spreadsheet round trip: export a year's records, read an edited file back.

Written and read through plan.spreadsheets (the project's one writer and reader). Each exported
row carries the record's version (版): a row whose record was saved in the system after the
export is a conflict and is never applied. Importing is two steps: `progress_import_parse` checks
the whole file and describes what would change (the preview); `progress_import_apply` applies the
validated changes in one transaction, each through plan.progress.progress_update, so the version
check, the permission rule and the history entry are the same as for the form.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from plan.models import Department, Measure, MeasureProgress, Plan, ProgressAssessment, ProgressDirection
from plan.progress import (
    FIELD_LABELS,
    Change,
    _department_and_divisions,
    changes_since,
    normalize_text,
    progress_update,
    validate_progress_values,
)
from plan.spreadsheets import Sheet, SpreadsheetError, read_xlsx_rows

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
SESSION_KEY = "progress_import"


# --- export ------------------------------------------------------------------------------------


def progress_export_sheets(*, plan: Plan, year: int, department: Department | None = None) -> list[Sheet]:
    """The year's records in the plan's numbering (one row per measure), and a sheet of instructions."""
    records = (
        MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=year)
        .select_related("measure")
        .prefetch_related("departments__parent")
        .order_by("measure__number")
    )
    if department is not None:
        records = records.filter(departments__in=_department_and_divisions(department)).distinct()

    def rows():
        for record in records:
            yield [
                record.measure.number,
                record.measure.heading,
                department_label(record),
                record.get_assessment_display() or None,
                record.get_direction_display() or None,
                record.achievements or None,
                record.issues or None,
                record.next_steps or None,
                record.fiscal_year,
                record.version,
            ]

    from plan.fiscal_year import FiscalYear

    label = FiscalYear(year).era_label
    return [
        Sheet(title=f"{label} 進捗", headers=HEADERS, rows=rows(), column_widths=COLUMN_WIDTHS),
        Sheet(title="記入方法", headers=["項目", "説明"], rows=_instructions(), column_widths=[16, 100]),
    ]


def department_label(record: MeasureProgress) -> str:
    return "、".join(str(department) for department in record.departments.all())


def _instructions():
    yield ["進捗状況", "次のいずれかを入力：" + "、".join(ProgressAssessment.labels)]
    yield ["今後の方向性", "次のいずれかを入力：" + "、".join(ProgressDirection.labels)]
    yield ["実績", "この年度に実施したこと。進捗状況が「未着手」の場合のみ空欄にできます。"]
    yield ["課題・今後の取組", "自由記述（各2000文字まで）。"]
    yield ["No.・年度・版", "変更しないでください。版は書き出した時点の記録の版で、取込時に、書き出し後にシステム上で更新された行を見分けるために使います。"]
    yield ["所管（参考）", "参考として表示しています。取り込みません。所管の変更は事務局の「施策の所管の確認」画面で行います。"]
    yield ["行の削除", "記入しない行は削除してもかまいません（残った行だけを取り込みます）。"]


# --- import: reading and checking ---------------------------------------------------------------


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
    year: int
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
            "year": self.year,
            "filename": self.filename,
            "conflicts": [conflict.number for conflict in self.conflicts],
            "updates": [
                {"number": u.number, "record_id": u.record_id, "version": u.version, "values": u.values}
                for u in self.updates
            ],
        }


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


def progress_import_parse(*, file, plan: Plan, user, filename: str = "") -> ImportPreview:
    """Check an uploaded file and describe what importing it would do. Changes nothing.

    Raises SpreadsheetError (message in Japanese) when the file as a whole cannot be used.
    """
    rows = read_xlsx_rows(file)
    header_row, header_values = rows[0]
    columns = {}
    # Headers are matched after NFKC, so 「所管(参考)」 typed with half-width brackets still matches.
    known = {_header_name(header): header for header in HEADERS} | {"所管": COL_DEPARTMENTS}
    for index, value in enumerate(header_values):
        name = known.get(_header_name(value), _header_name(value))
        if not name:
            continue
        if name in columns:
            raise SpreadsheetError(f"見出し「{name}」の列が2つあります（{header_row}行目）。列は1つずつにしてください。")
        columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise SpreadsheetError(
            "見出し行（1行目）に" + "・".join(f"「{name}」" for name in missing) + "の列がありません。"
            "書き出したファイルの見出し行は変更せずに使ってください。"
        )
    editable = {label: name for label, name in EDITABLE_COLUMNS.items() if label in columns}
    if not editable:
        raise SpreadsheetError(
            "取り込む列（" + "・".join(EDITABLE_COLUMNS) + "）が見出し行にありません。"
        )
    data_rows = rows[1:]
    if not data_rows:
        raise SpreadsheetError("見出し行の下にデータの行がありません。")

    def cell(values, name):
        index = columns.get(name)
        return values[index] if index is not None and index < len(values) else None

    year = None
    for _, values in data_rows:
        year = _whole_number(cell(values, COL_YEAR))
        if year is not None:
            break
    if year is None:
        raise SpreadsheetError("「年度」の列に年度がありません。書き出したときの値を変更しないでください。")
    records = {
        record.measure.number: record
        for record in MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=year)
        .select_related("measure", "updated_by")
        .prefetch_related("departments__parent")
    }
    from plan.fiscal_year import FiscalYear

    if not records:
        raise SpreadsheetError(
            f"{FiscalYear(year).label}の進捗の記録はありません（年度が開始されていないか、計画期間外です）。"
        )
    numbers = set(Measure.objects.filter(plan=plan).values_list("number", flat=True))

    preview = ImportPreview(year=year, filename=filename)
    seen: dict[int, int] = {}
    for row_number, values in data_rows:
        preview.rows += 1
        errors_before = len(preview.errors)

        def error(column, message, number=None, row_number=row_number):
            preview.errors.append(RowError(row_number, column, message, number))

        raw_number = cell(values, COL_NUMBER)
        number = _whole_number(raw_number)
        if _blank(raw_number):
            error(COL_NUMBER, "No. が空欄です。施策番号を入れてください。")
        elif number is None:
            error(COL_NUMBER, f"No.「{raw_number}」は施策番号として読めません。")
        elif number not in numbers:
            error(COL_NUMBER, f"No.{number} の施策は計画にありません。", number)
        elif number in seen:
            error(COL_NUMBER, f"No.{number} が2回あります（{seen[number]}行目にもあります）。1つの施策は1行にしてください。", number)
        if number is not None and number not in seen:
            seen[number] = row_number

        raw_year = cell(values, COL_YEAR)
        if _blank(raw_year):
            error(COL_YEAR, "年度が空欄です。書き出したときの値を変更しないでください。", number)
        elif _whole_number(raw_year) != year:
            error(COL_YEAR, f"年度「{raw_year}」が他の行（{year}）と違います。1つのファイルには1つの年度だけを入れてください。", number)

        raw_version = cell(values, COL_VERSION)
        version = _whole_number(raw_version)
        if _blank(raw_version):
            error(COL_VERSION, "版が空欄です。書き出したときの値を変更しないでください。", number)
        elif version is None or version < 1:
            error(COL_VERSION, f"版「{raw_version}」が正しくありません。書き出したときの値を変更しないでください。", number)

        file_values = {}
        for label, name in editable.items():
            raw = cell(values, label)
            if name in _CHOICES:
                text = unicodedata.normalize("NFKC", _cell_text(raw)).replace(" ", "")
                if text and text not in _CHOICES[name]:
                    error(label, f"「{text}」は{label}に使えません。次のいずれかを入力してください：{'、'.join(_CHOICES[name])}", number)
                    continue
                file_values[name] = _CHOICES[name].get(text, "")
            else:
                file_values[name] = _cell_text(raw)

        if len(preview.errors) > errors_before:
            continue
        record = records.get(number)
        if record is None:
            error(COL_NUMBER, f"No.{number} の{FiscalYear(year).era_label}の記録がありません。", number)
            continue
        if not record.can_be_edited_by(user):
            error(COL_NUMBER, f"No.{number} の進捗を編集する権限がありません。", number)
            continue
        if COL_DEPARTMENTS in columns and _cell_text(cell(values, COL_DEPARTMENTS)) != department_label(record):
            preview.notes.append(
                f"{row_number}行目（No.{number}）：所管の列は取り込みません。所管を変えるには「施策の所管の確認」画面を使ってください。"
            )
        changes = [
            Change(name, getattr(record, name), value)
            for name, value in file_values.items()
            if getattr(record, name) != value
        ]
        if not changes:
            preview.unchanged += 1
            continue
        if version != record.version:
            preview.conflicts.append(
                RowConflict(
                    row=row_number,
                    number=number,
                    heading=record.measure.heading,
                    file_version=version,
                    current=record,
                    file_changes=changes,
                    system_changes=changes_since(record, version) if version < record.version else [],
                )
            )
            continue
        merged = {name: getattr(record, name) for name in MeasureProgress.EDITABLE_FIELDS} | file_values
        problems = validate_progress_values(merged)
        if problems:
            for name, message in problems.items():
                error(FIELD_LABELS[name], message, number)
            continue
        preview.updates.append(
            RowUpdate(
                row=row_number,
                number=number,
                heading=record.measure.heading,
                record_id=record.pk,
                version=version,
                values={change.field: change.new for change in changes},
                changes=changes,
            )
        )
    return preview


# --- import: applying --------------------------------------------------------------------------


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
        record = MeasureProgress.objects.get(pk=item["record_id"], fiscal_year=data["year"])
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
