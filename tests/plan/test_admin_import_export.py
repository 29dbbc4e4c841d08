"""The admin's import/export of reference data: xlsx out through our writer, preview before import,
all or nothing, and a history entry under the importer's name."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plan.common.spreadsheets import Sheet, write_xlsx
from plan.models import Measure
from tests.html import text_of


def export_measures(client):
    response = client.post(
        reverse("admin:plan_measure_export"),
        {"format": "0", "resource": "0", **{f"measureresource_{name}": "on" for name in ["number", "heading", "heading_inferred", "content"]}},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def measures_file(rows):
    content = write_xlsx([Sheet(title="施策", headers=["No.", "事項", "事項は推定", "内容"], rows=rows)])
    return SimpleUploadedFile("measures.xlsx", content)


def preview_import(client, upload):
    return client.post(reverse("admin:plan_measure_import"), {"format": "0", "resource": "0", "import_file": upload})


def test_export_writes_every_measure_and_keeps_a_formula_like_heading_as_text(plan_admin_client):
    Measure.objects.filter(number=3).update(heading="=HYPERLINK(\"http://example.com\")")
    sheet = export_measures(plan_admin_client).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("No.", "事項")
    assert len(rows) == 1 + 120
    cell = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "3")[1]
    assert cell.value == "=HYPERLINK(\"http://example.com\")"
    assert cell.data_type == "s"


def test_an_import_is_previewed_then_applied_with_history(plan_admin_client, plan_admin):
    measure = Measure.objects.get(number=15)
    preview = preview_import(plan_admin_client, measures_file([[15, "ワンストップ支援事業の実施（改）", False, measure.content]]))
    assert preview.status_code == 200
    assert "プレビュー" in text_of(preview) and "（改）" in text_of(preview)
    assert Measure.objects.get(number=15).heading == "ワンストップ支援事業の実施"  # nothing yet

    form = {
        name: preview.context["confirm_form"][name].value()
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }
    response = plan_admin_client.post(reverse("admin:plan_measure_process_import"), form)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.heading == "ワンストップ支援事業の実施（改）"
    latest = measure.history.latest()
    assert latest.history_user == plan_admin and latest.heading == measure.heading


def test_a_file_with_an_unknown_measure_number_changes_nothing(plan_admin_client):
    before = dict(Measure.objects.values_list("number", "heading"))
    preview = preview_import(
        plan_admin_client,
        measures_file([[15, "変更したい事項", False, Measure.objects.get(number=15).content], [999, "新しい施策", False, "内容"]]),
    )
    assert "No.「999」の施策は計画にありません。" in text_of(preview)
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert dict(Measure.objects.values_list("number", "heading")) == before


def test_an_empty_heading_is_refused_with_its_row(plan_admin_client):
    preview = preview_import(plan_admin_client, measures_file([[16, "", False, Measure.objects.get(number=16).content]]))
    page = text_of(preview)
    assert "このフィールドは空ではいけません。" in page, page[-1500:]
    assert Measure.objects.get(number=16).heading == "関係機関が連携した被害者の回復支援"


# --- the upload guard, encodings and Japanese messages ------------------------------------------------

MUNICIPALITY_HEADERS = "code6,code5,name,kana,kind,region\r\n"
XLSX_FORMAT, CSV_FORMAT = "0", "1"


def import_municipalities(client, content, *, name="区市町村.csv", format=CSV_FORMAT):
    return client.post(
        reverse("admin:municipalities_municipality_import"),
        {"format": format, "resource": "0", "import_file": SimpleUploadedFile(name, content)},
    )


def confirm_import(client, preview, url_name):
    form = {
        name: preview.context["confirm_form"][name].value()
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }
    return client.post(reverse(url_name), form)


def import_field_errors(response):
    form = response.context["form"]
    return list(form.errors.get("import_file", []))


def assert_no_traceback(response):
    page = response.content.decode()
    assert "Traceback" not in page and 'File "' not in page and "site-packages" not in page


@pytest.fixture
def nothing_is_read_or_stored(monkeypatch):
    """Every reader, and import-export's temporary storage, fail the test if reached: a refused file
    is refused by the form's guard before it is written anywhere or parsed."""
    import tablib
    from import_export.tmp_storages import TempFolderStorage

    import plan.adminsite.formats

    def fail(*args, **kwargs):
        raise AssertionError("the upload was stored or parsed before it was refused")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)
    monkeypatch.setattr(tablib, "import_set", fail)
    monkeypatch.setattr(plan.adminsite.formats, "read_csv_rows", fail)
    monkeypatch.setattr(plan.adminsite.formats, "read_xlsx_rows", fail)
    monkeypatch.setattr(TempFolderStorage, "save", fail)


def municipalities_state():
    from municipalities.models import Municipality

    return list(Municipality.objects.order_by("code").values_list("code", "code5", "name", "kana", "kind", "region"))


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"], ids=["shift_jis", "utf-8-bom", "utf-8"])
def test_a_csv_saved_by_excel_in_shift_jis_or_utf8_is_previewed_then_imported(plan_admin_client, encoding):
    from municipalities.models import Municipality

    content = (MUNICIPALITY_HEADERS + "131016,13101,千代田区,チヨダクテスト,区,区部\r\n").encode(encoding)
    preview = import_municipalities(plan_admin_client, content)
    assert preview.status_code == 200
    assert not import_field_errors(preview)
    assert "チヨダクテスト" in text_of(preview)
    assert Municipality.objects.get(code="131016").kana == "チヨダク"  # a dry run: nothing yet

    response = confirm_import(plan_admin_client, preview, "admin:municipalities_municipality_process_import")
    assert response.status_code == 302
    assert Municipality.objects.get(code="131016").kana == "チヨダクテスト"
    [message] = [str(message) for message in response.wsgi_request._messages]
    assert "変更 1 件" in message  # import-export's own message, in Japanese from locale/ja


def test_wrong_headers_give_a_japanese_message_and_no_traceback(plan_admin_client):
    before = municipalities_state()
    content = "コード,名前\r\n131016,千代田区\r\n".encode()
    response = import_municipalities(plan_admin_client, content)
    page = text_of(response)
    assert "列「code6」がありません（1行目の見出し行）。" in page
    assert "「code6」、「code5」、「name」" in page
    assert "import_id_fields" not in page and "FieldError" not in page and "KeyError" not in page
    assert_no_traceback(response)
    assert not response.context.get("confirm_form")
    assert municipalities_state() == before


def test_a_wrong_header_in_an_xlsx_names_the_column(plan_admin_client):
    content = write_xlsx([Sheet("施策", ["番号", "事項"], [[15, "変更"]])])
    response = preview_import(plan_admin_client, SimpleUploadedFile("measures.xlsx", content))
    assert "列「No.」がありません（1行目の見出し行）。" in text_of(response)
    assert_no_traceback(response)


def test_headers_typed_with_extra_spaces_or_half_width_brackets_still_match(plan_admin_client):
    from plan.models import Department

    name = Department.objects.filter(parent__isnull=False).select_related("parent").first()
    content = (
        ' 上位の局 ,名称,"区分(bureau=局, division=部・課)",表示順,有効\r\n'
        f"{name.parent.name},{name.name},division,{name.position},1\r\n"
    ).encode("cp932")
    response = plan_admin_client.post(
        reverse("admin:plan_department_import"),
        {"format": CSV_FORMAT, "resource": "0", "import_file": SimpleUploadedFile("所管.csv", content)},
    )
    assert response.status_code == 200
    assert response.context["confirm_form"] is not None, text_of(response)[-1500:]


def test_a_row_error_is_japanese_with_the_row_number_as_excel_shows_it(plan_admin_client):
    content = (
        '上位の局,名称,"区分（bureau=局, division=部・課）",表示順,有効\r\n'
        "\r\n"  # a blank line: the next record is the file's third line
        "存在しない局,新しい課,division,1,1\r\n"
    ).encode("cp932")
    response = plan_admin_client.post(
        reverse("admin:plan_department_import"),
        {"format": CSV_FORMAT, "resource": "0", "import_file": SimpleUploadedFile("所管.csv", content)},
    )
    page = text_of(response)
    assert "3行目：一致する所管局・所管課が見つかりません。" in page, page[-1500:]
    assert "DoesNotExist" not in page and "matching query" not in page
    assert_no_traceback(response)


def test_an_invalid_value_names_the_column_and_the_excel_row(plan_admin_client):
    content = (MUNICIPALITY_HEADERS + "131016,13102,千代田区,チヨダク,区,区部\r\n").encode("cp932")
    response = import_municipalities(plan_admin_client, content)
    page = text_of(response)
    assert "2行目" in page and "code5" in page and "6桁コードの先頭5桁と一致しません。" in page, page[-1500:]


def test_an_empty_file_gets_a_japanese_message(plan_admin_client, nothing_is_read_or_stored):
    response = import_municipalities(plan_admin_client, b"")
    assert import_field_errors(response) == ["ファイルが空です。"]


def test_a_text_file_named_xlsx_gets_a_japanese_message(plan_admin_client, nothing_is_read_or_stored):
    content = (MUNICIPALITY_HEADERS + "131016,13101,千代田区,チヨダク,区,区部\r\n").encode("cp932")
    response = import_municipalities(plan_admin_client, content, name="区市町村.xlsx", format=XLSX_FORMAT)
    [message] = import_field_errors(response)
    assert message.startswith("ファイルの内容はテキスト（CSV）ですが、形式に「xlsx」が選ばれています。")


def test_an_xlsx_sent_as_csv_gets_a_japanese_message(plan_admin_client, nothing_is_read_or_stored):
    content = write_xlsx([Sheet("区市町村", ["code6"], [["131016"]])])
    response = import_municipalities(plan_admin_client, content, name="区市町村.csv", format=CSV_FORMAT)
    assert import_field_errors(response) == [
        "ファイルの内容は Excel（.xlsx）ですが、形式に「csv」が選ばれています。形式で「xlsx」を選んでください。"
    ]


def test_a_zip_bomb_is_refused_before_it_is_stored_or_parsed(plan_admin_client, nothing_is_read_or_stored):
    from tests.plan.upload_samples import zip_bomb_xlsx

    before = municipalities_state()
    response = import_municipalities(plan_admin_client, zip_bomb_xlsx(), name="区市町村.xlsx", format=XLSX_FORMAT)
    [message] = import_field_errors(response)
    assert message.startswith("圧縮ファイルの展開後のサイズが大きすぎます")
    assert municipalities_state() == before


def test_an_entity_bomb_is_refused_before_it_is_stored_or_parsed(plan_admin_client, nothing_is_read_or_stored):
    from tests.plan.upload_samples import entity_bomb_xlsx

    response = preview_import(plan_admin_client, SimpleUploadedFile("measures.xlsx", entity_bomb_xlsx()))
    [message] = import_field_errors(response)
    assert "DOCTYPE" in message


def test_a_file_over_10_mb_is_refused_before_it_is_stored_or_parsed(plan_admin_client, nothing_is_read_or_stored):
    content = (MUNICIPALITY_HEADERS + "131016,13101,千代田区,チヨダク,区,区部\r\n" * 270_000).encode("cp932")
    assert len(content) > 10 * 1024 * 1024
    response = import_municipalities(plan_admin_client, content)
    [message] = import_field_errors(response)
    assert message.startswith("ファイルが大きすぎます（上限 10 MB、このファイルは ")


@pytest.fixture
def temporary_files(monkeypatch):
    """The paths import-export writes uploads to, to check that a refused one is not left behind."""
    from import_export.tmp_storages import TempFolderStorage

    paths, save = [], TempFolderStorage.save

    def recording(self, data):
        save(self, data)
        paths.append(self.get_full_path())

    monkeypatch.setattr(TempFolderStorage, "save", recording)
    return paths


def test_a_million_cells_are_refused_with_the_row_cap_and_leave_no_file(plan_admin_client, temporary_files):
    import os

    from tests.plan.upload_samples import dense_sheet_xlsx

    before = dict(Measure.objects.values_list("number", "heading"))
    response = preview_import(plan_admin_client, SimpleUploadedFile("measures.xlsx", dense_sheet_xlsx(rows=100_000, columns=10)))
    [message] = import_field_errors(response)
    assert message.startswith("行数が多すぎます（上限 10,000 行）")
    assert_no_traceback(response)
    assert len(temporary_files) == 1 and not os.path.exists(temporary_files[0])
    assert dict(Measure.objects.values_list("number", "heading")) == before


def test_a_file_with_bad_rows_leaves_no_file_but_a_good_one_is_kept_for_the_confirm(plan_admin_client, temporary_files):
    import os

    bad = import_municipalities(plan_admin_client, "コード,名前\r\n131016,千代田区\r\n".encode())
    assert not bad.context.get("confirm_form")
    good = import_municipalities(plan_admin_client, (MUNICIPALITY_HEADERS + "131016,13101,千代田区,チヨダクテスト,区,区部\r\n").encode())
    assert good.context.get("confirm_form")
    assert [os.path.exists(path) for path in temporary_files] == [False, True]
    os.remove(temporary_files[1])


def test_the_import_page_is_in_japanese(plan_admin_client):
    page = text_of(plan_admin_client.get(reverse("admin:municipalities_municipality_import")))
    assert "取り込むファイル" in page and "形式" in page
    assert "Excel（.xlsx）または CSV（UTF-8・Shift_JIS）、10 MB まで。" in page
