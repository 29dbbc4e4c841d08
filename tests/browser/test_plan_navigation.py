"""What a person sees in a real browser: signing in and out, the plan tree, search, keyboard, axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from plan.accounts.roles import Role
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def viewer_user(reference_data):
    return UserFactory(username="viewer", last_name="推進委員", first_name="閲覧", role=Role.VIEWER)


def login_url(live_server):
    return re.compile(re.escape(f"{live_server.url}/accounts/login/") + r"(\?.*)?$")


def test_bureau_staff_opens_measure_86_from_the_tree_and_logs_out(page, live_server, bureau_user):
    log_in(page, live_server, "bureau")

    header = page.get_by_role("banner")
    expect(header).to_contain_text("福祉局 一郎")
    expect(header).to_contain_text("所管局職員")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="計画の体系").click()
    expect(page).to_have_url(f"{live_server.url}/plan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("計画の体系")

    # The tree lists measure 86 under its number; the link's text is the number.
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="女性相談支援センターのDX"))
    row.get_by_role("link", name="86", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/plan/measures/86/")
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_have_text("No.86 女性相談支援センターのDX")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(login_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    expect(page.get_by_role("button", name="ログアウト")).to_have_count(0)

    # Signed out, the plan tree sends you back to the login page.
    page.goto(f"{live_server.url}/plan/")
    expect(page).to_have_url(login_url(live_server))
    expect(page.get_by_label("ユーザー名")).to_be_visible()
    expect(page.get_by_text("計画の体系")).to_have_count(0)


def test_viewer_searches_by_word_and_by_number(page, live_server, viewer_user):
    log_in(page, live_server, "viewer")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="施策の検索").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("施策の検索")

    search = page.get_by_role("search")
    search.get_by_role("searchbox").fill("トー横")
    search.get_by_role("button", name="検索").click()

    expect(page.get_by_role("heading", level=2)).to_have_text("検索結果 3 件")
    results = page.get_by_role("table")
    expect(results.get_by_role("row")).to_have_count(4)  # the header row and three measures
    for number in ("76", "77", "78"):
        expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()

    search = page.get_by_role("search")
    search.get_by_role("searchbox").fill("86")
    search.get_by_role("button", name="検索").click()
    expect(page).to_have_url(f"{live_server.url}/plan/measures/86/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No.86 女性相談支援センターのDX")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server, bureau_user):
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}/plan/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused, not left off-screen

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes on from the content, not from the header.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused_in_main, page.evaluate("document.activeElement.outerHTML")


def serious_violations(page):
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return found, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} → {[node['target'] for node in v['nodes']]}" for v in found
    )


def test_login_page_has_no_serious_accessibility_violations(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    found, report = serious_violations(page)
    assert not found, report


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/", "ホーム"),
        ("/plan/", "計画の体系"),
        ("/plan/measures/86/", "No.86 女性相談支援センターのDX"),
    ],
)
def test_signed_in_pages_have_no_serious_accessibility_violations(
    page, live_server, bureau_user, path, heading
):
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    found, report = serious_violations(page)
    assert not found, report


def test_plan_tree_does_not_scroll_sideways_on_a_tablet(page, live_server, bureau_user):
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}/plan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("計画の体系")
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"] + 1, widths


def test_page_title_names_the_page_then_the_system(page, live_server, bureau_user):
    log_in(page, live_server, "bureau")
    page.goto(f"{live_server.url}/plan/measures/86/")
    expect(page).to_have_title("No.86 女性相談支援センターのDX | 困難女性支援基本計画 進捗管理")
