"""操作ガイド (issue 15 item 7) in a real browser: each role opens its guide from the header and its
screenshots load; and the screenshots are taken from the screens as they are now — written over
static/help/ with REGENERATE_HELP_SCREENSHOTS=1, so the guides never show a stale screen:

    REGENERATE_HELP_SCREENSHOTS=1 .venv/bin/pytest -p no:cacheprovider tests/browser/test_help_screenshots.py

SHOTS lists every screenshot a guide shows (test_every_referenced_screenshot_is_taken checks it
against the templates), with who takes it and where.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from plan.accounts.roles import Role
from plan.models import Plan
from plan.progress.services import progress_year_start
from tests.browser.conftest import log_in
from tests.factories import UserFactory, municipality
from tests.indicators.helpers import accept, submit
from tests.municipalities.factories import open_round

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

ROOT = Path(__file__).resolve().parents[2]
HELP_STATIC = ROOT / "static" / "help"
HELP_TEMPLATES = ROOT / "templates" / "help"
REGENERATE = os.environ.get("REGENERATE_HELP_SCREENSHOTS") == "1"
YEAR = 2025
# Smaller than the other browser tests' window: the shots sit inside a page of text.
SHOT_VIEWPORT = {"width": 1100, "height": 680}


# (file under static/help/, who takes it, the page, the part of the page to shoot: an element, a
# screenful from an element down ("scroll:…"), or None for the first screenful)
SHOTS = [
    ("progress-list.png", "bureau", f"/plan/progress/?year={YEAR}&mine=1&not_updated=1", None),
    ("progress-edit.png", "bureau", f"/plan/progress/{YEAR}/86/edit/", None),
    ("return-home.png", "shinjuku", "/", "section:has(#officer-returns-heading)"),
    ("return-form.png", "shinjuku", "RETURN_FORM", None),
    ("round.png", "secretariat", f"/returns/rounds/{YEAR}/", "scroll:form.progress-filters"),
    ("briefing.png", "secretariat", "/", "section:has(#dashboard-briefing-heading)"),
    ("indicators.png", "viewer", "/indicators/", None),
]
# Each role's own guide, as the header's 操作ガイド leads to it.
OWN_GUIDE = {
    "bureau": "施策の進捗を記録する",
    "shinjuku": "取組状況の報告を提出する",
    "secretariat": "報告を確認し、推進委員会資料を用意する",
    "viewer": "計画の進み具合を見る",
}


@pytest.fixture
def cast(reference_data, bureau_user):
    """One user per role and the screens' data: FY2025 begun, its round open with 新宿区's draft,
    港区's return accepted and 八王子市's submitted."""
    plan = Plan.objects.current()
    plan.reporting_fiscal_year = YEAR
    plan.save()
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    open_round(YEAR)
    accept(YEAR, "港区")
    submit(YEAR, "八王子市")
    officer = UserFactory(
        username="shinjuku",
        last_name="新宿",
        first_name="花子",
        role=Role.MUNICIPAL_OFFICER,
        municipality=municipality("新宿区"),
    )
    viewer = UserFactory(username="viewer", last_name="推進", first_name="委員", role=Role.VIEWER)
    staff = UserFactory(username="secretariat", last_name="事務局", first_name="一子", role=Role.PLAN_ADMIN)
    return {"bureau": bureau_user, "shinjuku": officer, "secretariat": staff, "viewer": viewer}


# First, so that the checks below see the new files. Without REGENERATE_HELP_SCREENSHOTS=1 the
# shots are taken into a temporary folder: each screen can still be reached and shot as SHOTS says
# (nothing is skipped, which CI's FAIL_ON_SKIP forbids), and static/help/ is left as it is.
def test_the_screenshots_are_taken_from_the_screens(browser, live_server, cast, tmp_path):
    out = HELP_STATIC if REGENERATE else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    by_user = {}
    for shot in SHOTS:
        by_user.setdefault(shot[1], []).append(shot)
    for username, shots in by_user.items():
        context = browser.new_context(viewport=SHOT_VIEWPORT, locale="ja-JP")
        try:
            page = context.new_page()
            log_in(page, live_server, username)
            for name, _, path, part in shots:
                if path == "RETURN_FORM":  # reached as the officer reaches it: from the home page
                    page.goto(f"{live_server.url}/")
                    page.get_by_role("link", name="報告を入力する").click()
                    expect(page.get_by_role("heading", level=1)).to_contain_text("取組状況の報告")
                else:
                    page.goto(f"{live_server.url}{path}")
                if part and part.startswith("scroll:"):
                    page.locator(part.removeprefix("scroll:")).evaluate("element => element.scrollIntoView()")
                    page.screenshot(path=out / name)
                else:
                    (page.locator(part) if part else page).screenshot(path=out / name)
                assert (out / name).stat().st_size > 1000
        finally:
            context.close()


def referenced_screenshots() -> set[str]:
    names = set()
    for template in HELP_TEMPLATES.glob("*.html"):
        names |= set(re.findall(r'file="([^"]+\.png)"', template.read_text(encoding="utf-8")))
    return names


def test_every_referenced_screenshot_is_taken_and_exists():
    assert referenced_screenshots() == {name for name, *_ in SHOTS}
    missing = [name for name, *_ in SHOTS if not (HELP_STATIC / name).is_file()]
    assert missing == [], f"missing under static/help/: {missing}; run with REGENERATE_HELP_SCREENSHOTS=1"


@pytest.mark.parametrize("username", sorted(OWN_GUIDE))
def test_each_role_opens_its_guide_from_the_header(browser, live_server, cast, username):
    context = browser.new_context(viewport=SHOT_VIEWPORT, locale="ja-JP")
    try:
        page = context.new_page()
        log_in(page, live_server, username)
        page.locator(".site-header").get_by_role("link", name="操作ガイド").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("操作ガイド")
        own = page.get_by_role("region", name=re.compile("^あなたの操作ガイド"))
        own.get_by_role("link", name=OWN_GUIDE[username]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(OWN_GUIDE[username])
        images = page.locator("main img")
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            expect(image).to_have_js_property("complete", True)
            assert image.evaluate("element => element.naturalWidth") > 0, image.get_attribute("src")
    finally:
        context.close()
