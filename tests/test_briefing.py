"""The committee briefing workbook: read back with openpyxl and checked against the database, its
two forms, the command, and who may download it."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.briefing import briefing_workbook
from indicators.computations import compute
from meetings.models import AgendaItem
from municipalities.models import CouncilStatus, PlanStatus
from plan.models import Listing, MeasureProgress, Plan
from plan.progress.services import progress_update, progress_year_start
from tests.html import link_targets
from tests.indicators.helpers import accept
from tests.meetings.factories import MeetingFactory, case_review, provider

YEAR = 2025
FORMULA = '=HYPERLINK("http://x","y")'
REQUEST_TEXT = "秘密の研修日程を教えてほしい"  # stored as typed (after NFKC)
REASON_TEXT = "人員が足りないため策定しない"
CASE_CODE = "CASE-SECRET-0042"
PROVIDER = "シェルターすみれ"
DATA_SHEETS = ["施策の進捗", "指標", "区市町村", "区市町村（集計）", "会議"]


@pytest.fixture
def briefing_data(plan_admin):
    plan = Plan.objects.current()
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    record = MeasureProgress.objects.get(measure__number=86, fiscal_year=YEAR)
    progress_update(
        progress=record,
        expected_version=record.version,
        values={
            "assessment": "delayed",
            "direction": "revise",
            "achievements": FORMULA,
            "issues": "+1 と書いた課題",
        },
        user=plan_admin,
    )
    accept(YEAR, "新宿区", requests_to_metro=REQUEST_TEXT, workers_trained=4)
    accept(
        YEAR,
        "八王子市",
        plan_status=PlanStatus.NOT_PLANNED,
        plan_made_on=None,
        plan_name="",
        plan_period_start=None,
        plan_period_end=None,
        plan_not_planned_reason=REASON_TEXT,
        workers_trained=5,
        requests_to_metro=f"{PROVIDER}の受入枠を増やしてほしい",
    )
    accept(
        YEAR,
        "檜原村",
        council_status=CouncilStatus.NOT_SET_UP,
        council_set_up_on=None,
        council_has_representatives=False,
        council_has_practitioners=False,
        council_representatives_meetings=None,
        council_practitioners_meetings=None,
        council_not_set_up_reason="準備中",
        workers_trained=1,
    )
    provider(name=PROVIDER)
    meeting = MeetingFactory(title=f"{PROVIDER}との連絡会議", date=datetime.date(2025, 11, 5))
    item = AgendaItem.objects.create(meeting=meeting, position=1, title=f"{PROVIDER}の受入状況")
    item.measures.add(*plan.measures.filter(number__in=[86, 5]))
    MeetingFactory(title="第2回 実務者会議", date=datetime.date(2026, 2, 5))
    MeetingFactory(title="前年度の会議", date=datetime.date(2025, 3, 5))  # FY2024: not in the sheet
    case_review(case_code=CASE_CODE, date=datetime.date(2025, 6, 1), woman_attended=True)
    case_review(
        case_code="CASE-OTHER-0001",
        date=datetime.date(2025, 7, 1),
        woman_attended=False,
        absence_reason="health",
    )
    return plan


def load(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def records(worksheet) -> list[dict]:
    """The data rows as {header: value}."""
    rows = list(worksheet.iter_rows(values_only=True))
    headers = rows[0]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def every_cell(workbook):
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            yield from row


def all_text(content: bytes) -> str:
    """Every XML part of the file as text: cells, headers and footers, charts, properties."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(
            archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")
        )


@pytest.fixture
def members(briefing_data):
    return briefing_workbook(fiscal_year=YEAR, form="members", as_of=datetime.date(2026, 7, 1))


@pytest.fixture
def public(briefing_data):
    return briefing_workbook(fiscal_year=YEAR, form="public", as_of=datetime.date(2026, 7, 1))


# --- the sheets against the database --------------------------------------------------------------


def test_the_sheets_and_their_rows(members, briefing_data):
    workbook = load(members)
    assert workbook.sheetnames == ["概要", *DATA_SHEETS]
    assert len(records(workbook["施策の進捗"])) == Listing.objects.filter(measure__plan=briefing_data).count()
    assert len(records(workbook["指標"])) == 6
    assert len(records(workbook["区市町村"])) == 62
    # Two meetings in FY2025, one with an agenda item: one row per agenda item (or meeting).
    assert len(records(workbook["会議"])) == 2


def test_a_measures_assessment_and_the_re_listings(members):
    rows = records(load(members)["施策の進捗"])
    original = [row for row in rows if row["No."] == 86 and not row["再掲"]]
    assert len(original) == 1
    assert original[0]["進捗状況"] == "遅れ"
    assert original[0]["今後の方向性"] == "見直し・改善"
    assert original[0]["事項"] == "女性相談支援センターのDX"
    relisted = [row for row in rows if row["再掲"] == "再掲"]
    assert len(relisted) == Listing.objects.filter(relisted=True).count()
    for row in relisted:
        assert row["再掲元"].endswith(f"No.{row['No.']}")
        assert row["進捗状況"] is None  # counted once, on the original row
    assert [row["No."] for row in rows if not row["再掲"]] == sorted(
        row["No."] for row in rows if not row["再掲"]
    )


def test_an_indicator_value_and_the_fiscal_year_labels(members):
    rows = {row["番号"]: row for row in records(load(members)["指標"])}
    label = "令和7年度（2025年度）"
    assert rows[5][label] == compute(5, YEAR).value == 2  # 新宿区 and 檜原村 have a plan
    assert rows[1][label] == compute(1, YEAR).value == 50  # a share, stored as a number
    assert isinstance(rows[5][label], int | float)
    assert rows[5]["基準値（未設定は空欄）"] is None and rows[5]["目標値（未設定は空欄）"] is None
    assert "令和6年度（2024年度）" in rows[5]


def test_the_indicator_sheet_has_a_native_chart(members):
    with zipfile.ZipFile(io.BytesIO(members)) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 6


def test_municipality_totals_equal_indicators_3_5_6(members):
    workbook = load(members)
    rows = records(workbook["区市町村"])
    assert [row["区市町村"] for row in rows][:2] == ["千代田区", "中央区"]
    assert sum(row["指標⑤に計上（1=計上）"] for row in rows) == compute(5, YEAR).value == 2
    assert sum(row["指標⑥に計上（1=計上）"] for row in rows) == compute(6, YEAR).value == 2
    trained_header = next(header for header in rows[0] if header.startswith("研修を受講した支援員"))
    assert sum(row[trained_header] or 0 for row in rows) == compute(3, YEAR).value == 10
    shinjuku = next(row for row in rows if row["区市町村"] == "新宿区")
    assert shinjuku["常勤の人数"] == 2 and shinjuku["令和7年度の報告の状態"] == "受理"
    totals = {row["区分"]: row for row in records(workbook["区市町村（集計）"])}
    overall = totals["合計（指標の算出値）"]
    assert overall["基本計画を策定（指標⑤）"] == compute(5, YEAR).value
    assert overall["支援調整会議を設置（指標⑥）"] == compute(6, YEAR).value
    assert overall["研修を受講した支援員の実人数（指標③）"] == compute(3, YEAR).value
    assert totals["区市町村計"]["区市町村数"] == 62
    assert sum(totals[region]["区市町村数"] for region in ("区部", "多摩", "島しょ")) == 62


def test_print_settings(members):
    workbook = load(members)
    for worksheet in workbook.worksheets:
        assert worksheet.page_setup.orientation == "landscape", worksheet.title
        assert int(worksheet.page_setup.paperSize) == 9  # A4
        assert worksheet.print_title_rows == "$1:$1"
        assert worksheet.freeze_panes == "A2"
        assert worksheet.auto_filter.ref
        assert "&P" in worksheet.oddFooter.center.text
        assert "令和8年（2026年）7月1日現在" in worksheet.oddFooter.left.text
        assert "令和7年度（2025年度）" in worksheet.oddHeader.center.text


def test_the_overview_states_the_year_and_counts(members):
    rows = records(load(members)["概要"])
    values = {row["項目"]: row["値"] for row in rows}
    assert values["対象年度"] == "令和7年度（2025年度）"
    assert values["受理"] == 3
    assert values["個別ケース検討会議（女性相談支援センター） 開催回数"] == 2
    assert values["うち本人が参加（指標①）"] == 1


# --- safe cells and the two forms ---------------------------------------------------------------


@pytest.mark.parametrize("form", ["members", "public"])
def test_no_cell_is_a_formula_and_text_is_kept_as_typed(briefing_data, form):
    workbook = load(briefing_workbook(fiscal_year=YEAR, form=form))
    assert all(cell.data_type != "f" for cell in every_cell(workbook))
    row = next(row for row in records(workbook["施策の進捗"]) if row["No."] == 86 and not row["再掲"])
    assert row["実績"] == FORMULA
    assert row["課題"] == "+1 と書いた課題"


def test_the_public_form_holds_no_municipal_free_text_no_provider_and_no_case(public):
    text = all_text(public)
    for secret in (REQUEST_TEXT, REASON_TEXT, "準備中", CASE_CODE, "CASE-OTHER-0001", PROVIDER):
        assert secret not in text
    headers = next(load(public)["区市町村"].iter_rows(values_only=True))
    assert "課題・都への要望" not in headers
    meetings = records(load(public)["会議"])
    assert "一時保護委託先（非公開）との連絡会議" in [row["会議名"] for row in meetings]


def test_the_members_form_has_the_requests_but_no_case_code_nor_provider_name(members):
    text = all_text(members)
    assert REQUEST_TEXT in text and REASON_TEXT in text
    assert "一時保護委託先（非公開）の受入枠を増やしてほしい" in text
    for secret in (CASE_CODE, "CASE-OTHER-0001", PROVIDER):
        assert secret not in text


def test_a_fixed_number_of_queries_whatever_the_rows(briefing_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(40) as small:
        briefing_workbook(fiscal_year=YEAR, form="members")
    for number in range(10):
        meeting = MeetingFactory(title=f"追加の会議{number}", date=datetime.date(2025, 9, 1 + number))
        AgendaItem.objects.create(meeting=meeting, position=1, title="議題").measures.add(
            *briefing_data.measures.filter(number__in=[1, 2])
        )
    for name in ("港区", "台東区", "町田市"):
        accept(YEAR, name)
    with django_assert_max_num_queries(len(small.captured_queries)):
        briefing_workbook(fiscal_year=YEAR, form="members")


# --- the command --------------------------------------------------------------------------------


def test_the_command_writes_the_file(briefing_data, tmp_path):
    output = tmp_path / "briefing.xlsx"
    out = io.StringIO()
    call_command(
        "export_briefing", "--fiscal-year", "2025", "--form", "public", "-o", str(output), stdout=out
    )
    assert "書き出しました" in out.getvalue()
    assert load(output.read_bytes()).sheetnames[0] == "概要"


def test_the_command_refuses_a_year_outside_the_plan(db, tmp_path):
    output = tmp_path / "briefing.xlsx"
    with pytest.raises(CommandError, match="計画期間"):
        call_command("export_briefing", "--fiscal-year", "2035", "--form", "members", "-o", str(output))
    assert not output.exists()


# --- downloads -------------------------------------------------------------------------------------


def url(form, year=YEAR):
    return reverse("briefing_download", kwargs={"year": year, "form": form})


@pytest.mark.parametrize("form", ["members", "public"])
def test_anonymous_users_go_to_the_login(client, db, form):
    response = client.get(url(form))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("form", ["members", "public"])
def test_the_secretariat_downloads_both_forms(client, plan_admin, form):
    client.force_login(plan_admin)
    response = client.get(url(form))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert ".xlsx" in response["Content-Disposition"]
    assert load(response.content).sheetnames[0] == "概要"


def test_a_viewer_downloads_the_public_form_only(client, viewer):
    client.force_login(viewer)
    assert client.get(url("public")).status_code == 200
    assert client.get(url("members")).status_code == 403


@pytest.mark.parametrize(
    "who", ["bureau_staff", "municipal_officer", "other_officer", "case_handler", "no_role"]
)
@pytest.mark.parametrize("form", ["members", "public"])
def test_everyone_else_is_refused(db, client, request, who, form):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(form)).status_code == 403


def test_an_unknown_form_or_year_is_not_found(client, plan_admin):
    client.force_login(plan_admin)
    assert client.get(url("secret")).status_code == 404
    assert client.get(url("public", year=2035)).status_code == 404


def test_a_post_is_not_allowed(client, plan_admin):
    client.force_login(plan_admin)
    assert client.post(url("public")).status_code == 405


def test_the_dashboards_link_the_downloads(client, plan_admin, viewer):
    year = Plan.objects.current().current_reporting_year().year
    client.force_login(plan_admin)
    targets = link_targets(client.get(reverse("home")))
    assert url("members", year) in targets and url("public", year) in targets
    client.force_login(viewer)
    targets = link_targets(client.get(reverse("home")))
    assert url("public", year) in targets and url("members", year) not in targets


# --- the writer's additions --------------------------------------------------------------------


def test_the_writer_footer_and_charts_are_optional():
    from plan.common.spreadsheets import Chart, Sheet, write_xlsx

    plain = load(write_xlsx([Sheet(title="表", headers=["年度", "値"], rows=[["2024", 1]])]))
    assert plain["表"].oddFooter.left.text is None
    assert plain["表"].oddFooter.center.text == "&P / &N"
    sheet = Sheet(title="表", headers=["名前", "A", "B"], rows=[["x", 1, 2]], charts=[Chart("図", 0, 2, 3)])
    content = write_xlsx([sheet], footer="令和8年7月1日現在")
    assert load(content)["表"].oddFooter.left.text == "令和8年7月1日現在"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "'表'!$B$2:$C$2" in chart and "'表'!$B$1:$C$1" in chart
