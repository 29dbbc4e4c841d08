"""The shared spreadsheet writer and reader: safe cells, print setup, Japanese intact."""

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plan.common.spreadsheets import (
    Sheet,
    SpreadsheetError,
    read_csv_rows,
    read_xlsx_rows,
    spreadsheet_response,
    write_csv,
    write_xlsx,
)

DANGEROUS = ["=1+1", "+81", "-3", "@SUM(A1)", "\tx", "\rx"]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def open_xlsx(content: bytes, **kwargs):
    return openpyxl.load_workbook(io.BytesIO(content), **kwargs)


def sheet_xml(content: bytes, number: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode()


def measures_sheet(rows=None, **kwargs) -> Sheet:
    rows = rows if rows is not None else [[1, "相談体制の強化", "実施中"], [2, "=1+1", "-3"]]
    return Sheet(title="施策の取組状況", headers=["No.", "事項", "状況"], rows=rows, **kwargs)


# --- xlsx: safe cells ------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_writes_text_with_a_formula_prefix_as_the_same_text_never_a_formula(text):
    content = write_xlsx([Sheet("記録", ["内容"], [[text]])])

    cell = open_xlsx(content).active["A2"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix  # Excel keeps it text when someone edits the cell
    assert "<f>" not in sheet_xml(content) and "<f " not in sheet_xml(content)
    # What Excel would show: the cached value too is the text itself.
    assert open_xlsx(content, data_only=True).active["A2"].value == text


def test_xlsx_keeps_text_that_looks_like_an_error_value_as_text():
    content = write_xlsx([Sheet("記録", ["内容"], [["#N/A"]])])

    cell = open_xlsx(content).active["A2"]
    assert (cell.value, cell.data_type) == ("#N/A", "s")


def test_xlsx_writes_ordinary_japanese_text_unchanged_and_without_quote_prefix():
    text = "女性相談支援センターのDX\n（再掲）"
    content = write_xlsx([Sheet("記録", ["内容"], [[text]])])

    cell = open_xlsx(content).active["A2"]
    assert cell.value == text
    assert not cell.quotePrefix
    assert cell.alignment.wrap_text  # a line break shows as one


def test_xlsx_keeps_numbers_dates_booleans_and_empty_cells_as_such():
    day = datetime.date(2025, 4, 1)
    content = write_xlsx(
        [
            Sheet(
                "値",
                ["整数", "負数", "小数", "日付", "真偽", "空"],
                [[62, -3, Decimal("1.5"), day, True, None]],
            )
        ]
    )

    row = [(cell.value, cell.data_type) for cell in open_xlsx(content).active[2]]
    assert row[0] == (62, "n")
    assert row[1] == (-3, "n")
    assert row[2] == (1.5, "n")
    assert row[3][0].date() == day and open_xlsx(content).active["D2"].is_date
    assert row[4] == (True, "b")
    assert row[5][0] is None


def test_xlsx_writes_aware_datetimes_in_tokyo_time():
    moment = datetime.datetime(2025, 3, 31, 15, 30, tzinfo=datetime.UTC)
    content = write_xlsx([Sheet("記録", ["日時"], [[moment]])])

    assert open_xlsx(content).active["A2"].value == datetime.datetime(2025, 4, 1, 0, 30)


# --- xlsx: layout and print setup -------------------------------------------------------------


def test_xlsx_header_row_is_bold_filled_frozen_and_filtered():
    worksheet = open_xlsx(write_xlsx([measures_sheet()])).active

    assert [cell.value for cell in worksheet[1]] == ["No.", "事項", "状況"]
    assert all(cell.font.bold for cell in worksheet[1])
    assert worksheet["A1"].fill.fill_type == "solid"
    assert not worksheet["A2"].font.bold
    assert worksheet.freeze_panes == "A2"
    assert worksheet.auto_filter.ref == "A1:C3"


def test_xlsx_is_set_up_to_print_on_a4_landscape_one_page_wide_with_the_header_on_every_page():
    worksheet = open_xlsx(write_xlsx([measures_sheet()])).active

    assert worksheet.print_title_rows == "$1:$1"
    assert worksheet.page_setup.orientation == "landscape"
    assert int(worksheet.page_setup.paperSize) == 9  # A4
    assert worksheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(worksheet.page_setup.fitToWidth) == 1
    assert int(worksheet.page_setup.fitToHeight) == 0
    assert worksheet.oddFooter.center.text == "&P / &N"


def test_xlsx_names_a_japanese_font_and_embeds_nothing():
    content = write_xlsx([measures_sheet()])
    worksheet = open_xlsx(content).active

    assert worksheet["A1"].font.name == worksheet["B2"].font.name == "游ゴシック"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert not [name for name in archive.namelist() if "font" in name.lower() or "media" in name]


def test_xlsx_workbook_title_is_stored_and_printed_in_the_page_header():
    content = write_xlsx([measures_sheet()], title="推進委員会資料 R&D")

    workbook = open_xlsx(content)
    assert workbook.properties.title == "推進委員会資料 R&D"
    assert workbook.active.oddHeader.center.text == "推進委員会資料 R&&D"  # & doubled, not a code


def test_xlsx_uses_given_column_widths():
    worksheet = open_xlsx(write_xlsx([measures_sheet(column_widths=[8, 40, 12])])).active

    assert [worksheet.column_dimensions[letter].width for letter in "ABC"] == [8, 40, 12]


def test_xlsx_estimates_widths_counting_japanese_characters_double():
    sheet = Sheet("幅", ["a", "b"], [["abcdefghij", "あいうえおかきくけこ"]])
    worksheet = open_xlsx(write_xlsx([sheet])).active

    ascii_width = worksheet.column_dimensions["A"].width
    japanese_width = worksheet.column_dimensions["B"].width
    assert ascii_width >= 10
    assert japanese_width >= 20
    assert japanese_width > ascii_width + 8


def test_xlsx_caps_estimated_width_and_wraps_long_text():
    long_text = "支援調整会議の設置に向けた検討を進めている。" * 10
    worksheet = open_xlsx(write_xlsx([Sheet("長文", ["内容", "番号"], [[long_text, 1]])])).active

    assert worksheet.column_dimensions["A"].width <= 60
    assert worksheet["A2"].alignment.wrap_text
    assert worksheet["A2"].value == long_text


def test_xlsx_sheet_titles_are_sanitised_truncated_and_unique():
    long_title = "令和7年度 区市町村の取組状況 支援調整会議の設置状況と基本計画の策定状況一覧"
    workbook = open_xlsx(
        write_xlsx(
            [
                Sheet("集計/内訳:[2025]?*\\", ["a"], []),
                Sheet(long_title, ["a"], []),
                Sheet(long_title, ["a"], []),
                Sheet("'引用'", ["a"], []),
            ]
        )
    )

    titles = workbook.sheetnames
    assert len(titles) == 4
    assert not any(re.search(r"[\\/?*\[\]:]", title) for title in titles)
    assert titles[0].startswith("集計") and "2025" in titles[0]
    assert all(len(title) <= 31 for title in titles)
    assert titles[1] == long_title[:31]
    assert titles[2] != titles[1] and titles[2].startswith(long_title[:20])
    assert not titles[3].startswith("'") and not titles[3].endswith("'") and "引用" in titles[3]


def test_xlsx_keeps_sheets_in_order_and_accepts_generators():
    rows = ([number, f"施策{number}"] for number in range(1, 4))
    workbook = open_xlsx(write_xlsx([Sheet("施策", ["No.", "事項"], rows), Sheet("空", ["No."], [])]))

    assert workbook.sheetnames == ["施策", "空"]
    assert [row for row in workbook["施策"].iter_rows(values_only=True)] == [
        ("No.", "事項"),
        (1, "施策1"),
        (2, "施策2"),
        (3, "施策3"),
    ]
    assert workbook["空"].auto_filter.ref == "A1:A1"


# --- CSV --------------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_crlf_and_the_header_first():
    content = write_csv(measures_sheet())

    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.split("\r\n") == ["No.,事項,状況", "1,相談体制の強化,実施中", "2,'=1+1,'-3", ""]


def test_csv_quotes_every_dangerous_prefix_and_keeps_numbers_bare():
    content = write_csv(Sheet("記録", ["内容", "数"], [[text, -3] for text in DANGEROUS]))

    records = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert records[0] == ["内容", "数"]
    assert [record[0] for record in records[1:]] == ["'" + text for text in DANGEROUS]
    assert {record[1] for record in records[1:]} == {"-3"}


def test_csv_writes_booleans_dates_and_empty_cells_as_excel_reads_them():
    sheet = Sheet(
        "値", ["真偽", "日付", "空", "小数"], [[True, datetime.date(2025, 4, 1), None, Decimal("0.50")]]
    )

    assert write_csv(sheet).decode("utf-8-sig").split("\r\n")[1] == "TRUE,2025-04-01,,0.50"


# --- reading xlsx ---------------------------------------------------------------------------------


def test_read_xlsx_rows_gives_back_what_write_xlsx_wrote():
    rows = [[1, text, 2.5] for text in DANGEROUS] + [[2, "令和7年度（2025年度）", None]]
    content = write_xlsx([Sheet("取組", ["No.", "内容", "値"], rows)])

    assert read_xlsx_rows(content) == [(1, ["No.", "内容", "値"])] + [
        (number, row) for number, row in enumerate(rows, start=2)
    ]


def test_read_xlsx_rows_skips_empty_rows_but_keeps_excel_row_numbers():
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet["A1"], worksheet["A4"], worksheet["B4"] = "区市町村コード", "131016", "千代田区"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert read_xlsx_rows(buffer.getvalue()) == [(1, ["区市町村コード", None]), (4, ["131016", "千代田区"])]


def test_read_xlsx_rows_gives_the_value_excel_calculated_for_a_formula_not_its_text():
    workbook = openpyxl.Workbook()
    workbook.active["A1"], workbook.active["A2"] = "合計", "=1+1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    # As Excel saves it: the formula with its last calculated value.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    calculated = io.BytesIO()
    with zipfile.ZipFile(calculated, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                assert b"<f>1+1</f><v />" in data
                data = data.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
            target.writestr(name, data)

    assert read_xlsx_rows(calculated.getvalue()) == [(1, ["合計"]), (2, [2])]


def test_read_xlsx_rows_reads_a_named_sheet_from_an_uploaded_file():
    content = write_xlsx(
        [Sheet("説明", ["注意"], [["記入例"]]), Sheet("回答", ["設問", "回答"], [["計画", "策定済"]])]
    )
    upload = SimpleUploadedFile("回答.xlsx", content)

    assert read_xlsx_rows(upload, sheet="回答") == [(1, ["設問", "回答"]), (2, ["計画", "策定済"])]


def test_read_xlsx_rows_names_the_missing_sheet():
    content = write_xlsx([Sheet("説明", ["注意"], [["記入例"]])])

    with pytest.raises(SpreadsheetError, match="「回答」.*見つかりません") as error:
        read_xlsx_rows(content, sheet="回答")
    assert "説明" in str(error.value)


@pytest.mark.parametrize(
    "content",
    [
        "No.,事項\r\n1,相談体制の強化\r\n".encode("utf-8-sig"),  # a CSV renamed to .xlsx
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"PK\x03\x04 truncated zip",
    ],
    ids=["csv", "pdf", "broken-zip"],
)
def test_read_xlsx_rows_rejects_a_file_that_is_not_xlsx_in_japanese(content):
    with pytest.raises(SpreadsheetError) as error:
        read_xlsx_rows(SimpleUploadedFile("回答.xlsx", content))
    assert "xlsx" in str(error.value) and JAPANESE.search(str(error.value))


def test_read_xlsx_rows_rejects_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(SpreadsheetError, match="xlsx"):
        read_xlsx_rows(buffer.getvalue())


def test_read_xlsx_rows_explains_old_xls_or_password_protected_files():
    with pytest.raises(SpreadsheetError, match=r"\.xls.*パスワード"):
        read_xlsx_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


def test_read_xlsx_rows_rejects_an_empty_file_and_an_empty_sheet():
    with pytest.raises(SpreadsheetError, match="空"):
        read_xlsx_rows(b"")
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with pytest.raises(SpreadsheetError, match="データがありません"):
        read_xlsx_rows(buffer.getvalue())


# --- reading CSV ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_read_csv_rows_reads_utf8_with_or_without_bom_and_cp932(encoding):
    content = "区市町村,状況\r\n八王子市,策定済\r\n\r\n檜原村,'=未定\r\n".encode(encoding)

    assert read_csv_rows(SimpleUploadedFile("回答.csv", content)) == [
        (1, ["区市町村", "状況"]),
        (2, ["八王子市", "策定済"]),
        (4, ["檜原村", "'=未定"]),
    ]


def test_read_csv_rows_gives_back_what_write_csv_wrote_text_unchanged():
    content = write_csv(Sheet("記録", ["内容"], [["=1+1"], ["複数行の\r\n記述"]]))

    assert read_csv_rows(content) == [(1, ["内容"]), (2, ["'=1+1"]), (3, ["複数行の\r\n記述"])]


def test_read_csv_rows_rejects_an_xlsx_and_undecodable_bytes_in_japanese():
    with pytest.raises(SpreadsheetError, match="CSV"):
        read_csv_rows(write_xlsx([measures_sheet()]))
    with pytest.raises(SpreadsheetError, match="文字コード"):
        read_csv_rows(b"\x82\xa0\xff\xfe\x81")
    with pytest.raises(SpreadsheetError, match="空"):
        read_csv_rows(b"")


# --- the download ------------------------------------------------------------------------------


def test_xlsx_response_is_an_attachment_with_the_japanese_file_name():
    response = spreadsheet_response(
        [measures_sheet()], filename="推進委員会資料_令和7年度.xlsx", file_format="xlsx"
    )

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("推進委員会資料_令和7年度.xlsx") in disposition
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert fallback.isascii() and fallback.endswith(".xlsx")
    assert open_xlsx(response.content).active["B2"].value == "相談体制の強化"


def test_csv_response_adds_the_extension_and_carries_the_bom():
    response = spreadsheet_response(measures_sheet(), filename="取組状況 Returns", file_format="csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" + quote("取組状況 Returns.csv") in response["Content-Disposition"]
    assert 'filename="Returns.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_csv_response_refuses_more_than_one_sheet():
    with pytest.raises(ValueError):
        spreadsheet_response([measures_sheet(), measures_sheet()], filename="x", file_format="csv")
