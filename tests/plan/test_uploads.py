"""The one upload guard (plan/common/uploads.py): size caps from settings, type by content, zip and XML
bombs refused before anything parses them, row and cell caps while reading; and the progress
import going through it (a refused file changes nothing and says why beside the field).

The hostile files are built by the tests (tests/plan/upload_samples.py). Where a test must show
that a file was refused *before* parsing, the parser is replaced by one that fails the test if it
is ever called: the one place a stand-in is right, since what is proved is that it is not reached.
"""

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from openpyxl.worksheet._reader import WorkSheetParser

from plan.common.spreadsheets import Sheet, SpreadsheetError, read_csv_rows, read_xlsx_rows, write_xlsx
from plan.common.uploads import MB, check_upload, detect_document_type, upload_limits
from plan.models import MeasureProgress, Plan
from plan.progress.services import progress_year_start
from tests.html import field_errors, select, select_one, text_of
from tests.plan import upload_samples as samples

TOO_LARGE_10 = "ファイルが大きすぎます（上限 10 MB"
EXPANDS_TOO_MUCH = "圧縮ファイルの展開後のサイズが大きすぎます"
DOCTYPE = "XML の DOCTYPE（エンティティ）宣言があるため受け付けられません"
TOO_MANY_ROWS = "行数が多すぎます（上限 10,000 行）"
TOO_MANY_CELLS = "セルの数が多すぎます（上限 200,000 セル）"


@pytest.fixture(scope="module")
def zip_bomb():
    return samples.zip_bomb_xlsx()


@pytest.fixture(scope="module")
def high_ratio():
    return samples.high_ratio_xlsx()


@pytest.fixture(scope="module")
def million_cells():
    """100,000 rows × 10 columns, declared in the sheet's dimension: under 1 MB compressed."""
    return samples.dense_sheet_xlsx(rows=100_000, columns=10)


@pytest.fixture
def parsing_fails(monkeypatch):
    """openpyxl's loader, and reading any member of an archive, fail the test if reached."""

    def fail(*args, **kwargs):
        raise AssertionError("the file was parsed before it was refused")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)
    monkeypatch.setattr(zipfile.ZipFile, "open", fail)


def refusal(file, *, kind="spreadsheet", allowed=("xlsx",)) -> str:
    with pytest.raises(ValidationError) as error:
        check_upload(file, kind=kind, allowed=allowed)
    return " ".join(error.value.messages)


# --- limits from settings ------------------------------------------------------------------------


class TestLimits:
    def test_defaults_are_10_mb_for_spreadsheets_and_30_mb_for_attachments(self):
        assert upload_limits("spreadsheet").max_bytes == 10 * MB
        assert upload_limits("attachment").max_bytes == 30 * MB

    def test_settings_override_a_cap_and_keep_the_other_defaults(self, settings):
        settings.UPLOAD_LIMITS = {"spreadsheet": {"max_bytes": 1 * MB, "max_rows": 5}}
        limits = upload_limits("spreadsheet")
        assert (limits.max_bytes, limits.max_rows, limits.max_ratio) == (1 * MB, 5, 100)
        assert "上限 1 MB" in refusal(b"PK\x03\x04" + b"\0" * MB)

    def test_the_row_cap_follows_the_setting(self, settings):
        settings.UPLOAD_LIMITS = {"spreadsheet": {"max_rows": 5}}
        content = write_xlsx([Sheet("施策", ["No."], [[n] for n in range(10)])])
        with pytest.raises(SpreadsheetError, match=r"行数が多すぎます（上限 5 行）"):
            read_xlsx_rows(content)


# --- size and type -------------------------------------------------------------------------------


class TestSizeAndType:
    def test_an_empty_file_is_refused(self):
        assert refusal(b"") == "ファイルが空です。"

    def test_a_file_over_the_cap_is_refused_before_it_is_read(self, parsing_fails):
        message = refusal(SimpleUploadedFile("進捗.xlsx", b"PK\x03\x04" + b"\0" * (10 * MB)))
        assert message.startswith(TOO_LARGE_10 + "、このファイルは 10.0 MB）")

    def test_the_type_is_judged_by_content_not_by_name(self):
        xlsx = write_xlsx([Sheet("施策", ["No."], [[1]])])
        assert check_upload(SimpleUploadedFile("進捗.csv", xlsx), kind="spreadsheet", allowed=("xlsx",)) == "xlsx"
        message = refusal(SimpleUploadedFile("進捗.xlsx", "No.,事項\r\n1,相談\r\n".encode("cp932")))
        assert "Excel ファイル（.xlsx）として読み込めませんでした" in message and "テキスト" in message

    def test_old_excel_and_password_protected_files_are_explained(self):
        assert ".xls" in refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)

    def test_a_workbook_with_macros_is_refused(self):
        macro = samples.rebuild(samples.workbook_bytes(), add={"xl/vbaProject.bin": b"\0" * 64})
        assert refusal(macro) == "マクロを含むファイルは受け付けられません。"

    @pytest.mark.parametrize(
        "content, expected",
        [
            (b"%PDF-1.7\n", "pdf"),
            ("区市町村,状況\r\n".encode("cp932"), "csv"),
            (b"\x89PNG\r\n\x1a\n\0\0", None),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
        ],
    )
    def test_detect_document_type_reads_the_first_bytes(self, content, expected):
        assert detect_document_type(content) == expected

    def test_detect_document_type_reads_only_the_names_inside_a_zip(self, monkeypatch):
        xlsx = samples.workbook_bytes()
        monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was read"))
        assert detect_document_type(xlsx) == "xlsx"

    def test_an_upload_streamed_to_a_temporary_file_is_checked_and_read(self):
        content = write_xlsx([Sheet("施策", ["No.", "事項"], [[1, "相談"]])])
        upload = TemporaryUploadedFile("進捗.xlsx", "application/octet-stream", len(content), None)
        upload.write(content)
        upload.seek(0)
        assert check_upload(upload, kind="spreadsheet", allowed=("xlsx",)) == "xlsx"
        assert read_xlsx_rows(upload) == [(1, ["No.", "事項"]), (2, [1, "相談"])]
        upload.close()


# --- zip bombs -----------------------------------------------------------------------------------


class TestZipBombs:
    def test_a_member_declaring_a_huge_size_is_refused_from_the_directory_alone(self, zip_bomb, parsing_fails):
        assert len(zip_bomb) < 1 * MB  # 120 MB of zeros, compressed
        assert refusal(zip_bomb).startswith(EXPANDS_TOO_MUCH + "（上限 50 MB）")

    def test_a_high_compression_ratio_is_refused_even_under_the_size_caps(self, high_ratio, parsing_fails):
        message = refusal(high_ratio)
        assert message.startswith(EXPANDS_TOO_MUCH) and "圧縮率が上限の 100 倍" in message

    def test_too_many_members_are_refused_before_the_directory_is_listed(self, monkeypatch):
        content = samples.many_members_xlsx(1001)

        def fail(*args, **kwargs):
            raise AssertionError("the archive's directory was read")

        monkeypatch.setattr(zipfile, "ZipFile", fail)
        assert refusal(content) == "圧縮ファイルの中のファイルが多すぎます（上限 1,000 個）。"

    def test_an_ordinary_workbook_passes(self):
        assert check_upload(samples.workbook_bytes(), kind="spreadsheet", allowed=("xlsx",)) == "xlsx"

    def test_read_xlsx_rows_refuses_a_bomb_in_japanese(self, zip_bomb, parsing_fails):
        with pytest.raises(SpreadsheetError, match=EXPANDS_TOO_MUCH):
            read_xlsx_rows(zip_bomb)


# --- XML entity bombs ----------------------------------------------------------------------------


class TestEntityBombs:
    @pytest.mark.parametrize(
        "content",
        [
            pytest.param(samples.entity_bomb_xlsx(), id="in-the-sheet"),
            pytest.param(samples.entity_bomb_xlsx(samples.WORKBOOK), id="in-the-workbook-part"),
            pytest.param(samples.entity_bomb_xlsx(encoding="utf-16"), id="in-utf-16"),
            pytest.param(samples.entity_bomb_xlsx(padding=100_000), id="after-a-long-comment"),
        ],
    )
    def test_a_doctype_in_any_member_is_refused_before_openpyxl_sees_it(self, content, monkeypatch):
        monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl was called"))
        assert DOCTYPE in refusal(content)
        with pytest.raises(SpreadsheetError, match="DOCTYPE"):
            read_xlsx_rows(content)

    @pytest.mark.parametrize("member", [samples.SHEET, samples.WORKBOOK])
    def test_openpyxl_itself_refuses_entities_because_defusedxml_is_installed(self, member):
        # The second line of defence, should a member ever slip past the scan.
        from defusedxml import EntitiesForbidden

        assert openpyxl.DEFUSEDXML is True
        with pytest.raises(Exception) as error:
            workbook = openpyxl.load_workbook(io.BytesIO(samples.entity_bomb_xlsx(member)), read_only=True)
            list(workbook.active.values)
        chain = [error.value, error.value.__cause__, error.value.__context__]
        assert any(isinstance(exc, EntitiesForbidden) for exc in chain), chain


# --- rows and cells ------------------------------------------------------------------------------


class TestRowAndCellCaps:
    def test_a_million_cells_are_refused_from_the_declared_size_before_a_row_is_read(
        self, million_cells, monkeypatch
    ):
        assert len(million_cells) < 2 * MB
        assert check_upload(million_cells, kind="spreadsheet", allowed=("xlsx",)) == "xlsx"  # not a bomb
        monkeypatch.setattr(WorkSheetParser, "parse", lambda self: pytest.fail("rows were read"))
        with pytest.raises(SpreadsheetError, match=re.escape(TOO_MANY_ROWS)):
            read_xlsx_rows(million_cells)

    def test_a_sheet_whose_declared_size_lies_is_counted_while_reading_and_stopped_at_the_cap(self, monkeypatch):
        content = samples.dense_sheet_xlsx(rows=20_000, columns=1, dimension="A1")
        read = []
        parse = WorkSheetParser.parse

        def counting(self):
            for row in parse(self):
                read.append(row[0])
                yield row

        monkeypatch.setattr(WorkSheetParser, "parse", counting)
        with pytest.raises(SpreadsheetError, match=re.escape(TOO_MANY_ROWS)):
            read_xlsx_rows(content)
        assert len(read) == 10_001  # stopped at the first row over the cap, not at 20,000

    def test_wide_rows_are_stopped_at_the_cell_cap(self):
        content = samples.dense_sheet_xlsx(rows=201, columns=1000, dimension="A1")
        with pytest.raises(SpreadsheetError, match=re.escape(TOO_MANY_CELLS)):
            read_xlsx_rows(content)

    def test_a_declared_size_over_the_cell_cap_is_refused(self):
        content = samples.dense_sheet_xlsx(rows=2, columns=2, dimension="A1:XFD100")
        with pytest.raises(SpreadsheetError, match=re.escape(TOO_MANY_CELLS)):
            read_xlsx_rows(content)

    def test_one_far_value_cannot_widen_every_row_beyond_the_cell_cap(self):
        workbook = openpyxl.Workbook()
        for row in range(1, 21):
            workbook.active.cell(row=row, column=1, value=row)
        workbook.active.cell(row=1, column=16_384, value="XFD")  # 20 rows × 16,384 columns once padded
        buffer = io.BytesIO()
        workbook.save(buffer)
        sheet = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read(samples.SHEET)
        lying = sheet.replace(b'<dimension ref="A1:XFD20" />', b'<dimension ref="A1" />')
        assert lying != sheet
        content = samples.rebuild(buffer.getvalue(), replace={samples.SHEET: lying})
        with pytest.raises(SpreadsheetError, match=re.escape(TOO_MANY_CELLS)):
            read_xlsx_rows(content)

    def test_csv_rows_are_capped_too(self, settings):
        settings.UPLOAD_LIMITS = {"spreadsheet": {"max_rows": 3}}
        with pytest.raises(SpreadsheetError, match=r"行数が多すぎます（上限 3 行）"):
            read_csv_rows("No.\r\n1\r\n2\r\n3\r\n".encode("cp932"))


# --- the progress import goes through the guard --------------------------------------------------


@pytest.fixture
def progress_admin(client, plan_admin):
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    client.force_login(plan_admin)
    return client


def progress_state():
    return (
        list(MeasureProgress.objects.order_by("pk").values_list("pk", "version", "achievements", "updated_at")),
        MeasureProgress.history.count(),
    )


class TestProgressImport:
    def post(self, client, content, name="進捗_令和7年度.xlsx"):
        before = progress_state()
        response = client.post(reverse("plan:progress_import"), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400
        assert progress_state() == before  # nothing changed
        assert "progress_import" not in client.session  # nothing kept for a confirm
        assert not select(response, '[name="token"]')
        return field_errors(response, "file")

    def test_a_zip_bomb_is_refused_beside_the_field_before_parsing(self, progress_admin, zip_bomb, parsing_fails):
        [message] = self.post(progress_admin, zip_bomb)
        assert message.startswith(EXPANDS_TOO_MUCH)

    def test_an_entity_bomb_is_refused(self, progress_admin, monkeypatch):
        monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl was called"))
        [message] = self.post(progress_admin, samples.entity_bomb_xlsx())
        assert DOCTYPE in message

    def test_a_million_cells_are_refused_with_the_row_cap(self, progress_admin, million_cells):
        [message] = self.post(progress_admin, million_cells)
        assert message.startswith(TOO_MANY_ROWS)

    def test_a_file_over_10_mb_is_refused_before_parsing(self, progress_admin, parsing_fails):
        [message] = self.post(progress_admin, b"PK\x03\x04" + b"\0" * (10 * MB))
        assert message.startswith(TOO_LARGE_10)

    def test_an_empty_file_is_refused(self, progress_admin):
        assert self.post(progress_admin, b"") == ["入力されたファイルは空です。"]

    def test_the_help_text_names_the_cap(self, progress_admin):
        page = progress_admin.get(reverse("plan:progress_import"))
        assert "10 MB まで。" in text_of(select_one(page, "#id_file_helptext"))
