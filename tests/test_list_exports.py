"""The list exports (issue 12 item 6): progress, returns, meetings and organisations as xlsx and
CSV, read back and checked against the database; scoped to the user who downloads; filters and
as-of date stated; formula-safe; a fixed number of queries."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from meetings.access import HIDDEN_PROVIDER_NAME
from meetings.models import Organization
from municipalities.models import AnnualReturn, ReturnState
from plan.models import Listing, MeasureProgress
from plan.progress.services import progress_update, progress_year_start
from tests.html import link_targets, select, text_of, texts_of
from tests.meetings.factories import (
    MeetingFactory,
    OrganizationFactory,
    committee,
    committee_meeting,
    provider,
)
from tests.municipalities.factories import YEAR, open_round, return_of, save, submitted

HYPERLINK = '=HYPERLINK("https://example.com/","開く")'
PROVIDER = "シェルターすみれ"
RETURN_TEXT = "新宿区の都への要望 相談員の増員を希望する"
OTHER_RETURN_TEXT = "八王子市の都への要望 研修の回数"

PROGRESS = reverse("plan:progress_list_export")
MEETINGS = reverse("meetings:meeting_list_export")
ORGANIZATIONS = reverse("meetings:organization_list_export")
MINE = reverse("municipalities:officer_returns_export")


def round_url(year=YEAR):
    return reverse("municipalities:review_round_export", kwargs={"year": year})


# --- reading the files back ----------------------------------------------------------------------


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    assert response["Cache-Control"] == "private, no-store"
    return response


def workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def data_rows(response):
    """The data sheet's header and records (values as stored)."""
    book = workbook(response)
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def records(response):
    headers, rows = data_rows(response)
    return [dict(zip(headers, row, strict=False)) for row in rows]


def conditions(response):
    sheet = workbook(response)["条件"]
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def csv_lines(response):
    """(first line, header, records) of a CSV download; it must be UTF-8 with BOM."""
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    return lines[0][0], lines[1], lines[2:]


def every_cell(response) -> str:
    """Every cell of every sheet (or the whole CSV), with the header and footer, as one text."""
    if response["Content-Type"].startswith("text/csv"):
        return response.content.decode("utf-8-sig")
    parts = []
    for sheet in workbook(response).worksheets:
        parts += [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
        parts += [sheet.oddHeader.center.text or "", sheet.oddFooter.left.text or ""]
    return "\n".join(parts)


def assert_no_formula(response):
    for sheet in workbook(response).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


# --- data ------------------------------------------------------------------------------------------


def the_provider():
    """The temporary-protection provider whose name must never reach a viewer (made once)."""
    return Organization.objects.filter(name=PROVIDER).first() or provider(PROVIDER)


@pytest.fixture
def progress_2025(plan_admin):
    from plan.models import Plan

    the_provider()
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    record = MeasureProgress.objects.get(measure__number=86, fiscal_year=2025)
    progress_update(
        progress=record,
        expected_version=record.version,
        values={
            "assessment": "on_track",
            "direction": "continue",
            "achievements": HYPERLINK,
            "issues": f"{PROVIDER}との調整",
        },
        user=plan_admin,
    )
    return 2025


@pytest.fixture
def returns_2025(municipal_officer, other_officer):
    the_provider()
    round_ = open_round(YEAR)
    submitted(return_of(round_, "新宿区"), municipal_officer, requests_to_metro=f"{RETURN_TEXT} {PROVIDER}")
    save(
        return_of(round_, "八王子市"), other_officer, requests_to_metro=OTHER_RETURN_TEXT, workers_full_time=5
    )
    return round_


# --- the progress list -----------------------------------------------------------------------------


class TestProgress:
    def test_xlsx_holds_the_lists_rows_as_the_database_has_them(self, client, plan_admin, progress_2025):
        client.force_login(plan_admin)
        response = download(client, PROGRESS, year=2025)
        rows = records(response)
        assert len(rows) == 138  # 120 measures and their 18 re-listings, as the list shows
        originals = [row for row in rows if row["再掲"] != "再掲"]
        assert [row["No."] for row in originals] == list(range(1, 121))
        row = next(row for row in originals if row["No."] == 86)
        assert (
            row["進捗状況"]
            == MeasureProgress.objects.get(measure__number=86, fiscal_year=2025).get_assessment_display()
        )
        assert row["実績"] == HYPERLINK  # kept as typed, and text
        assert isinstance(row["基本目標"], int) and isinstance(row["最終更新日時"], datetime.datetime)
        assert_no_formula(response)
        book = workbook(response)
        assert book.worksheets[0].title == "施策の進捗"
        assert "現在" in book.worksheets[0].oddFooter.left.text
        assert "令和7年度" in book.worksheets[0].oddHeader.center.text
        stated = conditions(response)
        assert stated["絞り込み：年度"] == "令和7年度（2025年度）"
        assert [key for key in stated if key.startswith("絞り込み")] == ["絞り込み：年度"]
        assert not book.worksheets[0].merged_cells.ranges

    def test_csv_has_a_bom_japanese_intact_and_formulas_as_text(self, client, plan_admin, progress_2025):
        client.force_login(plan_admin)
        first, header, rows = csv_lines(download(client, PROGRESS, year=2025, format="csv"))
        assert first.startswith("施策の進捗 令和7年度（2025年度）") and "現在" in first
        assert header[:3] == ["年度", "基本目標", "基本目標の名称"]
        assert len(rows) == 138
        row = next(row for row in rows if row[5] == "86" and row[6] == "")
        assert row[header.index("実績")] == "'" + HYPERLINK  # OWASP: a leading quote, never a formula

    def test_the_lists_filters_are_applied_and_stated(self, client, plan_admin, progress_2025):
        client.force_login(plan_admin)
        goal = Listing.objects.get(measure__number=86, relisted=False).area.goal.number
        response = download(client, PROGRESS, year=2025, goal=goal, assessment="on_track")
        rows = records(response)
        assert [(row["No."], row["再掲"]) for row in rows] == [(86, None)]
        stated = conditions(response)
        assert stated["絞り込み：基本目標"] == f"基本目標{goal}"
        assert stated["絞り込み：進捗状況"] == "順調"
        assert stated["一覧"] == "施策の進捗 令和7年度（2025年度）"

    def test_same_rows_as_the_page_for_a_keyword(self, client, viewer, progress_2025):
        client.force_login(viewer)
        params = {"year": 2025, "q": "一時保護", "goal": 3}
        page = client.get(reverse("plan:progress_list"), params).content.decode()
        shown = [
            (text_of(select(row, "td.col-number > a")[0]), "relisted" in row.classes)
            for row in select(page, "table.progress-table > tbody > tr")
        ]
        exported = [
            (str(row["No."]), row["再掲"] == "再掲") for row in records(download(client, PROGRESS, **params))
        ]
        assert exported and exported == shown

    def test_a_viewer_gets_the_publication_form(self, client, viewer, progress_2025):
        client.force_login(viewer)
        response = download(client, PROGRESS, year=2025)
        text = every_cell(response)
        assert PROVIDER not in text and HIDDEN_PROVIDER_NAME in text
        assert "公表用" in conditions(response)["注記"]

    def test_the_secretariat_reads_the_names(self, client, plan_admin, progress_2025):
        client.force_login(plan_admin)
        assert PROVIDER in every_cell(download(client, PROGRESS, year=2025))

    def test_fixed_queries_at_two_sizes(
        self, client, bureau_staff, progress_2025, django_assert_max_num_queries
    ):
        client.force_login(bureau_staff)
        with django_assert_max_num_queries(40) as few:
            download(client, PROGRESS, year=2025, goal=1)
        with django_assert_max_num_queries(40) as many:
            download(client, PROGRESS, year=2025)
        assert len(few) == len(many)

    def test_the_page_links_to_both_formats_with_its_filters(self, client, viewer, progress_2025):
        client.force_login(viewer)
        page = client.get(reverse("plan:progress_list"), {"year": 2025, "goal": 2}).content.decode()
        assert link_targets(page, "Excelで出力") == [f"{PROGRESS}?year=2025&goal=2&format=xlsx"]
        assert link_targets(page, "CSVで出力") == [f"{PROGRESS}?year=2025&goal=2&format=csv"]


# --- meetings --------------------------------------------------------------------------------------


def _meetings(count):
    for number in range(count):
        MeetingFactory(date=datetime.date(2025, 5, 1) + datetime.timedelta(days=number))


class TestMeetings:
    def test_rows_filters_and_safe_text(self, client, plan_admin):
        provider(PROVIDER)
        committee_meeting(title=HYPERLINK, date=datetime.date(2025, 7, 1))
        committee_meeting(title=f"{PROVIDER}の視察", date=datetime.date(2025, 8, 1))
        _meetings(2)
        MeetingFactory(date=datetime.date(2023, 5, 1))  # another year
        client.force_login(plan_admin)
        response = download(client, MEETINGS, year=2025)
        rows = records(response)
        assert len(rows) == 4
        assert all(isinstance(row["開催日"], datetime.datetime | datetime.date) for row in rows)
        assert [row["会議名"] for row in rows if row["会議体"] == committee().short_name] == [
            HYPERLINK,
            f"{PROVIDER}の視察",
        ]
        assert_no_formula(response)
        filtered = download(client, MEETINGS, year=2025, body=committee().pk)
        assert len(records(filtered)) == 2
        assert conditions(filtered)["絞り込み：会議体"] == str(committee())
        assert len(records(download(client, MEETINGS, year="all"))) == 5
        _, header, csv_rows = csv_lines(download(client, MEETINGS, year=2025, format="csv"))
        assert header[0] == "年度" and len(csv_rows) == 4

    def test_a_viewer_never_reads_a_providers_name(self, client, viewer):
        provider(PROVIDER)
        committee_meeting(title=f"{PROVIDER}の視察", date=datetime.date(2025, 8, 1))
        client.force_login(viewer)
        for file_format in ("xlsx", "csv"):
            text = every_cell(download(client, MEETINGS, year=2025, format=file_format))
            assert PROVIDER not in text and HIDDEN_PROVIDER_NAME in text

    def test_same_rows_as_the_page(self, client, bureau_staff):
        _meetings(3)
        committee_meeting(title="推進委員会 第1回", date=datetime.date(2025, 6, 1))
        client.force_login(bureau_staff)
        for params in ({"year": 2025}, {"year": 2025, "q": "推進委員会"}, {"year": "all", "status": "held"}):
            page = client.get(reverse("meetings:meeting_list"), params).content.decode()
            shown = texts_of(page, "table.meetings td a")
            exported = [row["会議名"] for row in records(download(client, MEETINGS, **params))]
            assert exported == shown, params

    def test_fixed_queries_at_two_sizes(self, client, viewer, django_assert_max_num_queries):
        client.force_login(viewer)
        _meetings(2)
        with django_assert_max_num_queries(30) as few:
            download(client, MEETINGS, year=2025, q="試験")
        _meetings(20)
        with django_assert_max_num_queries(30) as many:
            download(client, MEETINGS, year=2025, q="試験")
        assert len(few) == len(many)


# --- organisations -----------------------------------------------------------------------------------


class TestOrganizations:
    def test_a_providers_row_is_masked_for_a_viewer_and_named_for_the_secretariat(
        self, client, viewer, plan_admin
    ):
        provider(PROVIDER)
        OrganizationFactory(name="NPO法人あおぞら")
        client.force_login(viewer)
        for file_format in ("xlsx", "csv"):
            text = every_cell(download(client, ORGANIZATIONS, format=file_format))
            assert PROVIDER not in text and HIDDEN_PROVIDER_NAME in text and "NPO法人あおぞら" in text
        rows = records(download(client, ORGANIZATIONS))
        assert rows[-1]["名称"] == HIDDEN_PROVIDER_NAME and rows[-1]["種別"] is None  # last, as on the page
        client.force_login(plan_admin)
        assert PROVIDER in every_cell(download(client, ORGANIZATIONS))

    def test_search_and_kind_filter_as_the_page(self, client, viewer):
        provider(PROVIDER)
        OrganizationFactory(name="NPO法人あおぞら")
        OrganizationFactory(name="社会福祉法人ひまわり", kind=Organization.Kind.PRIVATE)
        client.force_login(viewer)
        response = download(client, ORGANIZATIONS, q="ＮＰＯ　あおぞら")
        assert [row["名称"] for row in records(response)] == ["NPO法人あおぞら"]
        assert conditions(response)["絞り込み：名称"] == "ＮＰＯ　あおぞら"
        # Searching a provider's name confirms nothing.
        assert records(download(client, ORGANIZATIONS, q="すみれ")) == []
        assert conditions(download(client, ORGANIZATIONS))["絞り込み"] == "なし（すべて）"
        by_kind = records(download(client, ORGANIZATIONS, kind=Organization.Kind.PRIVATE))
        assert {row["種別"] for row in by_kind} == {Organization.Kind.PRIVATE.label}
        assert HIDDEN_PROVIDER_NAME not in {
            row["名称"] for row in by_kind
        }  # a search never returns a masked row

    def test_fixed_queries_at_two_sizes(self, client, plan_admin, django_assert_max_num_queries):
        client.force_login(plan_admin)
        OrganizationFactory.create_batch(2)
        with django_assert_max_num_queries(30) as few:
            download(client, ORGANIZATIONS)
        for organization in OrganizationFactory.create_batch(15):
            MeetingFactory().attending_organizations.add(organization)
        with django_assert_max_num_queries(30) as many:
            download(client, ORGANIZATIONS)
        assert len(few) == len(many)


# --- returns -----------------------------------------------------------------------------------------


class TestReturns:
    def test_an_officer_gets_only_their_municipality(self, client, municipal_officer, returns_2025):
        client.force_login(municipal_officer)
        for file_format in ("xlsx", "csv"):
            text = every_cell(download(client, MINE, format=file_format))
            assert "新宿区" in text and "八王子市" not in text and OTHER_RETURN_TEXT not in text
        rows = records(download(client, MINE))
        assert [(row["区市町村"], row["状態"]) for row in rows] == [("新宿区", "提出済み")]
        assert rows[0]["常勤の人数（年度末時点）"] == 2  # a number, not text
        assert PROVIDER not in every_cell(download(client, MINE))  # officers do not read providers' names

    def test_the_other_officer_gets_theirs(self, client, other_officer, returns_2025):
        client.force_login(other_officer)
        rows = records(download(client, MINE))
        assert [row["区市町村"] for row in rows] == ["八王子市"]
        assert rows[0]["課題・都への要望"] == OTHER_RETURN_TEXT and RETURN_TEXT not in every_cell(
            download(client, MINE)
        )

    def test_the_round_page_export_with_its_filters(self, client, plan_admin, returns_2025):
        client.force_login(plan_admin)
        response = download(client, round_url())
        rows = records(response)
        assert len(rows) == AnnualReturn.objects.filter(round=returns_2025).count() == 62
        assert [row["団体コード"] for row in rows] == sorted(row["団体コード"] for row in rows)
        response = download(client, round_url(), state=ReturnState.SUBMITTED)
        rows = records(response)
        assert [row["区市町村"] for row in rows] == ["新宿区"]
        assert rows[0]["課題・都への要望"] == f"{RETURN_TEXT} {PROVIDER}"  # the secretariat reads names
        assert isinstance(rows[0]["最初の提出日時"], datetime.datetime)
        assert conditions(response)["絞り込み：状態"] == "提出済み"
        first, header, csv_rows = csv_lines(
            download(client, round_url(), state=ReturnState.SUBMITTED, format="csv")
        )
        assert "状態：提出済み" in first and [row[2] for row in csv_rows] == ["新宿区"]

    def test_fixed_queries_at_two_sizes(
        self, client, plan_admin, municipal_officer, returns_2025, django_assert_max_num_queries
    ):
        client.force_login(plan_admin)
        with django_assert_max_num_queries(40) as few:
            download(client, round_url(), state=ReturnState.SUBMITTED)
        with django_assert_max_num_queries(40) as many:
            download(client, round_url())
        assert len(few) == len(many)
        client.force_login(municipal_officer)
        with django_assert_max_num_queries(30) as one_round:
            download(client, MINE)
        open_round(YEAR + 1)
        with django_assert_max_num_queries(30) as two_rounds:
            download(client, MINE)
        assert len(one_round) == len(two_rounds)


# --- who may download --------------------------------------------------------------------------------


@pytest.fixture
def everything(progress_2025, returns_2025):
    committee_meeting(title=f"{PROVIDER}の視察", date=datetime.date(2025, 8, 1))
    return returns_2025


def test_a_viewers_exports_hold_no_return_text_and_no_provider_name(client, viewer, everything):
    client.force_login(viewer)
    for url in (PROGRESS, MEETINGS, ORGANIZATIONS):
        for file_format in ("xlsx", "csv"):
            text = every_cell(download(client, url, format=file_format, year=2025))
            for secret in (PROVIDER, RETURN_TEXT, OTHER_RETURN_TEXT):
                assert secret not in text, (url, file_format, secret)
    for url in (MINE, round_url()):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [PROGRESS, MEETINGS, ORGANIZATIONS, MINE, "round"])
def test_anonymous_and_no_role_are_refused(client, no_role, url, returns_2025):
    url = round_url() if url == "round" else url
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(no_role)
    assert client.get(url).status_code == 403


def test_returns_exports_are_for_the_secretariat_and_officers_only(
    client, bureau_staff, municipal_officer, returns_2025
):
    client.force_login(bureau_staff)
    assert client.get(MINE).status_code == 403
    assert client.get(round_url()).status_code == 403
    client.force_login(municipal_officer)
    assert client.get(round_url()).status_code == 403


def test_an_unknown_format_is_not_found(client, viewer):
    client.force_login(viewer)
    assert client.get(MEETINGS, {"format": "pdf"}).status_code == 404


def test_every_list_page_links_to_its_downloads_with_its_filters(
    client, plan_admin, municipal_officer, returns_2025
):
    client.force_login(plan_admin)
    pages = [
        (reverse("meetings:meeting_list"), {"year": "all"}, MEETINGS),
        (reverse("meetings:organization_list"), {"kind": "private"}, ORGANIZATIONS),
        (reverse("municipalities:review_round", kwargs={"year": YEAR}), {"state": "submitted"}, round_url()),
    ]
    for page_url, params, export_url in pages:
        page = client.get(page_url, params).content.decode()
        query = "&".join(f"{name}={value}" for name, value in params.items())
        assert link_targets(page, "Excelで出力") == [f"{export_url}?{query}&format=xlsx"], page_url
        assert link_targets(page, "CSVで出力") == [f"{export_url}?{query}&format=csv"], page_url
    client.force_login(municipal_officer)
    page = client.get(reverse("municipalities:officer_returns")).content.decode()
    assert link_targets(page, "CSVで出力") == [f"{MINE}?format=csv"]
