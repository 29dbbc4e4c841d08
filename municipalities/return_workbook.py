"""Returns that arrive as Excel (Excelで届いた報告): a one-municipality template workbook for the
secretariat to send out, and reading a filled one back into that municipality's return.

Some municipalities still answer by Excel. The secretariat downloads the template of one return
(`return_template_workbook`): one sheet, one row per answer — section, question, the answer as the
return stands now (a new year's draft is pre-filled from last year's accepted return), and what
may be answered — plus the center's courses of the year, the registry's organisations on a sheet
of their own, and hidden cells naming the municipality, the year and the return's version.

Reading a filled workbook back is two steps, as for the progress import
(plan.progress.spreadsheet): `return_workbook_parse` checks the whole file and describes what would
change (the preview, kept in the session by the view; the file itself is never stored), and
`services.annual_return_import_workbook` saves it through `annual_return_save_draft`, with the
version the preview was made against. Every error names its cell (「C12: …」); a file with errors,
or for another municipality or year, saves nothing.

Written and read through plan.common.spreadsheets (the one writer and reader; the reader runs the
upload guard, plan.common.uploads.check_upload, before parsing). The answers are parsed with the
officers' form's own fields (full-width digits, 「令和8」), and checked by the same rules the save
applies (`services.annual_return_check_values`). See docs/returns.md.
"""

import datetime
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from django import forms
from openpyxl.utils import get_column_letter

from meetings.names import clean_organization_name, organization_name_key
from municipalities import services
from municipalities.forms import CHOICE_FIELDS, COURSE_PREFIX, RETURN_HELP_TEXTS, AnnualReturnForm
from municipalities.models import (
    COUNCIL_TIERS,
    RETURN_SECTIONS,
    AnnualReturn,
    Municipality,
    ReturnCourseAttendance,
)
from municipalities.selectors import answer_values, differences, display_value, field_label
from plan.common.fiscal_year import REIWA_FIRST_FISCAL_YEAR, FiscalYear, era_date
from plan.common.spreadsheets import Choices, Input, Sheet, SpreadsheetError, read_xlsx_rows, write_xlsx

COL_SECTION = "区分"
COL_LABEL = "項目"
COL_ANSWER = "回答"
COL_NOTE = "記入方法"
COL_KEY = "キー"
HEADERS = [COL_SECTION, COL_LABEL, COL_ANSWER, COL_NOTE, COL_KEY]
COLUMN_WIDTHS = [22, 40, 44, 60, 14]
ANSWER_COLUMN = get_column_letter(HEADERS.index(COL_ANSWER) + 1)
KEY_COLUMN = get_column_letter(HEADERS.index(COL_KEY) + 1)

# The hidden rows that say which return the file is for.
META_MUNICIPALITY = "meta:municipality"
META_FISCAL_YEAR = "meta:fiscal_year"
META_VERSION = "meta:version"
META_SECTION = "識別情報（変更しないでください）"
COURSE_KEY = "course:"

SESSION_KEY = "return_workbook_import"

YES, NO = "はい", "いいえ"
BOOLEAN_FIELDS = [held for held, _, _ in COUNCIL_TIERS.values()]
COUNT_FIELDS = [
    name
    for name in AnnualReturn.ANSWER_FIELDS
    if AnnualReturn._meta.get_field(name).get_internal_type() == "PositiveIntegerField"
    and not name.endswith("fiscal_year")
    and not name.startswith("plan_period")
]
YEAR_FIELDS = [
    "plan_period_start",
    "plan_period_end",
    "plan_expected_fiscal_year",
    "council_expected_fiscal_year",
]
DATE_FIELDS = [
    name
    for name in AnnualReturn.ANSWER_FIELDS
    if AnnualReturn._meta.get_field(name).get_internal_type() == "DateField"
]
NEW_NAMES_FIELD = "council_new_organization_names"
# Organisations typed by name that are not in the registry: the council's go to the names kept for
# the secretariat to reconcile, as on the form; there is no such place for the others.
UNKNOWN_NAMES_GO_TO = {"council_organizations": NEW_NAMES_FIELD}

COUNT_NOTE = "0以上の整数。空欄は不明・該当なし（0とは別の回答です）"
YEAR_NOTE = "西暦の年度（例：2026）か「令和8」"
DATE_NOTE = "日付（例：2025/3/1、令和7年3月1日）"
BOOLEAN_NOTE = f"「{YES}」か「{NO}」（空欄は{NO}）"
ORGANIZATIONS_NOTE = "「団体の一覧」シートの名称を「、」で区切るか、1行に1団体ずつ。"
ORGANIZATION_SEPARATORS = re.compile(r"[、,，;；\n]")

TEMPLATE_INSTRUCTIONS = [
    (
        "回答",
        "「回答」の列（C列）だけを記入してください。区分・項目・記入方法の列と、行の並びは変更しないでください。",
    ),
    ("選択肢", "選択肢のある項目は、セルを選ぶと表示される一覧から選んでください。"),
    ("数", COUNT_NOTE + "。"),
    (
        "団体",
        "参加・協働している団体は、「団体の一覧」シートの名称で入力してください。支援調整会議に参加している団体で一覧にないものは、そのまま名称を入力してください（事務局が照合します）。",
    ),
    (
        "記入済みの値",
        "現在の報告の内容（前年度に受理された報告から転記したものを含みます）を記入しています。変わったところだけを直してください。",
    ),
    (
        "シートの保護",
        "「回答」の列のほかは、誤って書き換えないように保護しています（パスワードはありません）。"
        "非表示のキー列（E列）と識別情報の行は、取込時にどの団体・年度・項目の回答かを見分けるために使います。変更しないでください。",
    ),
    ("提出", "記入したファイルを、メールで事務局に送ってください。"),
]


# --- the template ---------------------------------------------------------------------------------


def _return_form(annual_return: AnnualReturn) -> AnnualReturnForm:
    """The officers' form for the return, read as the municipality reads it (user None: someone
    who may not see temporary-protection providers' names): its choices, courses and fields."""
    return AnnualReturnForm(instance=annual_return, user=None)


def _choice_labels(form: AnnualReturnForm, name: str) -> list[str]:
    return [str(label) for value, label in form.fields[name].choices if value]


def _course_key(course) -> str:
    return f"{COURSE_KEY}{course.pk}"


def _course_label(form: AnnualReturnForm, course) -> str:
    return f"研修の受講者数：{form.fields[f'{COURSE_PREFIX}{course.pk}'].label}"


def _note(form: AnnualReturnForm, name: str) -> str:
    help_text = RETURN_HELP_TEXTS.get(name, "")
    if name in CHOICE_FIELDS:
        allowed = "次のいずれかを一覧から選択：" + "、".join(_choice_labels(form, name)) + "（空欄は未回答）"
    elif name in BOOLEAN_FIELDS:
        allowed = BOOLEAN_NOTE
    elif name in COUNT_FIELDS:
        allowed = COUNT_NOTE
    elif name in YEAR_FIELDS:
        # The plan period's help says it in its own words already.
        allowed = "" if "令和" in help_text else YEAR_NOTE
    elif name in DATE_FIELDS:
        allowed = DATE_NOTE
    elif name in AnnualReturn.ANSWER_M2M_FIELDS:
        help_text = ""  # the form's help speaks of its checkboxes
        allowed = ORGANIZATIONS_NOTE + (
            "一覧にない団体は、そのまま名称を入力してください（「一覧にない参加団体の名称」に入れて事務局が照合します）。"
            if name in UNKNOWN_NAMES_GO_TO
            else "一覧にない団体は取り込めません。協働の内容の欄に書いてください。"
        )
    elif name in AnnualReturn.TEXT_FIELDS:
        allowed = f"{AnnualReturn.TEXT_MAX_LENGTH}文字まで"
    else:
        allowed = f"{AnnualReturn._meta.get_field(name).max_length}文字まで"
    allowed = allowed.removesuffix("。")
    return "。".join(part for part in (allowed, help_text.removesuffix("。")) if part) + "。"


def _cell_value(form: AnnualReturnForm, annual_return: AnnualReturn, name: str, organization_names: dict):
    value = getattr(annual_return, name) if name not in AnnualReturn.ANSWER_M2M_FIELDS else None
    if name in CHOICE_FIELDS:
        return dict(form.fields[name].choices).get(value) if value else None
    if name in BOOLEAN_FIELDS:
        return YES if value else NO
    if name in AnnualReturn.ANSWER_M2M_FIELDS:
        # Only what the municipality may read: a provider chosen by the secretariat is not written
        # out (and is kept as it is when the file comes back).
        names = sorted(
            organization_names[pk]
            for pk in getattr(annual_return, name).all().values_list("pk", flat=True)
            if pk in organization_names
        )
        return "、".join(names) or None
    return None if value == "" else value


@dataclass
class _TemplateRow:
    key: str
    section: str
    label: str
    value: object
    note: str
    choices: list[str] | None = None


def _template_rows(
    annual_return: AnnualReturn, form: AnnualReturnForm, organization_names: dict
) -> list[_TemplateRow]:
    rows = []
    attended = {row.course_id: row.persons for row in annual_return.course_attendances.all()}
    for title, names in RETURN_SECTIONS:
        for name in names:
            choices = None
            if name in CHOICE_FIELDS:
                choices = _choice_labels(form, name)
            elif name in BOOLEAN_FIELDS:
                choices = [YES, NO]
            rows.append(
                _TemplateRow(
                    name,
                    title,
                    field_label(name),
                    _cell_value(form, annual_return, name, organization_names),
                    _note(form, name),
                    choices,
                )
            )
        if "workers_trained" in names:
            for course in form.courses:
                rows.append(
                    _TemplateRow(
                        _course_key(course),
                        title,
                        _course_label(form, course),
                        attended.get(course.pk),
                        COUNT_NOTE + "。",
                    )
                )
    municipality = annual_return.municipality
    rows += [
        _TemplateRow(
            META_MUNICIPALITY, META_SECTION, f"団体コード（{municipality.name}）", municipality.code, ""
        ),
        _TemplateRow(
            META_FISCAL_YEAR,
            META_SECTION,
            f"報告対象年度：{annual_return.round.year.label}",
            annual_return.round.fiscal_year,
            "",
        ),
        _TemplateRow(META_VERSION, META_SECTION, "書き出した時点の報告の版", annual_return.version, ""),
    ]
    return rows


def template_filename(annual_return: AnnualReturn) -> str:
    year = annual_return.round.year
    return f"年次報告_{annual_return.municipality.name}_{year.era_label}_{year.year}年度.xlsx"


def return_template_workbook(annual_return: AnnualReturn) -> bytes:
    """The template workbook of one return, pre-filled with its answers as they stand."""
    form = _return_form(annual_return)
    registry = list(form.fields["council_organizations"].queryset)
    organization_names = {organization.pk: organization.name for organization in registry}
    rows = _template_rows(annual_return, form, organization_names)
    year = annual_return.round.year
    title = f"{annual_return.municipality.name} {year.era_label}（{year.year}年度）取組状況の報告"
    sheets = [
        Sheet(
            title=f"{annual_return.municipality.name} {year.era_label}",
            headers=HEADERS,
            rows=[[row.section, row.label, _answer_cell(row), row.note, row.key] for row in rows],
            column_widths=COLUMN_WIDTHS,
            # Only the answers may be typed: the labels, the keys and the hidden cells stay as
            # written. No password: the protection guards against slips, not against the municipality.
            protected=True,
            hidden_columns=[HEADERS.index(COL_KEY) + 1],
            hidden_rows=[index for index, row in enumerate(rows) if row.key.startswith("meta:")],
        ),
        Sheet(
            title="団体の一覧",
            headers=["名称", "種別"],
            rows=[[organization.name, organization.get_kind_display()] for organization in registry],
            column_widths=[50, 14],
            protected=True,
        ),
        Sheet(
            title="記入方法",
            headers=["項目", "説明"],
            rows=TEMPLATE_INSTRUCTIONS,
            column_widths=[16, 100],
            protected=True,
        ),
    ]
    return write_xlsx(sheets, title=title)


def _answer_cell(row: _TemplateRow):
    """The answer as a cell the municipality fills in, with its list of choices; the hidden
    identity rows stay locked."""
    if row.key.startswith("meta:"):
        return row.value
    choices = None
    if row.choices:
        choices = Choices(
            label=row.label, values=tuple(row.choices), prompt="セルの右の▼から選んでください。"
        )
    return Input(row.value, choices)


# --- reading a filled template: the preview -----------------------------------------------------


@dataclass
class CellError:
    """A refused answer and the cell it is in (「C12」), or None for the file as a whole."""

    cell: str | None
    label: str
    message: str

    def __str__(self):
        return f"{self.cell}: {self.message}" if self.cell else self.message


@dataclass
class WorkbookChange:
    """An answer the file changes: its question, the value now and the file's, and whether someone
    changed it in the system after the template was written."""

    label: str
    before: str
    after: str
    cell: str | None = None
    changed_since_template: bool = False


@dataclass
class ReturnWorkbookPreview:
    """What importing a file would do, as the preview page shows it. Only the values to save and
    what the page shows are kept (`to_session`); never the file."""

    annual_return_id: int
    filename: str
    file_version: int
    expected_version: int
    values: dict = field(default_factory=dict)
    changes: list[WorkbookChange] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cells: dict = field(default_factory=dict)  # field name → its answer cell, for refusals at saving
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def can_apply(self) -> bool:
        return not self.errors and bool(self.values)

    @property
    def stale(self) -> bool:
        """Saved in the system after the template was written."""
        return self.file_version != self.expected_version

    def to_session(self) -> dict:
        return {
            "token": self.token,
            "annual_return_id": self.annual_return_id,
            "filename": self.filename,
            "file_version": self.file_version,
            "expected_version": self.expected_version,
            "values": _values_to_json(self.values),
            "changes": [[c.label, c.before, c.after, c.cell, c.changed_since_template] for c in self.changes],
            "notes": self.notes,
            "cells": self.cells,
        }

    @classmethod
    def from_session(cls, data: dict) -> "ReturnWorkbookPreview":
        return cls(
            annual_return_id=data["annual_return_id"],
            filename=data["filename"],
            file_version=data["file_version"],
            expected_version=data["expected_version"],
            values=_values_from_json(data["values"]),
            changes=[WorkbookChange(*change) for change in data["changes"]],
            notes=list(data["notes"]),
            cells=dict(data["cells"]),
            token=data["token"],
        )

    def errors_of(self, error_dict: dict) -> list[CellError]:
        """A refusal by field from the services (at saving), as errors at the file's cells."""
        return [
            CellError(self.cells.get(name), _label_of(name), message)
            for name, messages in error_dict.items()
            for message in messages
        ]


def _values_to_json(values: dict) -> dict:
    """The values as plain JSON for the session: dates as ISO text, course ids as text keys."""
    data = {}
    for name, value in values.items():
        if name == services.ATTENDANCE_KEY:
            data[name] = {str(pk): persons for pk, persons in value.items()}
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        elif isinstance(value, set | tuple):
            data[name] = sorted(value)
        else:
            data[name] = value
    return data


def _values_from_json(data: dict) -> dict:
    values = {}
    for name, value in data.items():
        if name == services.ATTENDANCE_KEY:
            values[name] = {int(pk): persons for pk, persons in value.items()}
        elif name in DATE_FIELDS and value:
            values[name] = datetime.date.fromisoformat(value)
        else:
            values[name] = value
    return values


def _label_of(name: str) -> str:
    if name == services.ATTENDANCE_KEY:
        return "研修ごとの受講者数"
    if name in AnnualReturn.ANSWER_FIELDS or name in AnnualReturn.ANSWER_M2M_FIELDS:
        return field_label(name)
    return ""


# --- reading: the file as a whole -----------------------------------------------------------------

NOT_A_TEMPLATE = (
    "このファイルは年次報告のテンプレートではありません（見出しの「回答」「キー」の列か、識別情報の行がありません）。"
    "この画面の「テンプレートをダウンロード」で書き出したファイルに記入したものを選んでください。"
)


def _text(value) -> str:
    """A cell as text, NFKC (full-width digits and letters as the form reads them)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _whole(value) -> int | None:
    text = _text(value)
    return int(text) if text.isdigit() else None


@dataclass
class _FileRow:
    number: int
    key: str
    value: object

    @property
    def cell(self) -> str:
        return f"{ANSWER_COLUMN}{self.number}"


def _read_rows(file) -> list[_FileRow]:
    rows = read_xlsx_rows(file)  # the upload guard first, then the reader's caps
    _, header = rows[0]
    columns = {_text(value): index for index, value in enumerate(header) if _text(value)}
    if COL_ANSWER not in columns or COL_KEY not in columns:
        raise SpreadsheetError(NOT_A_TEMPLATE)
    answer, key = columns[COL_ANSWER], columns[COL_KEY]
    return [
        _FileRow(number, _text(values[key]), values[answer])
        for number, values in rows[1:]
        if _text(values[key])
    ]


def _check_identity(rows: list[_FileRow], annual_return: AnnualReturn) -> int:
    """Refuse a file for another municipality or year (SpreadsheetError); the file's version."""
    meta = {row.key: row.value for row in rows if row.key.startswith("meta:")}
    code, year, version = (
        _text(meta.get(META_MUNICIPALITY)),
        _whole(meta.get(META_FISCAL_YEAR)),
        _whole(meta.get(META_VERSION)),
    )
    if not code or year is None or version is None:
        raise SpreadsheetError(NOT_A_TEMPLATE)
    municipality = annual_return.municipality
    this_year = annual_return.round.year
    if code != municipality.code:
        other = Municipality.objects.filter(code=code).values_list("name", flat=True).first()
        raise SpreadsheetError(
            f"このファイルは{other or '別の団体'}（団体コード {code}）の報告のテンプレートです。"
            f"{municipality.name}の報告には取り込めません。{municipality.name}のテンプレートに記入したファイルを選んでください。"
        )
    if year != this_year.year:
        raise SpreadsheetError(
            f"このファイルは{FiscalYear(year).label}の報告のテンプレートです。"
            f"{this_year.label}の報告には取り込めません。{this_year.label}のテンプレートに記入したファイルを選んでください。"
        )
    if not 1 <= version <= annual_return.version:
        raise SpreadsheetError(
            f"識別情報の版（{version}）が正しくありません。テンプレートをダウンロードし直して記入してください。"
        )
    return version


# --- reading: one answer --------------------------------------------------------------------------


class _Refused(Exception):
    """An answer that cannot be read; the message is for the person, beside the cell."""


_DATE = re.compile(r"(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?")
_ERA_DATE = re.compile(r"(令和|R)(元|\d{1,2})[年/\-.](\d{1,2})[/\-.月](\d{1,2})日?", re.IGNORECASE)


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value).replace(" ", "")
    if not text:
        return None
    try:
        if match := _DATE.fullmatch(text):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _ERA_DATE.fullmatch(text):
            year = REIWA_FIRST_FISCAL_YEAR - 1 + (1 if match[2] == "元" else int(match[2]))
            return datetime.date(year, int(match[3]), int(match[4]))
    except ValueError:
        raise _Refused(f"日付「{text}」はありません。正しい日付を入力してください。") from None
    raise _Refused(f"日付は「2025/3/1」か「令和7年3月1日」の形で入力してください（入力：{text}）。")


def _form_field_value(form: AnnualReturnForm, name: str, value):
    """A number or a fiscal year read by the officers' form's own field (１２ is 12, 令和8 is 2026)."""
    if isinstance(value, bool):
        raise _Refused("数字で入力してください。")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return form.fields[name].clean("" if value is None else str(value))
    except forms.ValidationError as error:
        raise _Refused(" ".join(error.messages)) from None


def _choice(form: AnnualReturnForm, name: str, value) -> str:
    text = _text(value).replace(" ", "")
    if not text or text == "未回答":
        return ""
    by_label = {
        _text(label).replace(" ", ""): choice for choice, label in form.fields[name].choices if choice
    }
    if text not in by_label:
        raise _Refused(
            f"「{_text(value)}」は選べません。次のいずれかを選んでください："
            + "、".join(_choice_labels(form, name))
        )
    return by_label[text]


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text in ("", NO):
        return False
    if text == YES:
        return True
    raise _Refused(f"「{text}」ではなく「{YES}」か「{NO}」を選んでください。")


class _Registry:
    """The organisations the municipality may name (never a provider's name it may not read),
    found by their name as typed: exactly, or failing that by the registry's comparison key
    (width, spaces, punctuation and the legal form ignored) when that finds exactly one."""

    def __init__(self, organizations):
        self.by_name: dict[str, list[int]] = {}
        self.by_key: dict[str, list[int]] = {}
        self.ids = set()
        for organization in organizations:
            self.ids.add(organization.pk)
            self.by_name.setdefault(clean_organization_name(organization.name), []).append(organization.pk)
            self.by_key.setdefault(organization_name_key(organization.name), []).append(organization.pk)

    def find(self, name: str) -> list[int]:
        return (
            self.by_name.get(clean_organization_name(name))
            or self.by_key.get(organization_name_key(name))
            or []
        )


def _organization_names(value) -> list[str]:
    names = [clean_organization_name(part) for part in ORGANIZATION_SEPARATORS.split(_text(value))]
    return list(dict.fromkeys(name for name in names if name))


# --- reading: the whole preview -------------------------------------------------------------------


def _show(name: str, value) -> str:
    """An answer as the reviewer reads it: 「不明」 for an unknown number, dates and years in the
    era with the Western year, choice labels, organisations by name."""
    if name in COUNT_FIELDS:
        return "不明" if value is None else str(value)
    if name in YEAR_FIELDS:
        return FiscalYear(value).label if isinstance(value, int) else "（空欄）"
    if isinstance(value, datetime.date):
        return era_date(value, western=True)
    return display_value(name, value)


def return_workbook_parse(file, *, annual_return: AnnualReturn, filename: str = "") -> ReturnWorkbookPreview:
    """Check a filled template against `annual_return` and describe what importing it would do.
    Changes nothing.

    Raises SpreadsheetError (Japanese) when the file as a whole cannot be used: refused by the
    upload guard, not a template, or a template of another municipality or year. Otherwise the
    preview holds either the errors, each at its cell, or the values to save and the changes."""
    rows = _read_rows(file)
    file_version = _check_identity(rows, annual_return)
    current = AnnualReturn.objects.select_related("round", "municipality", "updated_by").get(
        pk=annual_return.pk
    )
    form = _return_form(current)
    preview = ReturnWorkbookPreview(
        annual_return_id=current.pk,
        filename=filename,
        file_version=file_version,
        expected_version=current.version,
    )
    answers = [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]
    courses = {_course_key(course): course for course in form.courses}
    registry = _Registry(form.fields["council_organizations"].queryset)

    def refuse(row, name, message):
        preview.errors.append(
            CellError(row.cell if row else None, _label_of(name) if name in answers else name, message)
        )

    # Each row on its own: the answer read, or an error at its cell.
    parsed: dict = {}
    attendance_in_file: dict[int, int | None] = {}
    unknown_names: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for row in rows:
        if row.key.startswith("meta:"):
            continue
        if row.key in seen:
            refuse(
                row,
                _course_label(form, courses[row.key]) if row.key in courses else row.key,
                f"同じ項目の行が2つあります（{seen[row.key]}行目と{row.number}行目）。どちらか一方にしてください。",
            )
            continue
        seen[row.key] = row.number
        if row.key in courses:
            course = courses[row.key]
            preview.cells[f"{COURSE_PREFIX}{course.pk}"] = row.cell
            try:
                attendance_in_file[course.pk] = _form_field_value(
                    form, f"{COURSE_PREFIX}{course.pk}", row.value
                )
            except _Refused as error:
                refuse(row, _course_label(form, course), str(error))
            continue
        if row.key not in answers:
            refuse(
                row,
                f"{row.number}行目",
                f"{row.number}行目の項目はこの報告にありません（行を書き加えたか、{KEY_COLUMN}列を変更したか、削除された研修です）。"
                "テンプレートの行だけに記入してください。",
            )
            continue
        name = row.key
        preview.cells[name] = row.cell
        try:
            if name in CHOICE_FIELDS:
                parsed[name] = _choice(form, name, row.value)
            elif name in BOOLEAN_FIELDS:
                parsed[name] = _boolean(row.value)
            elif name in COUNT_FIELDS or name in YEAR_FIELDS:
                parsed[name] = _form_field_value(form, name, row.value)
            elif name in DATE_FIELDS:
                parsed[name] = _date(row.value)
            elif name in AnnualReturn.ANSWER_M2M_FIELDS:
                ids = set()
                for typed in _organization_names(row.value):
                    found = registry.find(typed)
                    if len(found) == 1:
                        ids.add(found[0])
                    elif len(found) > 1:
                        raise _Refused(
                            f"「{typed}」に当たる団体が一覧に複数あります。「団体の一覧」シートの名称どおりに入力してください。"
                        )
                    elif name in UNKNOWN_NAMES_GO_TO:
                        unknown_names.setdefault(name, []).append(typed)
                    else:
                        raise _Refused(
                            f"「{typed}」は団体の一覧にありません。一覧の名称で入力するか、協働の内容の欄に書いてください。"
                        )
                # A provider on the return that the municipality may not read was not written out: kept.
                kept = {
                    pk for pk in getattr(current, name).values_list("pk", flat=True) if pk not in registry.ids
                }
                parsed[name] = sorted(ids | kept)
            else:
                parsed[name] = _text_value(row.value)
        except _Refused as error:
            refuse(row, name, str(error))

    # Names not in the registry go where the form puts them, for the secretariat to reconcile.
    for name, typed in unknown_names.items():
        target = UNKNOWN_NAMES_GO_TO[name]
        base = parsed.get(target, current.council_new_organization_names) or ""
        lines = [line.strip() for line in str(base).splitlines() if line.strip()]
        added = [typed_name for typed_name in typed if typed_name not in lines]
        parsed[target] = "\n".join(lines + added)
        if added:
            preview.notes.append(
                f"{'、'.join(f'「{n}」' for n in added)}は団体の一覧にないため、「{field_label(target)}」に入れました"
                "（団体の一覧と照合してください）。"
            )

    missing = [field_label(name) for name in answers if name not in seen]
    if missing:
        preview.notes.append(f"次の項目の行がファイルにないため、変更しません：{'、'.join(missing)}")

    # The course attendance as a whole: the file's rows over what is stored (a course whose row
    # was deleted keeps its number).
    stored_attendance = dict(
        ReturnCourseAttendance.objects.filter(annual_return=current).values_list("course_id", "persons")
    )
    attendance = stored_attendance | attendance_in_file
    values = dict(parsed)
    if {pk: n for pk, n in attendance.items() if n is not None} != stored_attendance:
        values[services.ATTENDANCE_KEY] = attendance

    # The rules the save applies, each error at the cell of its field.
    split, errors = services.annual_return_check_values(annual_return=current, values=values)
    refused_cells = {error.cell for error in preview.errors}
    for name, messages in errors.items():
        cell = preview.cells.get(name)
        if cell in refused_cells and cell is not None:
            continue  # the cell's own error says it already
        for message in messages:
            preview.errors.append(CellError(cell, _label_of(name), message))
    if preview.errors:
        return preview

    # What would change, against the return as it is now.
    before = answer_values(current)
    after = before | split.fields | {name: set(ids) for name, ids in split.organizations.items()}
    changed_in_system = set()
    if file_version != current.version:
        changed_in_system = {
            change.name
            for change in services.ReturnConflict(current=current, expected_version=file_version).changes
        }
        preview.notes.insert(
            0,
            f"このテンプレートを書き出した後（版 {file_version}）に、報告がシステム上で保存されています（現在 版 {current.version}）。"
            "「変更前」は現在の内容です。取り込むと、ファイルの値で上書きされます。",
        )
    for difference in differences(before, after):
        preview.changes.append(
            WorkbookChange(
                difference.label,
                _show(difference.name, difference.previous),
                _show(difference.name, difference.current),
                preview.cells.get(difference.name),
                difference.name in changed_in_system,
            )
        )
        preview.values[difference.name] = (
            sorted(difference.current) if isinstance(difference.current, set) else difference.current
        )
    if services.ATTENDANCE_KEY in values:
        for course in form.courses:
            old, new = stored_attendance.get(course.pk), attendance.get(course.pk)
            if old != new:
                preview.changes.append(
                    WorkbookChange(
                        _course_label(form, course),
                        "（なし）" if old is None else f"{old}人",
                        "（なし）" if new is None else f"{new}人",
                        preview.cells.get(f"{COURSE_PREFIX}{course.pk}"),
                    )
                )
        preview.values[services.ATTENDANCE_KEY] = attendance
    return preview


def _text_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return era_date(value, western=True)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
