"""Browser tests: Debian's chromium driven through Playwright's sync API (no pytest-playwright plugin).

Playwright must never download a browser: we always launch /usr/bin/chromium. Without it the browser
tests are skipped loudly, or fail under CI=true.
"""

import os
import warnings
from pathlib import Path

import pytest

from plan.accounts.roles import Role
from tests.factories import UserFactory, welfare_division

CHROMIUM = Path("/usr/bin/chromium")
# --disable-background-networking and friends: the machine has no internet, and without them chromium
# keeps trying (and failing) to reach Google's services.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
NO_CHROMIUM = (
    f"{CHROMIUM} not found: the browser tests were SKIPPED. "
    "Install Debian's chromium (make browser, or: sudo apt-get install chromium fonts-noto-cjk)."
)

_skipped_for_no_chromium = False


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="session")
def browser():
    global _skipped_for_no_chromium
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true; install Debian's chromium", pytrace=False)
        _skipped_for_no_chromium = True
        warnings.warn(NO_CHROMIUM, stacklevel=1)
        pytest.skip(NO_CHROMIUM)

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop marked as running in this thread from start() to
    # stop(), and Django refuses database calls "from an async context" meanwhile (the fixtures',
    # the flush after each transactional test). The live server's own thread is not affected.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def bureau_user(reference_data):
    """Bureau staff of 福祉局 育成支援課, with a name to see in the header."""
    return UserFactory(
        username="bureau", last_name="福祉局", first_name="一郎", role=Role.BUREAU_STAFF, departments=[welfare_division()]
    )


def log_in(page, live_server, username, password=PASSWORD):
    """Sign in through the real login form, and wait for the page it leads to."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()


def pytest_terminal_summary(terminalreporter):
    if _skipped_for_no_chromium:
        terminalreporter.write_sep("!", "BROWSER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(NO_CHROMIUM, red=True, bold=True)
