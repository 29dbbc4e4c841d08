"""Narrow windows and zoom (issue 15 item 1; JIS X 8341-3 reflow): every main list page, with the
demo data loaded, fits a 768 px tablet, 1280 px at 200% zoom (640 CSS px) and at 400% (320 CSS px)
without the page scrolling sideways. Wide tables scroll inside their own box instead, keeping their
first column, and the progress list's edit links stay within reach.

Zoom is emulated as the browser does it: the layout gets fewer CSS pixels (the viewport's width)
drawn with more device pixels each (device_scale_factor)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.demo import BUREAU, DEMO_PASSWORD, OFFICER, SECRETARIAT, VIEWER, demo_paths, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

# CSS pixel width → the zoom it stands for on a 1280 px screen (768: a tablet at 100%).
ZOOM = {768: 1, 640: 2, 320: 4}
WIDTHS = tuple(ZOOM)

# By config.accessibility_views.REFLOW_PAGES's keys; the secretariat sees every list, the others
# their own dashboard (and bureau staff the progress list with its edit links).
LIST_PAGES = [
    "dashboard",
    "plan_tree",
    "progress_list",
    "round",
    "matrix",
    "indicator_overview",
    "meeting_list",
    "meeting_counts",
    "organization_list",
]
PAGES_BY_ROLE = {
    SECRETARIAT: LIST_PAGES,
    BUREAU: ["dashboard", "progress_list"],
    OFFICER: ["dashboard"],
    VIEWER: ["dashboard"],
}


@pytest.fixture
def demo(reference_data):
    load_demo()
    return demo_paths()


def narrow_page(browser, width, height=900):
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=ZOOM[width], locale="ja-JP"
    )
    return context, context.new_page()


# The page's own width against the window's; and, to say what to fix, the elements sticking out
# of the window that are not inside a table's own scrolling box.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const culprits = [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.parentElement.closest('.table-scroll'))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && e.className.baseVal === undefined ? '.' + e.className.split(' ').join('.') : ''} (right edge ${Math.round(e.getBoundingClientRect().right)})`);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
}"""


@pytest.mark.parametrize("username", [SECRETARIAT, BUREAU, OFFICER, VIEWER])
def test_list_pages_never_scroll_sideways(browser, live_server, demo, username):
    found = []
    for width in WIDTHS:
        context, page = narrow_page(browser, width)
        try:
            log_in(page, live_server, username, DEMO_PASSWORD)
            for key in PAGES_BY_ROLE[username]:
                response = page.goto(f"{live_server.url}{demo[key]}")
                assert response.status == 200, f"{demo[key]}: {response.status}"
                measured = page.evaluate(OVERFLOW)
                if measured["scrollWidth"] > measured["innerWidth"]:
                    found.append(
                        f"{demo[key]} at {width} px: the page is {measured['scrollWidth']} px wide; {measured['culprits']}"
                    )
        finally:
            context.close()
    assert not found, "\n".join(found)


def box_edges(locator):
    box = locator.bounding_box()
    return box["x"], box["x"] + box["width"]


def assert_in_window(page, locator, what):
    """Within the window's width, and the element on top at its centre (not hidden under a column)."""
    left, right = box_edges(locator)
    width = page.viewport_size["width"]
    assert 0 <= left and right <= width, f"{what} is at {left:.0f}–{right:.0f}, outside 0–{width}"
    on_top = locator.evaluate(
        "(e) => { const r = e.getBoundingClientRect();"
        " const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        " return top === e || e.contains(top); }"
    )
    assert on_top, f"{what} is covered by something else"


def test_the_progress_lists_edit_link_stays_within_reach_at_768_px(browser, live_server, demo):
    context, page = narrow_page(browser, 768)
    try:
        log_in(page, live_server, BUREAU, DEMO_PASSWORD)
        page.goto(f"{live_server.url}{demo['progress_list']}")
        row = page.locator("tr#measure-86")
        number = row.get_by_role("link", name="86", exact=True)
        edit = row.get_by_role("link", name="編集")
        box = page.locator(".table-scroll").filter(has=row)
        expect(box).to_have_attribute("role", "region")
        expect(box).to_have_accessible_name(re.compile("の施策の進捗$"))

        # The table is wider than the window: its box scrolls, not the page.
        assert box.evaluate("(e) => e.scrollWidth > e.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        row.scroll_into_view_if_needed()
        for position in ("start", "end"):
            box.evaluate(f"(e) => {{ e.scrollLeft = {'0' if position == 'start' else 'e.scrollWidth'}; }}")
            # The row keeps its number in view, and its edit link, wherever the box is scrolled.
            assert_in_window(page, number, f"No.86 with the box scrolled to its {position}")
            assert_in_window(page, edit, f"編集 with the box scrolled to its {position}")

        # By keyboard: the box itself takes focus (to scroll it with the arrow keys), and the link too.
        box.focus()
        page.keyboard.press("ArrowRight")
        edit.focus()
        expect(edit).to_be_focused()
        assert_in_window(page, edit, "the focused 編集")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/plan/progress/2025/86/edit/")))
        expect(page.get_by_role("heading", level=1)).to_contain_text("No.86")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
