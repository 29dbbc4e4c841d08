"""The admin's import/export: files through the project's one upload guard, reader and writer.

django-import-export on its own would (a) read any upload with no size cap, and parse a whole
workbook in memory before anything else; (b) read CSV in one fixed encoding, so a CSV saved by
Excel in Shift_JIS (CP932) failed with `UnicodeDecodeError`; (c) show English messages and, for a
file with wrong headers, a Python traceback with the server's file paths; (d) store text starting
with "=" as a formula on export. Here:

- `GuardedImportForm` runs plan.common.uploads.check_upload on the file (size, content, zip and XML
  bombs) before import-export writes it anywhere or reads a row, and checks that its content is
  the chosen format;
- `SafeXLSX` and `SafeCSV` read through plan.common.spreadsheets (row and cell caps; CSV in UTF-8 with or
  without BOM, or CP932) and export through our writer;
- `GuardedImportResource` (mixed into each resource for the import) checks the header row first
  (「列「code6」がありません」), numbers rows as Excel or the CSV file shows them, and turns every
  error into a Japanese message: no traceback is ever kept for a page.
"""

import decimal
import functools
import logging
import re
import unicodedata

import tablib
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.utils.text import capfirst
from import_export import exceptions as import_export_exceptions
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.forms import ImportForm

from plan.common.spreadsheets import Sheet, SpreadsheetError, read_csv_rows, read_xlsx_rows, write_xlsx
from plan.common.uploads import check_upload, size_help_text

logger = logging.getLogger(__name__)

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")
_MISSING_COLUMN = re.compile(r"Column '(.+?)' not found in dataset")
# import-export's own messages that can reach a row (its Japanese catalogue lacks them).
_KNOWN_MESSAGES = {
    "Value could not be parsed.": "値を読み取れません。",
    "Value could not be parsed using defined formats.": "日付・時刻として読み取れません。例：2025/4/1",
}
UNKNOWN_ROW_ERROR = "この行は取り込めません。値を確認してください。"


# --- formats -------------------------------------------------------------------------------------


def dataset_from_rows(rows: list[tuple[int, list]]) -> tablib.Dataset:
    """A tablib Dataset from (row number, values): the first row is the header row.

    The dataset remembers each data row's number in the file (`source_rows`), so that errors name
    the row the secretariat sees in Excel, not a position in the dataset.
    """
    header_row, header_values = rows[0]
    headers = ["" if value is None else str(value).strip() for value in header_values]
    data = rows[1:]
    if not data:
        raise SpreadsheetError(f"見出し行（{header_row}行目）の下にデータの行がありません。")
    dataset = tablib.Dataset(headers=headers)
    width = len(headers)
    for _, values in data:
        values = list(values[:width])
        dataset.append(values + [None] * (width - len(values)))
    dataset.header_row = header_row
    dataset.source_rows = [number for number, _ in data]
    return dataset


class SafeXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        return dataset_from_rows(read_xlsx_rows(in_stream))

    def export_data(self, dataset, **kwargs):
        sheet = Sheet(title=dataset.title or "データ", headers=list(dataset.headers), rows=list(dataset))
        return write_xlsx([sheet])


class SafeCSV(base_formats.CSV):
    """CSV read as bytes and decoded by plan.common.spreadsheets: UTF-8 (with or without BOM) or CP932.

    import-export's text formats decode with one fixed encoding; a binary format gets the bytes.
    """

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return dataset_from_rows(read_csv_rows(in_stream))


# --- the import form -----------------------------------------------------------------------------


class GuardedImportForm(ImportForm):
    """import-export's form, in Japanese, with the upload guard on the file."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self._format_classes = list(formats)
        upload = self.fields["import_file"]
        upload.label = "取り込むファイル"
        upload.help_text = "Excel（.xlsx）または CSV（UTF-8・Shift_JIS）、" + size_help_text("spreadsheet")
        upload.error_messages |= {"required": "ファイルを選んでください。", "empty": "ファイルが空です。"}
        self.fields["format"].label = "形式"
        self.fields["format"].error_messages |= {"required": "形式を選んでください。"}

    def clean(self):
        cleaned = super().clean()
        upload, chosen = cleaned.get("import_file"), cleaned.get("format")
        if upload is None:
            return cleaned
        try:
            detected = check_upload(
                upload,
                kind="spreadsheet",
                allowed=("xlsx", "csv"),
                wrong_type_message="取り込めるのは Excel（.xlsx）または CSV のファイルだけです。",
            )
        except ValidationError as error:
            self.add_error("import_file", error)
            return cleaned
        if chosen in (None, ""):
            return cleaned
        expected = "csv" if issubclass(self._format_classes[int(chosen)], base_formats.CSV) else "xlsx"
        if detected != expected:
            if detected == "csv":
                message = (
                    "ファイルの内容はテキスト（CSV）ですが、形式に「xlsx」が選ばれています。"
                    "CSV として取り込むときは形式で「csv」を選び、Excel ファイルとして取り込むときは"
                    "Excel で「Excel ブック（*.xlsx）」形式で保存し直してください。"
                )
            else:
                message = "ファイルの内容は Excel（.xlsx）ですが、形式に「csv」が選ばれています。形式で「xlsx」を選んでください。"
            self.add_error("import_file", ValidationError(message, code="format_mismatch"))
        return cleaned


# --- the resource: header check, row numbers and Japanese messages --------------------------------


class ImportRefused(Exception):
    """A whole file refused before any row is imported; the message is Japanese."""


class GuardedImportResource:
    """Mixed in before a resource class for the admin's import (see `guarded_resource`)."""

    def import_data(self, dataset, *args, **kwargs):
        self._match_headers(dataset)
        refusal = self._header_problem(dataset)
        if refusal:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            result.append_base_error(self.get_error_result_class()(ImportRefused(refusal)))
            return result
        result = super().import_data(dataset, *args, **kwargs)
        self._make_readable(result, dataset)
        return result

    def _match_headers(self, dataset):
        # 「区市町村コード 」 with a trailing space, or half-width brackets typed for full-width ones,
        # still name the column: compare after NFKC, then use the resource's own spelling.
        names = {_key(field.column_name): field.column_name for field in self.get_import_fields()}
        headers = list(dataset.headers or [])
        matched = [names.get(_key(header), header) for header in headers]
        if matched != headers:
            dataset.headers = matched

    def _header_problem(self, dataset) -> str | None:
        headers = set(dataset.headers or [])
        header_row = getattr(dataset, "header_row", 1)
        columns = [field.column_name for field in self.get_import_fields()]
        required = [self.fields[name].column_name for name in self.get_import_id_fields() if name in self.fields]
        missing = [column for column in required if column not in headers]
        if missing:
            return (
                "".join(f"列「{column}」" for column in missing)
                + f"がありません（{header_row}行目の見出し行）。"
                + "見出し行には次の列を使ってください："
                + "、".join(f"「{column}」" for column in columns)
            )
        if not headers & set(columns):
            return (
                f"{header_row}行目の見出し行に、取り込める列がありません。"
                "見出し行には次の列を使ってください：" + "、".join(f"「{column}」" for column in columns)
            )
        return None

    def _make_readable(self, result, dataset):
        source_rows = getattr(dataset, "source_rows", None)
        header_row = getattr(dataset, "header_row", 1)

        def file_row(number):
            if number is None:
                return None
            if source_rows and 0 < number <= len(source_rows):
                return source_rows[number - 1]
            return number + header_row

        labels = {field.attribute: field.column_name for field in self.get_import_fields() if field.attribute}
        for error in result.base_errors:
            error.error = _friendly(error.error)
        for row_result in result.rows:
            for error in row_result.errors:
                error.error = _friendly(error.error)
                error.number = file_row(error.number)
        for invalid in result.invalid_rows:
            invalid.number = file_row(invalid.number)
            invalid.error_dict = {
                labels.get(field, field): [_known(message) for message in messages]
                for field, messages in invalid.error_dict.items()
            }


def _key(name) -> str:
    return unicodedata.normalize("NFKC", str(name or "")).strip().casefold()


def _known(message) -> str:
    return _KNOWN_MESSAGES.get(str(message), str(message))


def _friendly(error) -> str:
    """A Japanese message for an error met while importing; never a traceback."""
    if isinstance(error, str):
        return error
    if isinstance(error, ImportRefused):
        return str(error)
    if isinstance(error, ObjectDoesNotExist):
        return f"一致する{_model_name(error, 'DoesNotExist')}が見つかりません。名称などの値を確認してください。"
    if isinstance(error, MultipleObjectsReturned):
        return f"一致する{_model_name(error, 'MultipleObjectsReturned')}が複数あります。値を確認してください。"
    if isinstance(error, ValidationError):
        return " ".join(_known(message) for message in error.messages)
    if isinstance(error, decimal.InvalidOperation):
        return "数値として読めない値があります。"
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    if isinstance(error, KeyError) and (match := _MISSING_COLUMN.search(text)):
        return f"列「{match.group(1)}」がありません。"
    if isinstance(error, import_export_exceptions.FieldError) and "file headers" in text:
        return f"見出し行に必要な列がありません：{text.rsplit(':', 1)[-1].strip()}"
    if _JAPANESE.search(text):  # our own resources' messages are written for the user already
        return text
    if text in _KNOWN_MESSAGES:
        return _KNOWN_MESSAGES[text]
    # Something unforeseen: the details (with the traceback) go to the server log, not the page.
    logger.warning("admin import: unexpected error", exc_info=error)
    return UNKNOWN_ROW_ERROR


def _model_name(error, kind) -> str:
    from django.apps import apps

    for model in apps.get_models():
        if type(error) is getattr(model, kind, None):
            return str(capfirst(model._meta.verbose_name))
    return "データ"


@functools.cache
def guarded_resource(resource_class):
    """`resource_class` with GuardedImportResource in front (one class per resource, cached)."""
    return type(resource_class.__name__, (GuardedImportResource, resource_class), {"__module__": __name__})


# --- the admin -----------------------------------------------------------------------------------


class SpreadsheetImportExportAdmin(ImportExportModelAdmin):
    """The admins with import/export: xlsx or CSV in, xlsx out through plan.common.spreadsheets."""

    import_formats = [SafeXLSX, SafeCSV]
    export_formats = [SafeXLSX]
    import_form_class = GuardedImportForm

    def choose_import_resource_class(self, form, request):
        return guarded_resource(super().choose_import_resource_class(form, request))

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # import-export writes the upload to its temporary storage before reading it, and keeps it
        # for the confirm step. A file that cannot be confirmed (unreadable, over a cap, wrong
        # headers, bad rows) is never used again: remove it, so a refused upload leaves nothing.
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if form is not None and not context.get("confirm_form"):
            # The uploaded file object itself (the form drops it from cleaned_data on an error).
            name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            if name:
                storage = self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs())
                try:
                    storage.remove()
                except OSError:
                    pass  # already gone
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetError):
            form.add_error("import_file", str(e))
            return
        logger.warning("admin import: the file could not be read", exc_info=e)
        form.add_error(
            "import_file",
            "ファイルを読み込めませんでした。Excel（.xlsx）または CSV で保存し直したファイルを選んでください。",
        )
