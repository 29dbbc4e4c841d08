"""The admin's import/export of reference data: xlsx out through our writer, preview before import,
all or nothing, and a history entry under the importer's name."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plan.models import Measure
from plan.spreadsheets import Sheet, write_xlsx


@pytest.fixture
def admin_client(client, plan_admin):
    client.force_login(plan_admin)
    return client


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


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def preview_import(client, upload):
    return client.post(reverse("admin:plan_measure_import"), {"format": "0", "resource": "0", "import_file": upload})


def test_export_writes_every_measure_and_keeps_a_formula_like_heading_as_text(admin_client):
    Measure.objects.filter(number=3).update(heading="=HYPERLINK(\"http://example.com\")")
    sheet = export_measures(admin_client).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("No.", "事項")
    assert len(rows) == 1 + 120
    cell = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "3")[1]
    assert cell.value == "=HYPERLINK(\"http://example.com\")"
    assert cell.data_type == "s"


def test_an_import_is_previewed_then_applied_with_history(admin_client, plan_admin):
    measure = Measure.objects.get(number=15)
    preview = preview_import(admin_client, measures_file([[15, "ワンストップ支援事業の実施（改）", False, measure.content]]))
    assert preview.status_code == 200
    assert "プレビュー" in text_of(preview) and "（改）" in text_of(preview)
    assert Measure.objects.get(number=15).heading == "ワンストップ支援事業の実施"  # nothing yet

    form = {
        name: preview.context["confirm_form"][name].value()
        for name in ("import_file_name", "original_file_name", "format", "resource")
    }
    response = admin_client.post(reverse("admin:plan_measure_process_import"), form)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.heading == "ワンストップ支援事業の実施（改）"
    latest = measure.history.latest()
    assert latest.history_user == plan_admin and latest.heading == measure.heading


def test_a_file_with_an_unknown_measure_number_changes_nothing(admin_client):
    before = dict(Measure.objects.values_list("number", "heading"))
    preview = preview_import(
        admin_client,
        measures_file([[15, "変更したい事項", False, Measure.objects.get(number=15).content], [999, "新しい施策", False, "内容"]]),
    )
    assert "No.「999」の施策は計画にありません。" in text_of(preview)
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert dict(Measure.objects.values_list("number", "heading")) == before


def test_an_empty_heading_is_refused_with_its_row(admin_client):
    preview = preview_import(admin_client, measures_file([[16, "", False, Measure.objects.get(number=16).content]]))
    page = text_of(preview)
    assert "このフィールドは空ではいけません。" in page, page[-1500:]
    assert Measure.objects.get(number=16).heading == "関係機関が連携した被害者の回復支援"
