"""The spreadsheet round trip: export a year, edit it in Excel, preview, apply."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plan.models import Department, MeasureProgress, ProgressAssessment, ProgressDirection
from plan.progress.services import progress_update
from plan.progress.spreadsheet import progress_import_apply, progress_import_parse
from tests.html import form_value, select, text_of

GOOD = {"assessment": "on_track", "direction": "continue", "achievements": "実施した"}
HEADERS = [
    "No.",
    "事項",
    "所管（参考）",
    "進捗状況",
    "今後の方向性",
    "実績",
    "課題",
    "今後の取組",
    "年度",
    "版",
]


@pytest.fixture
def year_2025(year_2025, plan_admin):
    # A few records already filled in, so that the file has text both ways.
    for number in (1, 2, 86):
        progress_update(progress=record(number), expected_version=1, values=GOOD, user=plan_admin)
    return 2025


def record(number):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=2025)


def export(client, **params):
    response = client.get(reverse("plan:progress_export", args=[2025]), params)
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def as_upload(workbook, name="進捗_令和7年度.xlsx"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def row_of(sheet, number):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == number:
            return row
    raise AssertionError(f"No.{number} not in the sheet")


def set_cell(sheet, number, header, value):
    row_of(sheet, number)[HEADERS.index(header)].value = value


def upload(client, workbook, name="進捗_令和7年度.xlsx"):
    return client.post(reverse("plan:progress_import"), {"file": as_upload(workbook, name)})


def confirm(client, response, **extra):
    token = form_value(response, "token")
    return client.post(
        reverse("plan:progress_import_confirm"), {"token": token, "apply": "", **extra}, follow=True
    )


def state():
    return list(
        MeasureProgress.objects.order_by("pk").values_list(
            "pk", "version", "assessment", "direction", "achievements", "issues", "next_steps"
        )
    ), MeasureProgress.history.count()


class TestExport:
    def test_it_has_the_plans_numbering_japanese_headers_and_versions(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        sheet = export(client).worksheets[0]
        assert [cell.value for cell in sheet[1]] == HEADERS
        assert [row[0].value for row in sheet.iter_rows(min_row=2)] == list(range(1, 121))
        row = row_of(sheet, 86)
        assert [c.value for c in row] == [
            86,
            "女性相談支援センターのDX",
            "福祉局",
            "順調",
            "継続",
            "実施した",
            None,
            None,
            2025,
            2,
        ]
        assert row_of(sheet, 111)[HEADERS.index("版")].value == 1

    def test_one_departments_rows_only(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        police = Department.objects.get(name="警視庁")
        sheet = export(client, department=police.pk).worksheets[0]
        assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [112, 113, 119, 120]


class TestRoundTrip:
    def test_export_and_import_without_edits_reports_zero_changes(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        before = state()
        response = upload(client, export(client))
        assert response.status_code == 200
        page = text_of(response)
        assert "読み込んだ行 120 行：変更 0 行（セル 0 件）、変更なし 120 行、競合 0 行、エラー 0 件" in page
        assert "取り込む変更はありません。" in page and not select(response, 'button[name="apply"]')
        assert state() == before

    def test_changed_cells_in_three_rows_make_three_history_entries(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        sheet = workbook.worksheets[0]
        set_cell(sheet, 86, "実績", "新システムの設計を完了")
        set_cell(sheet, 111, "進捗状況", "概ね順調")
        set_cell(sheet, 111, "今後の方向性", "継続")
        set_cell(sheet, 111, "実績", "全校で実施")
        set_cell(sheet, 2, "課題", "巡回の人手")
        # No. 111 was blank, so it needs three cells to become a valid record: 5 cells in 3 rows.
        response = upload(client, workbook)
        page = text_of(response)
        assert "変更 3 行（セル 5 件）" in page
        assert "実施した 新システムの設計を完了" in page and "（空欄） 全校で実施" in page
        history_before = MeasureProgress.history.count()
        done = confirm(client, response)
        assert "3 件の施策の進捗を取り込みました（変更したセル 5 件）" in text_of(done)
        assert MeasureProgress.history.count() == history_before + 3
        assert record(86).achievements == "新システムの設計を完了" and record(86).version == 3
        assert (record(111).assessment, record(111).achievements) == ("mostly_on_track", "全校で実施")
        assert record(2).issues == "巡回の人手"
        for number in (86, 111, 2):
            entry = record(number).history.order_by("-history_date", "-history_id").first()
            assert entry.history_user == plan_admin
            assert entry.history_change_reason == "Excel取込（進捗_令和7年度.xlsx）"

    def test_export_change_three_cells_import_gives_exactly_three_changes(
        self, client, plan_admin, year_2025
    ):
        client.force_login(plan_admin)
        workbook = export(client)
        sheet = workbook.worksheets[0]
        set_cell(sheet, 1, "実績", "一")
        set_cell(sheet, 2, "課題", "二")
        set_cell(sheet, 86, "今後の取組", "三")
        before = MeasureProgress.history.count()
        response = upload(client, workbook)
        assert "変更 3 行（セル 3 件）、変更なし 117 行、競合 0 行、エラー 0 件" in text_of(response)
        confirm(client, response)
        assert MeasureProgress.history.count() == before + 3
        assert (record(1).achievements, record(2).issues, record(86).next_steps) == ("一", "二", "三")

    def test_a_partial_file_is_fine(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        sheet = workbook.worksheets[0]
        set_cell(sheet, 2, "実績", "部分ファイルの実績")
        sheet.delete_rows(4, 118)  # keep the header, No. 1 and No. 2
        response = upload(client, workbook)
        assert "読み込んだ行 2 行：変更 1 行" in text_of(response)
        confirm(client, response)
        assert record(2).achievements == "部分ファイルの実績"


class TestConflicts:
    def test_a_row_changed_in_the_system_after_export_is_shown_and_not_applied(
        self, client, plan_admin, bureau_staff, year_2025
    ):
        client.force_login(plan_admin)
        workbook = export(client)
        sheet = workbook.worksheets[0]
        set_cell(sheet, 86, "実績", "ファイルで書いた実績")
        set_cell(sheet, 1, "課題", "ファイルで書いた課題")
        # Meanwhile bureau staff update No. 86 in the browser.
        progress_update(
            progress=record(86),
            expected_version=2,
            values=GOOD | {"achievements": "画面で書いた実績"},
            user=bureau_staff,
        )

        response = upload(client, workbook)
        page = text_of(response)
        assert "競合 1 行" in page
        assert "87行目 No.86 女性相談支援センターのDX：ファイルの版 2、現在の版 3" in page
        assert "実施した 画面で書いた実績" in page  # what changed in the system since the export
        assert "競合する 1 行を除いて取り込む" in page

        # Without saying "apply the rest", nothing happens.
        token = form_value(response, "token")
        refused = client.post(reverse("plan:progress_import_confirm"), {"token": token}, follow=True)
        assert "競合する行があります" in text_of(refused)
        assert record(1).issues == ""

        done = confirm(client, upload(client, workbook), skip_conflicts="1")
        assert "競合した 1 行は取り込んでいません" in text_of(done)
        assert record(86).achievements == "画面で書いた実績"
        assert record(1).issues == "ファイルで書いた課題"

    def test_cancelling_changes_nothing(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 1, "課題", "取り消す")
        response = upload(client, workbook)
        before = state()
        token = form_value(response, "token")
        done = client.post(
            reverse("plan:progress_import_confirm"), {"token": token, "cancel": ""}, follow=True
        )
        assert "取り込みを取り消しました。何も変更していません。" in text_of(done)
        assert state() == before

    def test_a_change_between_preview_and_confirm_stops_the_whole_import(
        self, client, plan_admin, bureau_staff, year_2025
    ):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 1, "課題", "ファイルの課題")
        set_cell(workbook.worksheets[0], 86, "課題", "ファイルの課題")
        response = upload(client, workbook)
        progress_update(
            progress=record(86), expected_version=2, values=GOOD | {"issues": "画面の課題"}, user=bureau_staff
        )
        done = confirm(client, response)
        assert "取り込みを中止しました" in text_of(done)
        assert record(1).issues == "" and record(86).issues == "画面の課題"


class TestBadFiles:
    def assert_refused(self, client, workbook_or_upload, *messages, name="進捗.xlsx"):
        before = state()
        if isinstance(workbook_or_upload, SimpleUploadedFile):
            response = client.post(reverse("plan:progress_import"), {"file": workbook_or_upload})
        else:
            response = upload(client, workbook_or_upload, name)
        assert response.status_code == 400
        page = text_of(response)
        for message in messages:
            assert message in page
        assert not select(response, '[name="token"]')  # nothing to confirm
        assert state() == before
        return page

    def test_one_bad_row_blocks_the_whole_file(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        sheet = workbook.worksheets[0]
        set_cell(sheet, 1, "課題", "正しい変更")
        set_cell(sheet, 5, "進捗状況", "とても順調")
        page = self.assert_refused(client, workbook, "エラーのある行があるため、このファイルは取り込めません")
        assert (
            "6行目 5 進捗状況 「とても順調」は進捗状況に使えません。次のいずれかを入力してください：順調、概ね順調、遅れ、未着手、完了"
            in page
        )

    def test_a_measure_number_that_does_not_exist(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 120, "No.", 121)
        self.assert_refused(client, workbook, "121行目 121 No. No.121 の施策は計画にありません。")

    def test_an_empty_required_column(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 3, "版", None)
        set_cell(workbook.worksheets[0], 7, "No.", None)
        self.assert_refused(client, workbook, "4行目 3 版 版が空欄です。", "8行目 No. No. が空欄です。")

    def test_a_missing_column(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        workbook.worksheets[0].delete_cols(HEADERS.index("版") + 1)
        self.assert_refused(client, workbook, "見出し行（1行目）に「版」の列がありません。")

    def test_a_change_that_breaks_the_rules(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 86, "実績", None)  # 順調 with no achievements
        self.assert_refused(client, workbook, "87行目 86 実績 実績を入力してください")

    def test_a_file_that_is_not_xlsx(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        self.assert_refused(
            client,
            SimpleUploadedFile("進捗.xlsx", "No.,実績\n1,x\n".encode()),
            "Excel ファイル（.xlsx）として読み込めませんでした。",
        )
        # Judged by the content, not the name: a CSV is refused whatever it is called.
        self.assert_refused(
            client, SimpleUploadedFile("進捗.csv", b"No.,x\n"), "ファイルの内容はテキスト（CSV など）です。"
        )

    def test_a_year_that_has_not_been_started(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        for row in workbook.worksheets[0].iter_rows(min_row=2):
            row[HEADERS.index("年度")].value = 2027
        self.assert_refused(client, workbook, "令和9年度（2027年度）の進捗の記録はありません")

    def test_a_changed_department_cell_is_not_imported_and_says_so(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        workbook = export(client)
        set_cell(workbook.worksheets[0], 86, "所管（参考）", "教育庁")
        response = upload(client, workbook)
        assert "87行目（No.86）：所管の列は取り込みません。" in text_of(response)
        assert "変更 0 行" in text_of(response)
        assert record(86).department_names == "福祉局"


# --- a workbook made to be filled in: lists, protection, instructions -------------------------------------


def cell_of(sheet, number, header):
    return row_of(sheet, number)[HEADERS.index(header)]


def list_validation_of(sheet, cell):
    """The list validation that covers `cell`, or None."""
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "list" and cell.coordinate in validation.sqref:
            return validation
    return None


class TestFillIn:
    def test_coded_answers_are_chosen_from_a_list_of_their_labels(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        sheet = export(client).worksheets[0]
        for header, labels in (
            ("進捗状況", ProgressAssessment.labels),
            ("今後の方向性", ProgressDirection.labels),
        ):
            for number in (1, 86, 120):
                validation = list_validation_of(sheet, cell_of(sheet, number, header))
                assert validation is not None, (header, number)
                assert validation.formula1 == '"' + ",".join(labels) + '"'
                assert validation.showErrorMessage and validation.errorStyle == "stop"
                assert header in validation.error and all(label in validation.error for label in labels)
            assert list_validation_of(sheet, sheet[1][HEADERS.index(header)]) is None  # not the header
        # Free text has no list.
        assert list_validation_of(sheet, cell_of(sheet, 86, "実績")) is None

    def test_only_the_columns_to_fill_in_can_be_typed_in(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        sheet = export(client).worksheets[0]
        assert sheet.protection.sheet and not sheet.protection.password
        editable = {"進捗状況", "今後の方向性", "実績", "課題", "今後の取組"}
        for number in (1, 86, 120):
            for header in HEADERS:
                assert cell_of(sheet, number, header).protection.locked == (header not in editable), header
        assert all(cell.protection.locked for cell in sheet[1])  # the header row

    def test_the_instructions_sheet_explains_the_lists_and_the_protection(
        self, client, plan_admin, year_2025
    ):
        client.force_login(plan_admin)
        workbook = export(client)
        assert workbook.sheetnames[1] == "記入方法"
        guide = {row[0]: row[1] for row in workbook["記入方法"].iter_rows(min_row=2, values_only=True)}
        assert "概ね順調" in guide["進捗状況"] and "一覧" in guide["進捗状況"]
        assert "見直し・改善" in guide["今後の方向性"]
        assert "パスワード" in guide["シートの保護"]
        assert "変更できません" in guide["No.・年度・版"]
        assert workbook["記入方法"].protection.sheet

    def test_filling_in_the_allowed_cells_imports_through_the_services(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        response = client.get(reverse("plan:progress_export", args=[2025]))
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = workbook.worksheets[0]
        edits = {
            (111, "進捗状況"): "順調",
            (111, "今後の方向性"): "拡充",
            (111, "実績"): "全校で実施した",
            (86, "課題"): "担い手の確保",
        }
        for (number, header), value in edits.items():
            cell = cell_of(sheet, number, header)
            assert not cell.protection.locked  # what a person with Excel can change
            if header in ("進捗状況", "今後の方向性"):
                assert value in list_validation_of(sheet, cell).formula1
            cell.value = value
        content = as_upload(workbook).read()

        plan = record(111).measure.plan
        preview = progress_import_parse(file=content, plan=plan, user=plan_admin, filename="記入済み.xlsx")
        assert preview.errors == [] and preview.conflicts == []
        assert sorted(update.number for update in preview.updates) == [86, 111]
        assert progress_import_apply(data=preview.to_session(), user=plan_admin) == (2, 4)
        assert (record(111).assessment, record(111).direction, record(111).achievements) == (
            "on_track",
            "expand",
            "全校で実施した",
        )
        assert record(86).issues == "担い手の確保"
