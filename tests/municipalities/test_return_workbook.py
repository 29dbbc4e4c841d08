"""Returns that arrive as Excel (docs/returns.md 「Excelで届いた報告」): the secretariat downloads a
one-municipality template, pre-filled with the return as it stands, and uploads a filled one to
fill that municipality's return — a preview first (changes, or errors at their cells), then saved
as entered by the secretariat on the municipality's behalf, with its history entry.

The workbooks are filled with openpyxl, as someone would in Excel. Hostile files are built as the
upload guard's own tests build them (tests/plan/upload_samples.py)."""

import datetime
import io
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from municipalities import services
from municipalities.models import AnnualReturn, PlanStatus, ReturnState
from municipalities.return_workbook import SESSION_KEY, return_template_workbook
from plan.common.uploads import MB
from tests.html import field_errors, form_value, rows_of, section, select, select_one, text_of
from tests.meetings.factories import OrganizationFactory, provider
from tests.municipalities.factories import (
    YEAR,
    TrainingCourseFactory,
    accepted,
    open_round,
    return_of,
    save,
    submitted,
)
from tests.municipalities.test_secretariat_pages import dangling_references
from tests.plan import upload_samples

pytestmark = pytest.mark.django_db

KEY_COLUMN = 5  # E: the hidden key of each row
ANSWER_COLUMN = 3  # C: 回答


def template_url(annual_return):
    return reverse("municipalities:review_return_template", args=[annual_return.pk])


def upload_url(annual_return):
    return reverse("municipalities:review_return_upload", args=[annual_return.pk])


def review_url(annual_return):
    return reverse("municipalities:review_return", args=[annual_return.pk])


def messages_of(response):
    return [text_of(item) for item in select(response, "ul.messages li")]


def answer_row(worksheet, key) -> int:
    """The row number of the answer whose hidden key is `key` (a field name, course:<id>, meta:…)."""
    found = [row for row in range(1, worksheet.max_row + 1) if worksheet.cell(row, KEY_COLUMN).value == key]
    assert len(found) == 1, f"{len(found)} rows for {key!r}"
    return found[0]


def answer(worksheet, key):
    return worksheet.cell(answer_row(worksheet, key), ANSWER_COLUMN).value


def fill(content: bytes, answers: dict) -> bytes:
    """The workbook with answers typed into column C, as someone would in Excel."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    worksheet = workbook.worksheets[0]
    for key, value in answers.items():
        worksheet.cell(answer_row(worksheet, key), ANSWER_COLUMN).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, annual_return, content, name="新宿区_記入済み.xlsx"):
    return client.post(upload_url(annual_return), {"file": SimpleUploadedFile(name, content)})


def confirm(client, annual_return, preview_page, action="apply"):
    return client.post(
        upload_url(annual_return), {"token": form_value(preview_page, "token"), "action": action}
    )


def state_of(annual_return):
    """What an import would change: the answers, the version, the state, the history, the attendance."""
    annual_return = AnnualReturn.objects.get(pk=annual_return.pk)
    return (
        {name: getattr(annual_return, name) for name in AnnualReturn.ANSWER_FIELDS},
        set(annual_return.council_organizations.values_list("pk", flat=True)),
        annual_return.version,
        annual_return.state,
        annual_return.entered_by_secretariat,
        annual_return.history.count(),
        set(annual_return.course_attendances.values_list("course_id", "persons")),
    )


def change_rows(response):
    """The preview's changes as [label, cell, before, after]."""
    return rows_of(select_one(response, "#workbook-changes"))[1:]


def error_rows(response):
    """The preview's errors as [cell, label, message]."""
    return rows_of(select_one(response, "#workbook-errors table"))[1:]


@pytest.fixture
def round_(plan_admin):
    return open_round(YEAR, user=plan_admin)


@pytest.fixture
def shinjuku(round_):
    return return_of(round_)


@pytest.fixture
def with_last_year(plan_admin, municipal_officer):
    """新宿区's FY2024 return accepted, then the FY2025 round opened: a draft pre-filled from it."""
    accepted(return_of(open_round(2024, user=plan_admin)), municipal_officer, plan_admin)
    return return_of(open_round(YEAR, user=plan_admin))


@pytest.fixture
def courses():
    """Two of the center's courses this year, and one of last year (not on this year's template)."""
    return [
        TrainingCourseFactory(name="新任者研修", start_date=datetime.date(YEAR, 6, 1)),
        TrainingCourseFactory(name="現任者研修", start_date=datetime.date(YEAR, 9, 1)),
        TrainingCourseFactory(name="前年度の研修", fiscal_year=2024, start_date=datetime.date(2024, 6, 1)),
    ]


@pytest.fixture
def template(plan_admin_client, shinjuku, courses):
    response = plan_admin_client.get(template_url(shinjuku))
    assert response.status_code == 200
    return response.content


@pytest.fixture(scope="module")
def zip_bomb():
    return upload_samples.zip_bomb_xlsx()


@pytest.fixture
def parsing_fails(monkeypatch):
    """openpyxl's loader, and reading any member of an archive, fail the test if reached."""

    def fail(*args, **kwargs):
        raise AssertionError("the file was parsed before it was refused")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)
    monkeypatch.setattr(zipfile.ZipFile, "open", fail)


# --- the template -------------------------------------------------------------------------------------


class TestTemplate:
    def test_a_download_named_after_the_municipality_and_year(self, plan_admin_client, shinjuku):
        response = plan_admin_client.get(template_url(shinjuku))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''" + quote("年次報告_新宿区_令和7年度_2025年度.xlsx") in disposition
        assert response["Cache-Control"] == "private, no-store"

    def test_one_row_per_answer_prefilled_from_last_years_accepted_return(
        self, plan_admin_client, with_last_year
    ):
        workbook = openpyxl.load_workbook(
            io.BytesIO(plan_admin_client.get(template_url(with_last_year)).content)
        )
        sheet = workbook.worksheets[0]
        assert sheet.title == "新宿区 令和7年度"
        assert [cell.value for cell in sheet[1]] == ["区分", "項目", "回答", "記入方法", "キー"]
        row = answer_row(sheet, "plan_status")
        assert [sheet.cell(row, column).value for column in (1, 2, 3)] == [
            "市町村基本計画",
            "基本計画の策定状況",
            "策定済み",
        ]
        assert answer(sheet, "plan_made_on") == datetime.datetime(2025, 3, 1)
        assert answer(sheet, "workers_full_time") == 2
        assert answer(sheet, "council_has_representatives") == "はい"
        assert answer(sheet, "council_has_case_review") == "いいえ"
        # The year's own answers are not carried over: empty, for the municipality to give.
        assert answer(sheet, "council_representatives_meetings") is None
        assert answer(sheet, "requests_to_metro") is None
        labels = [sheet.cell(row, 2).value for row in range(2, sheet.max_row + 1)]
        for name in [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]:
            assert str(AnnualReturn._meta.get_field(name).verbose_name) in labels

    def test_notes_say_what_may_be_answered_and_choices_are_lists(self, template):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        note = sheet.cell(answer_row(sheet, "workers_full_time"), 4).value
        assert note.startswith("0以上の整数。空欄は不明・該当なし")
        placement = answer_row(sheet, "workers_placement")
        assert "配置あり、配置なし" in sheet.cell(placement, 4).value
        lists = {
            f"{letter}{row}": validation.formula1
            for validation in sheet.data_validations.dataValidation
            for cell_range in validation.sqref.ranges
            for letter in [cell_range.coord.split(":")[0].rstrip("0123456789")]
            for row in range(cell_range.min_row, cell_range.max_row + 1)
        }
        assert lists[f"C{placement}"] == '"配置あり,配置なし"'  # 都が配置 is for towns and villages only
        assert "策定済み" in lists[f"C{answer_row(sheet, 'plan_status')}"]
        assert lists[f"C{answer_row(sheet, 'council_has_practitioners')}"] == '"はい,いいえ"'

    def test_a_village_may_choose_that_the_metropolis_places_its_workers(self, plan_admin_client, round_):
        village = return_of(round_, "檜原村")
        sheet = openpyxl.load_workbook(io.BytesIO(return_template_workbook(village))).worksheets[0]
        placement = sheet.cell(answer_row(sheet, "workers_placement"), 4).value
        assert "都が配置（町村部の福祉事務所）" in placement

    def test_a_row_per_course_of_the_year(self, template, courses):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        labels = {sheet.cell(answer_row(sheet, f"course:{course.pk}"), 2).value for course in courses[:2]}
        assert all(label.startswith("研修の受講者数：") for label in labels)
        assert any("新任者研修" in label for label in labels)
        assert f"course:{courses[2].pk}" not in [
            sheet.cell(row, KEY_COLUMN).value for row in range(1, sheet.max_row + 1)
        ]

    def test_hidden_cells_name_the_municipality_year_and_version(self, template, shinjuku):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        assert sheet.column_dimensions["E"].hidden
        for key, value in (
            ("meta:municipality", shinjuku.municipality.code),
            ("meta:fiscal_year", YEAR),
            ("meta:version", shinjuku.version),
        ):
            row = answer_row(sheet, key)
            assert sheet.cell(row, ANSWER_COLUMN).value == value
            assert sheet.row_dimensions[row].hidden
        # Only the answers may be typed.
        assert sheet.protection.sheet
        assert not sheet.cell(answer_row(sheet, "plan_status"), ANSWER_COLUMN).protection.locked
        assert sheet.cell(answer_row(sheet, "plan_status"), 2).protection.locked

    def test_organisations_by_name_and_never_a_providers(self, plan_admin, shinjuku):
        named = OrganizationFactory(name="NPO法人 ぱっぷす")
        shelter = provider("シェルターすみれ")
        save(shinjuku, plan_admin, council_organizations=[named.pk, shelter.pk])
        workbook = openpyxl.load_workbook(io.BytesIO(return_template_workbook(return_of(shinjuku.round))))
        assert answer(workbook.worksheets[0], "council_organizations") == "NPO法人 ぱっぷす"
        registry = [row[0].value for row in workbook["団体の一覧"].iter_rows(min_row=2)]
        assert "NPO法人 ぱっぷす" in registry and "シェルターすみれ" not in registry


# --- the round trip -------------------------------------------------------------------------------------


class TestRoundTrip:
    def test_download_fill_preview_confirm(self, plan_admin_client, plan_admin, template, shinjuku, courses):
        OrganizationFactory(name="NPO法人 ぱっぷす")
        filled = fill(
            template,
            {
                "plan_status": "策定中",
                "plan_expected_fiscal_year": "令和9",
                "workers_placement": "配置あり",
                "workers_full_time": "３",  # full-width, as typed with a Japanese input method
                "workers_part_time": 1,
                "workers_trained": 2,
                f"course:{courses[0].pk}": 2,
                "council_status": "設置済み",
                "council_has_practitioners": "はい",
                "council_organizations": "ＮＰＯ法人ぱっぷす、新しい会",
                "requests_to_metro": "研修を増やしてほしい。",
            },
        )
        before = state_of(shinjuku)
        preview = upload(plan_admin_client, shinjuku, filled)
        assert preview.status_code == 200
        assert state_of(shinjuku) == before  # the preview saves nothing
        changes = {row[0]: row[1:] for row in change_rows(preview)}
        assert changes["基本計画の策定状況"] == [f"C{2}", "未回答", "策定中"]
        assert changes["策定予定年度"][1:] == ["（空欄）", "令和9年度（2027年度）"]
        assert changes["常勤の人数（年度末時点）"][1:] == ["不明", "3"]
        assert changes["参加している民間団体"][1:] == ["（なし）", "NPO法人 ぱっぷす"]
        assert changes["一覧にない参加団体の名称"][1:] == ["（空欄）", "新しい会"]
        assert [key for key in changes if key.startswith("研修の受講者数：新任者研修")]
        notes = text_of(select_one(preview, "#workbook-notes"))
        assert "「新しい会」は団体の一覧にないため、「一覧にない参加団体の名称」に入れました" in notes

        done = confirm(plan_admin_client, shinjuku, preview)
        assert done.status_code == 302
        assert done["Location"] == review_url(shinjuku)
        saved = AnnualReturn.objects.get(pk=shinjuku.pk)
        assert saved.plan_status == PlanStatus.IN_PROGRESS
        assert saved.plan_expected_fiscal_year == 2027
        assert (saved.workers_full_time, saved.workers_part_time, saved.workers_trained) == (3, 1, 2)
        assert saved.council_new_organization_names == "新しい会"
        assert list(saved.council_organizations.values_list("name", flat=True)) == ["NPO法人 ぱっぷす"]
        assert list(saved.course_attendances.values_list("course__name", "persons")) == [("新任者研修", 2)]
        assert saved.state == ReturnState.DRAFT
        assert saved.entered_by_secretariat
        assert saved.updated_by == plan_admin
        assert saved.version == before[2] + 1
        latest = saved.history.order_by("-history_date", "-history_id").first()
        assert latest.history_change_reason == "Excelから事務局が代理入力"
        assert latest.history_user == plan_admin
        attendance_history = saved.course_attendances.get().history.get()
        assert attendance_history.history_change_reason == "Excelから事務局が代理入力"
        assert SESSION_KEY not in plan_admin_client.session

        page = plan_admin_client.get(done["Location"])
        assert any(
            message.startswith("Excelの内容を新宿区の令和7年度の報告に取り込みました")
            for message in messages_of(page)
        )
        assert "事務局が代理入力" in text_of(select_one(page, "#return-facts"))

    def test_import_and_submit_on_the_municipalitys_behalf(
        self, plan_admin_client, plan_admin, with_last_year
    ):
        filled = fill(
            plan_admin_client.get(template_url(with_last_year)).content,
            {
                "council_representatives_meetings": 1,
                "council_practitioners_meetings": 4,
                "workers_trained": 4,
            },
        )
        preview = upload(plan_admin_client, with_last_year, filled)
        done = confirm(plan_admin_client, with_last_year, preview, action="apply_submit")
        assert done.status_code == 302
        saved = AnnualReturn.objects.get(pk=with_last_year.pk)
        assert saved.state == ReturnState.SUBMITTED
        assert saved.submitted_by == plan_admin
        assert saved.entered_by_secretariat
        assert saved.transitions.get().action == "提出"
        assert saved.history.filter(history_change_reason="Excelから事務局が代理入力").count() == 1
        assert "代わって提出しました" in messages_of(plan_admin_client.get(done["Location"]))[0]

    def test_an_incomplete_return_is_not_submitted_and_may_still_be_saved(
        self, plan_admin_client, template, shinjuku
    ):
        filled = fill(template, {"plan_status": "策定済み"})  # no date, no council, no workers
        preview = upload(plan_admin_client, shinjuku, filled)
        before = state_of(shinjuku)
        refused = confirm(plan_admin_client, shinjuku, preview, action="apply_submit")
        assert refused.status_code == 400
        assert state_of(shinjuku) == before
        reasons = {row[0]: row[2] for row in rows_of(select_one(refused, "#workbook-save-errors table"))[1:]}
        assert reasons["C3"] == "「策定済み」の場合は策定日を入力してください。"
        # The preview is kept: saving without submitting still works.
        saved = confirm(plan_admin_client, shinjuku, refused, action="apply")
        assert saved.status_code == 302
        assert AnnualReturn.objects.get(pk=shinjuku.pk).plan_status == PlanStatus.MADE

    def test_a_file_that_changes_nothing_offers_nothing_to_confirm(
        self, plan_admin_client, template, shinjuku
    ):
        page = upload(plan_admin_client, shinjuku, template)
        assert page.status_code == 200
        assert "取り込む変更はありません" in text_of(select_one(page, "#workbook-no-changes"))
        assert not select(page, '[name="token"]')
        assert SESSION_KEY not in plan_admin_client.session

    def test_cancel_saves_nothing(self, plan_admin_client, template, shinjuku):
        preview = upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": 5}))
        before = state_of(shinjuku)
        done = confirm(plan_admin_client, shinjuku, preview, action="cancel")
        assert done.status_code == 302
        assert state_of(shinjuku) == before
        assert "取り込みを取り消しました。何も保存していません。" in messages_of(
            plan_admin_client.get(done["Location"])
        )

    def test_a_provider_chosen_by_the_secretariat_is_kept(self, plan_admin_client, plan_admin, shinjuku):
        shelter = provider("シェルターすみれ")
        save(shinjuku, plan_admin, council_organizations=[shelter.pk])
        template = plan_admin_client.get(template_url(shinjuku)).content
        preview = upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": 1}))
        assert [row[0] for row in change_rows(preview)] == ["常勤の人数（年度末時点）"]
        confirm(plan_admin_client, shinjuku, preview)
        assert list(AnnualReturn.objects.get(pk=shinjuku.pk).council_organizations.all()) == [shelter]

    def test_a_template_older_than_the_return_is_flagged(
        self, plan_admin_client, template, shinjuku, municipal_officer
    ):
        written_at = shinjuku.version
        save(shinjuku, municipal_officer, workers_full_time=7)
        preview = upload(plan_admin_client, shinjuku, fill(template, {"workers_part_time": 2}))
        assert preview.status_code == 200
        notice = f"このテンプレートを書き出した後（版 {written_at}）に、報告がシステム上で保存されています（現在 版 {written_at + 1}）"
        assert notice in text_of(select_one(preview, "#workbook-notes"))
        changes = {row[0]: row for row in change_rows(preview)}
        # The file still says 不明 where the officer has since typed 7: shown, and flagged.
        assert changes["常勤の人数（年度末時点） 書き出し後にシステム上で変更あり"][2:] == ["7", "不明"]


# --- errors -----------------------------------------------------------------------------------------------


class TestErrors:
    def test_each_error_at_its_cell_and_nothing_saved(self, plan_admin_client, template, shinjuku):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        cells = {
            key: f"C{answer_row(sheet, key)}"
            for key in (
                "workers_full_time",
                "workers_part_time",
                "plan_status",
                "plan_made_on",
                "council_set_up_on",
                "collaboration_organizations",
            )
        }
        filled = fill(
            template,
            {
                "workers_full_time": -1,
                "workers_part_time": "三人",
                "plan_status": "なし",
                "plan_made_on": datetime.datetime(2026, 5, 1),  # after the year's end
                "council_set_up_on": "2025年2月30日",
                "collaboration_organizations": "どこにもない会",
            },
        )
        before = state_of(shinjuku)
        response = upload(plan_admin_client, shinjuku, filled)
        assert response.status_code == 400
        assert state_of(shinjuku) == before
        errors = {row[0]: row[2] for row in error_rows(response)}
        assert errors[cells["workers_full_time"]] == "0以上の整数で入力してください。"
        assert errors[cells["workers_part_time"]] == "数字（0以上の整数）で入力してください（例：12）。"
        assert errors[cells["plan_status"]].startswith(
            "「なし」は選べません。次のいずれかを選んでください：策定済み、"
        )
        assert errors[cells["plan_made_on"]].startswith(
            "報告対象年度の末日（2026年3月31日）より後の日付は入力できません"
        )
        assert (
            errors[cells["council_set_up_on"]]
            == "日付「2025年2月30日」はありません。正しい日付を入力してください。"
        )
        assert errors[cells["collaboration_organizations"]].startswith(
            "「どこにもない会」は団体の一覧にありません"
        )
        assert "何も保存していません" in text_of(select_one(response, "#workbook-errors"))
        assert not select(response, '[name="token"]')
        assert SESSION_KEY not in plan_admin_client.session

    def test_another_municipalitys_template_is_refused(self, plan_admin_client, round_, shinjuku):
        hachioji = plan_admin_client.get(template_url(return_of(round_, "八王子市"))).content
        before = state_of(shinjuku)
        response = upload(plan_admin_client, shinjuku, fill(hachioji, {"workers_full_time": 3}))
        assert response.status_code == 400
        assert state_of(shinjuku) == before
        [message] = field_errors(response, "file")
        assert message.startswith(
            "このファイルは八王子市（団体コード 132012）の報告のテンプレートです。新宿区の報告には取り込めません。"
        )

    def test_another_years_template_is_refused(self, plan_admin_client, plan_admin, shinjuku):
        last_year = return_of(open_round(2024, user=plan_admin))
        content = plan_admin_client.get(template_url(last_year)).content
        response = upload(plan_admin_client, shinjuku, content)
        assert response.status_code == 400
        [message] = field_errors(response, "file")
        assert message.startswith(
            "このファイルは令和6年度（2024年度）の報告のテンプレートです。令和7年度（2025年度）の報告には取り込めません。"
        )

    def test_a_workbook_that_is_no_template_is_refused(self, plan_admin_client, shinjuku):
        response = upload(plan_admin_client, shinjuku, upload_samples.workbook_bytes())
        assert response.status_code == 400
        assert field_errors(response, "file")[0].startswith(
            "このファイルは年次報告のテンプレートではありません"
        )

    def test_a_text_file_is_refused_by_the_upload_guard(self, plan_admin_client, shinjuku):
        response = upload(plan_admin_client, shinjuku, "区分,項目,回答\n".encode(), name="報告.xlsx")
        assert response.status_code == 400
        assert field_errors(response, "file")[0].startswith(
            "Excel ファイル（.xlsx）として読み込めませんでした。ファイルの内容はテキスト"
        )

    def test_an_oversized_file_is_refused_before_parsing(self, plan_admin_client, shinjuku, parsing_fails):
        response = upload(plan_admin_client, shinjuku, b"PK\x03\x04" + b"\0" * (10 * MB))
        assert response.status_code == 400
        assert field_errors(response, "file")[0].startswith("ファイルが大きすぎます（上限 10 MB")

    def test_a_zip_bomb_is_refused_before_parsing(self, plan_admin_client, shinjuku, zip_bomb, parsing_fails):
        response = upload(plan_admin_client, shinjuku, zip_bomb)
        assert response.status_code == 400
        assert field_errors(response, "file")[0].startswith("圧縮ファイルの展開後のサイズが大きすぎます")

    def test_an_entity_bomb_is_refused(self, plan_admin_client, shinjuku):
        response = upload(plan_admin_client, shinjuku, upload_samples.entity_bomb_xlsx())
        assert response.status_code == 400
        assert "DOCTYPE（エンティティ）宣言があるため受け付けられません" in field_errors(response, "file")[0]

    def test_the_page_with_its_errors_names_only_real_ids(self, plan_admin_client, template, shinjuku):
        pages = [
            plan_admin_client.post(upload_url(shinjuku), {}),
            upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": -1})),
        ]
        for page in pages:
            assert page.status_code == 400
            assert dangling_references(page) == []
        assert field_errors(pages[0], "file") == ["ファイルを選んでください。"]
        assert "10 MB まで。" in text_of(select_one(pages[0], "#id_file_helptext"))


# --- locked returns and conflicts ---------------------------------------------------------------------------


class TestLockedAndConflicts:
    def test_a_submitted_return_is_refused_before_reading(
        self, plan_admin_client, template, shinjuku, municipal_officer, monkeypatch
    ):
        submitted(shinjuku, municipal_officer)
        page = plan_admin_client.get(upload_url(shinjuku))
        assert page.status_code == 200
        refusal = text_of(select_one(page, "#workbook-refusal"))
        assert "提出済みのため編集できません（事務局の確認待ち）。" in refusal
        assert not select(page, "#workbook-upload-form")
        before = state_of(shinjuku)
        filled = fill(template, {"workers_full_time": 9})
        monkeypatch.setattr(
            openpyxl, "load_workbook", lambda *a, **k: pytest.fail("a locked return's file was read")
        )
        response = upload(plan_admin_client, shinjuku, filled)
        assert response.status_code == 409
        assert state_of(shinjuku) == before

    def test_locked_between_preview_and_confirm(
        self, plan_admin_client, plan_admin, template, shinjuku, municipal_officer
    ):
        preview = upload(plan_admin_client, shinjuku, fill(template, {"requests_to_metro": "Excelから"}))
        assert preview.status_code == 200
        accepted(shinjuku, municipal_officer, plan_admin)
        before = state_of(shinjuku)
        done = confirm(plan_admin_client, shinjuku, preview)
        assert done.status_code == 302
        assert state_of(shinjuku) == before
        [message] = messages_of(plan_admin_client.get(done["Location"]))
        assert message == (
            "取り込めませんでした（何も保存していません）。受理済みのため編集できません。修正が必要な場合は事務局に連絡してください。"
        )

    def test_a_closed_round_is_refused(self, plan_admin_client, plan_admin, round_, shinjuku):
        services.return_round_close(round=round_, user=plan_admin)
        page = plan_admin_client.get(upload_url(shinjuku))
        assert "この年度の提出受付は終了しました。" in text_of(select_one(page, "#workbook-refusal"))

    def test_a_save_between_preview_and_confirm_is_a_conflict(
        self, plan_admin_client, template, shinjuku, municipal_officer
    ):
        preview = upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": 5}))
        save(shinjuku, municipal_officer, workers_part_time=4)
        before = state_of(shinjuku)
        done = confirm(plan_admin_client, shinjuku, preview)
        assert done.status_code == 302
        assert done["Location"] == upload_url(shinjuku)
        assert state_of(shinjuku) == before
        assert AnnualReturn.objects.get(pk=shinjuku.pk).workers_full_time is None
        [message] = messages_of(plan_admin_client.get(done["Location"]))
        assert message.startswith(
            f"取り込みを中止しました（何も保存していません）。この報告は、あなたが編集を始めた後に{municipal_officer}さんが"
        )
        assert "変更された項目：非常勤の人数（年度末時点）。" in message
        assert SESSION_KEY not in plan_admin_client.session

    def test_a_stale_or_foreign_token_applies_nothing(self, plan_admin_client, template, round_, shinjuku):
        upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": 5}))
        before = state_of(shinjuku)
        done = plan_admin_client.post(upload_url(shinjuku), {"token": "forged", "action": "apply"})
        assert done.status_code == 302
        other = return_of(round_, "八王子市")
        plan_admin_client.post(
            upload_url(other), {"token": plan_admin_client.session[SESSION_KEY]["token"], "action": "apply"}
        )
        assert state_of(shinjuku) == before
        assert AnnualReturn.objects.get(pk=other.pk).version == other.version
        assert "取り込む内容が見つかりません" in messages_of(plan_admin_client.get(done["Location"]))[0]


# --- who may ---------------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(
        "role", ["municipal_officer", "other_officer", "viewer", "bureau_staff", "case_handler", "no_role"]
    )
    def test_nobody_but_the_secretariat(self, request, role, client, plan_admin_client, template, shinjuku):
        filled = fill(template, {"workers_full_time": 3})
        preview = upload(plan_admin_client, shinjuku, filled)
        token = form_value(preview, "token")
        before = state_of(shinjuku)
        client.force_login(request.getfixturevalue(role))  # the officer of 新宿区 itself included
        assert client.get(template_url(shinjuku)).status_code == 403
        assert client.get(upload_url(shinjuku)).status_code == 403
        assert upload(client, shinjuku, filled).status_code == 403
        assert client.post(upload_url(shinjuku), {"token": token, "action": "apply"}).status_code == 403
        assert state_of(shinjuku) == before

    def test_anonymous_users_are_sent_to_sign_in(self, shinjuku):
        client = Client()
        template = return_template_workbook(shinjuku)
        for response in (
            client.get(template_url(shinjuku)),
            client.get(upload_url(shinjuku)),
            upload(client, shinjuku, template),
        ):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def test_an_unknown_return_is_404(self, plan_admin_client, shinjuku):
        assert (
            plan_admin_client.get(reverse("municipalities:review_return_template", args=[999999])).status_code
            == 404
        )
        assert (
            plan_admin_client.get(reverse("municipalities:review_return_upload", args=[999999])).status_code
            == 404
        )

    def test_posts_need_the_csrf_token(self, plan_admin, plan_admin_client, template, shinjuku):
        preview = upload(plan_admin_client, shinjuku, fill(template, {"workers_full_time": 3}))
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(plan_admin)
        before = state_of(shinjuku)
        assert upload(strict, shinjuku, template).status_code == 403
        assert (
            strict.post(
                upload_url(shinjuku), {"token": form_value(preview, "token"), "action": "apply"}
            ).status_code
            == 403
        )
        assert state_of(shinjuku) == before


class TestReviewPageLinks:
    def test_the_review_page_links_to_the_template_and_the_upload(self, plan_admin_client, shinjuku):
        page = plan_admin_client.get(review_url(shinjuku))
        links = {text_of(link): link.get("href") for link in select(section(page, "Excelで届いた報告"), "a")}
        assert links["テンプレートをダウンロード"] == template_url(shinjuku)
        assert links["Excelで取込む"] == upload_url(shinjuku)


class TestFormulaSafety:
    def test_text_that_looks_like_a_formula_stays_text_both_ways(
        self, plan_admin_client, plan_admin, shinjuku
    ):
        save(shinjuku, plan_admin, requests_to_metro='=HYPERLINK("http://example.com")')
        template = plan_admin_client.get(template_url(shinjuku)).content
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        row = answer_row(sheet, "requests_to_metro")
        assert sheet.cell(row, ANSWER_COLUMN).data_type == "s"
        assert sheet.cell(row, ANSWER_COLUMN).value == '=HYPERLINK("http://example.com")'
        page = upload(plan_admin_client, shinjuku, template)
        assert "取り込む変更はありません" in text_of(select_one(page, "#workbook-no-changes"))


class TestFillIn:
    def test_a_choice_typed_outside_the_list_is_refused_by_excel_in_japanese(self, template):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        cell = sheet.cell(answer_row(sheet, "plan_status"), ANSWER_COLUMN)
        (validation,) = [v for v in sheet.data_validations.dataValidation if cell.coordinate in v.sqref]
        assert validation.type == "list" and validation.showErrorMessage and validation.errorStyle == "stop"
        assert "基本計画の策定状況" in validation.error and "策定済み" in validation.error
        assert validation.showInputMessage and "▼" in validation.prompt
        # No list on the hidden identity rows; they stay locked.
        for key in ("meta:municipality", "meta:fiscal_year", "meta:version"):
            meta = sheet.cell(answer_row(sheet, key), ANSWER_COLUMN)
            assert meta.protection.locked
            assert not [v for v in sheet.data_validations.dataValidation if meta.coordinate in v.sqref]

    def test_every_answer_cell_and_only_those_can_be_typed_in(self, template):
        sheet = openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]
        for row in range(2, sheet.max_row + 1):
            key = sheet.cell(row, KEY_COLUMN).value
            for column in range(1, 6):
                expected_locked = column != ANSWER_COLUMN or key.startswith("meta:")
                assert sheet.cell(row, column).protection.locked == expected_locked, (key, column)

    def test_the_other_sheets_are_read_only_and_the_guide_explains_the_protection(self, template):
        workbook = openpyxl.load_workbook(io.BytesIO(template))
        assert workbook.sheetnames == ["新宿区 令和7年度", "団体の一覧", "記入方法"]
        assert all(sheet.protection.sheet and not sheet.protection.password for sheet in workbook.worksheets)
        guide = {row[0]: row[1] for row in workbook["記入方法"].iter_rows(min_row=2, values_only=True)}
        assert "パスワード" in guide["シートの保護"] and "一覧" in guide["選択肢"]
