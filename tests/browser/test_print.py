"""Printing from the pages (issue 12 item 4) in a real browser: the briefing's print view printed to
PDF by Chromium (page count, paper size, its title), and the list and measure pages in print media
(A4 width without horizontal overflow, the filters in force, the measure page's short form).

The PDF is read with the standard library only (no PDF library is a dependency): the page objects
and their MediaBox, and the document's /Title, which Chromium takes from the HTML <title>. Its text
is drawn with subset fonts, so the title *text* is checked in the print-media rendering instead.
"""

import re

import pytest
from playwright.sync_api import expect

from plan.accounts.roles import Role
from plan.models import MeasureProgress, Plan
from plan.progress.services import progress_update, progress_year_start
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

YEAR = 2025
# A4 in PDF points (1/72 inch): 210 × 297 mm.
A4_SHORT, A4_LONG = 595, 842
# The width a landscape A4 page leaves for the content (297 mm less print.css's 10 mm margins), in
# CSS pixels (96 per inch).
A4_LANDSCAPE_CONTENT_PX = round((297 - 20) / 25.4 * 96)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of each page object (`/Type /Page`, not `/Pages`)."""
    sizes = []
    for match in re.finditer(rb"/Type\s*/Page(?![s\w])", pdf):
        # The page's dictionary holds its MediaBox near the type (Chromium writes it uncompressed).
        start = pdf.rfind(b"<<", 0, match.start())
        end = pdf.find(b"endobj", match.end())
        box = re.search(rb"/MediaBox\s*\[\s*([\d.\s-]+)\]", pdf[start:end])
        if box is None:
            sizes.append((0.0, 0.0))
            continue
        x0, y0, x1, y1 = (float(number) for number in box.group(1).split())
        sizes.append((x1 - x0, y1 - y0))
    return sizes


def pdf_title(pdf: bytes) -> str:
    """The document information's /Title: a literal string, or hex (UTF-16 with its BOM)."""
    hex_title = re.search(rb"/Title\s*<([0-9A-Fa-f\s]+)>", pdf)
    if hex_title:
        raw = bytes.fromhex(hex_title.group(1).decode("ascii"))
        return raw.decode("utf-16") if raw.startswith((b"\xfe\xff", b"\xff\xfe")) else raw.decode("latin-1")
    literal = re.search(rb"/Title\s*\((.*?)(?<!\\)\)", pdf, re.DOTALL)
    assert literal, "the PDF has no /Title"
    raw = literal.group(1)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def horizontal_overflow(page) -> int:
    """How far the page is wider than its window, in CSS pixels (0: nothing cut off)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def secretariat_user(reference_data):
    return UserFactory(username="secretariat", last_name="事務局", first_name="一子", role=Role.PLAN_ADMIN)


@pytest.fixture
def year_2025(reference_data):
    plan = Plan.objects.current()
    plan.reporting_fiscal_year = YEAR
    plan.save()
    progress_year_start(plan=plan, fiscal_year=YEAR - 1, user=None)
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    return plan


def test_the_briefing_print_view_prints_to_a_few_a4_pages(page, live_server, secretariat_user, year_2025):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="概要と指標を印刷する（委員用・印刷用の表示）").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(re.escape("推進委員会資料 令和7年度（2025年度）（委員用）")))
    title = heading.inner_text().strip()

    # What the printer gets: the title and both parts, without the screen's navigation and links.
    page.emulate_media(media="print")
    expect(heading).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="概要", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="指標", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
    expect(page.locator(".print-view-actions")).to_be_hidden()
    expect(page.locator(".indicator-charts svg")).to_have_count(6)

    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    assert pdf.startswith(b"%PDF-")
    sizes = pdf_pages(pdf)
    # 概要 (about 30 rows) and the six indicators with their charts: a short handout, not dozens of pages.
    assert 1 <= len(sizes) <= 6, sizes
    for width, height in sizes:
        assert abs(width - A4_SHORT) < 2 and abs(height - A4_LONG) < 2, (width, height)  # A4 portrait
    assert title in pdf_title(pdf)


def test_a_viewer_prints_the_public_form(page, live_server, year_2025):
    UserFactory(username="viewer", role=Role.VIEWER)
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/briefing/{YEAR}/print/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("（公表用）")
    pdf = page.pdf(prefer_css_page_size=True)
    assert "（公表用）" in pdf_title(pdf)


def test_the_progress_list_prints_on_landscape_a4_with_its_filters(page, live_server, bureau_user, year_2025):
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}/plan/progress/?year={YEAR}&goal=1&not_updated=on")
    page.set_viewport_size({"width": A4_LANDSCAPE_CONTENT_PX, "height": 800})
    page.emulate_media(media="print")

    filters = page.locator(".print-filters")
    expect(filters).to_be_visible()
    expect(filters).to_have_text(
        re.compile(r"^絞り込み条件：年度 令和7年度（2025年度）、基本目標 基本目標1、今年度未更新のみ はい$")
    )
    expect(page.locator("form.progress-filters")).to_be_hidden()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
    expect(page.locator("table.progress-table").first).to_be_visible()
    assert horizontal_overflow(page) == 0
    # Every table fits: no cell reaches past the page's right edge.
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right))"
    )
    assert widest <= A4_LANDSCAPE_CONTENT_PX + 1
    # Headers repeat on every printed page.
    display = page.locator("table.progress-table thead").first.evaluate("e => getComputedStyle(e).display")
    assert display == "table-header-group"

    pdf = page.pdf(prefer_css_page_size=True)
    for width, height in pdf_pages(pdf):
        assert abs(width - A4_LONG) < 2 and abs(height - A4_SHORT) < 2, (width, height)  # landscape


def test_the_measure_page_prints_the_year_and_the_last_change(page, live_server, bureau_user, year_2025):
    for fiscal_year, text in [
        (YEAR - 1, "前年度の実績です"),
        (YEAR, "最初の実績です"),
        (YEAR, "最後に書いた実績です"),
    ]:
        record = MeasureProgress.objects.get(measure__number=86, fiscal_year=fiscal_year)
        progress_update(
            progress=record,
            expected_version=record.version,
            values={"assessment": "on_track", "direction": "continue", "achievements": text},
            user=bureau_user,
        )
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}/plan/measures/86/")
    page.emulate_media(media="print")
    expect(page.locator("#progress-2025")).to_be_visible()
    expect(page.locator("#progress-2024")).to_be_hidden()
    last_change = page.locator(".print-last-change")
    expect(last_change).to_be_visible()
    expect(last_change).to_contain_text("最後に書いた実績です")
    expect(page.get_by_role("heading", name="進捗の変更履歴")).to_be_hidden()

    # Asked for in full: every year and the whole history.
    page.emulate_media(media="screen")
    page.get_by_role("link", name="すべての年度と変更履歴を印刷する").click()
    page.emulate_media(media="print")
    expect(page.locator("#progress-2024")).to_be_visible()
    expect(page.get_by_role("heading", name="進捗の変更履歴")).to_be_visible()
    expect(page.locator(".print-last-change")).to_have_count(0)
