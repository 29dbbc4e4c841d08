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
    Chart,
    Choices,
    Input,
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


# --- sheets people fill in: drop-down lists, protection, hidden cells ---------------------------------

ASSESSMENT = Choices(label="進捗状況", values=("順調", "概ね順調", "遅れ", "未着手", "完了"))


def validations_of(worksheet) -> dict[str, tuple[str, object]]:
    """Each validated cell (「D2」) with its validation's formula and the validation."""
    cells = {}
    for validation in worksheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            for row in worksheet.iter_rows(
                min_row=cell_range.min_row,
                max_row=cell_range.max_row,
                min_col=cell_range.min_col,
                max_col=cell_range.max_col,
            ):
                for cell in row:
                    cells[cell.coordinate] = (validation.formula1, validation)
    return cells


def test_xlsx_input_cells_offer_their_choices_and_excel_refuses_others_in_japanese():
    rows = [
        [number, Input("順調" if number == 1 else None, ASSESSMENT), Input("実施した")]
        for number in (1, 2, 3)
    ]
    worksheet = open_xlsx(write_xlsx([Sheet("進捗", ["No.", "進捗状況", "実績"], rows)])).active

    validations = validations_of(worksheet)
    assert set(validations) == {"B2", "B3", "B4"}  # the column's cells, not the header or 実績
    formula, validation = validations["B2"]
    assert formula == '"順調,概ね順調,遅れ,未着手,完了"'
    assert validation.type == "list" and validation.allow_blank
    assert validation.showErrorMessage and validation.errorStyle == "stop"
    assert "進捗状況" in validation.error and "概ね順調" in validation.error
    assert JAPANESE.search(validation.errorTitle)
    # One validation for the column, as one range.
    assert [str(v.sqref) for v in worksheet.data_validations.dataValidation] == ["B2:B4"]
    assert worksheet["B2"].value == "順調" and worksheet["C2"].value == "実施した"


def test_xlsx_protected_sheet_locks_everything_but_the_input_cells_without_a_password():
    rows = [[1, Input("順調", ASSESSMENT), Input("=HYPERLINK(1)"), 2025]]
    worksheet = open_xlsx(
        write_xlsx([Sheet("進捗", ["No.", "進捗状況", "実績", "年度"], rows, protected=True)])
    ).active

    assert worksheet.protection.sheet
    assert not worksheet.protection.password
    assert not worksheet.protection.autoFilter  # filtering is still allowed
    assert worksheet["A1"].protection.locked and worksheet["A2"].protection.locked
    assert worksheet["D2"].protection.locked
    assert not worksheet["B2"].protection.locked and not worksheet["C2"].protection.locked
    # An input cell keeps the safe-cell rule.
    assert worksheet["C2"].value == "=HYPERLINK(1)"
    assert worksheet["C2"].data_type == "s" and worksheet["C2"].quotePrefix


def test_xlsx_sheet_is_not_protected_unless_asked():
    worksheet = open_xlsx(write_xlsx([Sheet("進捗", ["No."], [[Input(1)]])])).active
    assert not worksheet.protection.sheet


def test_xlsx_hides_the_columns_and_rows_asked_for():
    rows = [["回答", "key1"], ["識別", "meta:version"]]
    worksheet = open_xlsx(
        write_xlsx([Sheet("回答", ["回答", "キー"], rows, hidden_columns=[2], hidden_rows=[1])])
    ).active

    assert worksheet.column_dimensions["B"].hidden and not worksheet.column_dimensions["A"].hidden
    assert worksheet.row_dimensions[3].hidden and not worksheet.row_dimensions[2].hidden
    assert worksheet["B3"].value == "meta:version"


def test_xlsx_a_list_too_long_to_type_in_place_is_kept_on_a_hidden_sheet():
    many = Choices(
        label="団体", values=tuple(f"特定非営利活動法人 支援団体{number:03}" for number in range(30))
    )
    comma = Choices(label="区分", values=("A,B", "C"))
    rows = [[Input(None, many), Input("C", comma)]]
    workbook = open_xlsx(write_xlsx([Sheet("回答", ["団体", "区分"], rows)]))

    assert workbook.sheetnames == ["回答", "選択肢"]
    lists = workbook["選択肢"]
    assert lists.sheet_state == "hidden"
    assert [row[0] for row in lists.iter_rows(values_only=True)] == list(many.values)
    assert [lists["B1"].value, lists["B2"].value] == ["A,B", "C"]
    validations = validations_of(workbook["回答"])
    assert validations["A2"][0] == "'選択肢'!$A$1:$A$30"
    assert validations["B2"][0] == "'選択肢'!$B$1:$B$2"


def test_csv_writes_an_input_cells_value():
    sheet = Sheet("進捗", ["No.", "進捗状況"], [[1, Input("順調", ASSESSMENT)], [2, Input("=1+1")]])
    assert write_csv(sheet).decode("utf-8-sig").splitlines() == ["No.,進捗状況", "1,順調", "2,'=1+1"]


# --- write-only mode and normal mode write the same workbook --------------------------------------


def every_kind_of_sheet() -> list[Sheet]:
    aware = datetime.datetime(2025, 4, 1, 0, 30, tzinfo=datetime.UTC)
    rows = [
        [1, "相談体制の強化", Input("順調", ASSESSMENT), Input("実施した"), 2025, Decimal("12.50")],
        [2, '=HYPERLINK("http://example.com")', Input(None, ASSESSMENT), Input("+81\n二行目"), 2025, 0.25],
        [
            3,
            "支援調整会議の設置に向けた検討を進めている。" * 6,
            Input("遅れ", ASSESSMENT),
            Input(None),
            2024,
            None,
        ],
        [4, "#N/A", "-3", "@SUM(A1)", datetime.date(2025, 3, 1), aware],
        [5, True, datetime.time(9, 30), "\tx", 2025, 1],
        ["meta:version", "識別", Input(None, ASSESSMENT), None, 2025, 7],
    ]
    return [
        Sheet(
            "進捗",
            ["No.", "事項", "進捗状況", "実績", "年度", "値"],
            rows,
            column_widths=[6, 0, 12],  # the rest estimated
            protected=True,
            hidden_columns=[6],
            hidden_rows=[5],
            charts=[Chart(title="値", row=0, first_column=5, last_column=6)],
        ),
        # A generator with every width given: streamed without being measured.
        Sheet(
            "一覧",
            ["No.", "名称"],
            ([number, f"団体{number}" * number] for number in range(1, 30)),
            column_widths=[6, 20],
        ),
    ]


def workbook_facts(content: bytes) -> dict:
    """What a person or the import would notice, sheet by sheet."""
    workbook = open_xlsx(content)
    facts = {"sheets": workbook.sheetnames, "title": workbook.properties.title}
    for worksheet in workbook.worksheets:
        facts[worksheet.title] = {
            "cells": [
                (
                    cell.coordinate,
                    cell.value,
                    cell.data_type,
                    cell.number_format,
                    cell.quotePrefix,
                    cell.font.name,
                    cell.font.b,
                    cell.fill.fill_type,
                    cell.alignment.wrap_text,
                    cell.alignment.vertical,
                    cell.border.left.style,
                    cell.protection.locked,
                )
                for row in worksheet.iter_rows()
                for cell in row
            ],
            "widths": {
                letter: (dimension.width, dimension.hidden)
                for letter, dimension in worksheet.column_dimensions.items()
            },
            "hidden rows": sorted(
                row for row, dimension in worksheet.row_dimensions.items() if dimension.hidden
            ),
            "validations": sorted(
                (str(v.sqref), v.formula1, v.type, v.error, v.errorTitle, v.allow_blank)
                for v in worksheet.data_validations.dataValidation
            ),
            "freeze": worksheet.freeze_panes,
            "filter": worksheet.auto_filter.ref,
            "print titles": worksheet.print_title_rows,
            "page": (
                worksheet.page_setup.paperSize,
                worksheet.page_setup.orientation,
                worksheet.page_setup.fitToWidth,
                worksheet.page_setup.fitToHeight,
                worksheet.sheet_properties.pageSetUpPr.fitToPage,
                worksheet.page_margins.left,
                worksheet.page_margins.top,
            ),
            "header and footer": (
                worksheet.oddHeader.center.text,
                worksheet.oddFooter.center.text,
                worksheet.oddFooter.left.text,
            ),
            "protection": (
                worksheet.protection.sheet,
                worksheet.protection.password,
                worksheet.protection.sort,
            ),
            "charts": [type(chart).__name__ for chart in worksheet._charts],
            "state": worksheet.sheet_state,
        }
    return facts


def test_write_only_and_normal_mode_give_the_same_workbook():
    streamed = write_xlsx(
        every_kind_of_sheet(), title="推進委員会資料", footer="令和7年4月1日現在", write_only=True
    )
    in_memory = write_xlsx(
        every_kind_of_sheet(), title="推進委員会資料", footer="令和7年4月1日現在", write_only=False
    )

    streamed_facts, in_memory_facts = workbook_facts(streamed), workbook_facts(in_memory)
    assert streamed_facts == in_memory_facts
    # …and they are the facts intended, not the same mistake twice.
    sheet = streamed_facts["進捗"]
    cells = {cell[0]: cell for cell in sheet["cells"]}
    assert cells["B3"][1:5] == ('=HYPERLINK("http://example.com")', "s", "General", True)
    assert cells["F2"][1:3] == (12.5, "n")  # a Decimal as a number
    assert cells["E5"][3] == "yyyy/m/d" and cells["F5"][3] == "yyyy/m/d h:mm"
    assert cells["B4"][8] and cells["D3"][8]  # long text and a line break wrap
    assert cells["C2"][11] is False and cells["A2"][11] is True  # input unlocked, key locked
    assert sheet["validations"][0][0] == "C2:C4 C7"
    assert sheet["hidden rows"] == [7] and sheet["widths"]["F"][1]
    assert sheet["widths"]["A"][0] == 6 and sheet["widths"]["B"][0] == 60  # given, and estimated to the cap
    assert sheet["filter"] == "A1:F7" and sheet["freeze"] == "A2" and sheet["print titles"] == "$1:$1"
    assert sheet["charts"] == ["BarChart"]
    assert streamed_facts["一覧"]["filter"] == "A1:B30"


def test_xlsx_is_written_in_write_only_mode_by_default(monkeypatch):
    modes = []
    workbook_class = openpyxl.Workbook

    def recording_workbook(*args, **kwargs):
        modes.append(kwargs.get("write_only", False))
        return workbook_class(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "Workbook", recording_workbook)
    write_xlsx([measures_sheet()])
    assert modes == [True]
