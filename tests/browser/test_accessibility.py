"""Accessibility in a real browser (issue 14 item 8): the main pages, with the demo data loaded and
opened by the role that uses them, have no serious or critical axe-core violation; forms showing
their errors tie each message to its field; the progress form works by keyboard alone.

What is checked here is what templates/accessibility.html publishes (config.accessibility_views;
tests/test_accessibility_page.py keeps the two lists together)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from plan.models import MeasureProgress
from tests.browser.conftest import VIEWPORT, log_in
from tests.browser.demo import (
    BUREAU,
    DEMO_PASSWORD,
    OFFICER,
    SECRETARIAT,
    VIEWER,
    YEAR,
    demo_paths,
    load_demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

# The pages each role opens, by config.accessibility_views.CHECKED_PAGES's keys.
PAGES_BY_ROLE = {
    SECRETARIAT: [
        "dashboard",
        "plan_tree",
        "measure",
        "progress_list",
        "round",
        "matrix",
        "indicator_overview",
        "indicator_detail",
        "meeting_list",
        "meeting_detail",
        "meeting_form",
        "organization_list",
    ],
    BUREAU: ["dashboard", "progress_list", "progress_form"],
    OFFICER: ["dashboard", "return_form"],
    VIEWER: ["dashboard"],
}
ANONYMOUS_PAGES = ["login", "accessibility"]
# Every page key checked in this module (forms with their errors are checked below as well).
CHECKED = {key for keys in PAGES_BY_ROLE.values() for key in keys} | set(ANONYMOUS_PAGES)


@pytest.fixture
def demo(reference_data):
    load_demo()
    return demo_paths()


def serious_violations(page):
    """axe-core's serious and critical findings on the page as it is now, as readable lines."""
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} → {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_page(page, live_server, path):
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{path}: {response.status}"
    assert "/accounts/login/" not in page.url or path.startswith("/accounts/login/"), (
        f"{path} asked for a login"
    )


@pytest.mark.parametrize("username", [SECRETARIAT, BUREAU, OFFICER, VIEWER])
def test_each_roles_pages_have_no_serious_violations(page, live_server, demo, username):
    log_in(page, live_server, username, DEMO_PASSWORD)
    found = []
    for key in PAGES_BY_ROLE[username]:
        open_page(page, live_server, demo[key])
        found += serious_violations(page)
    assert not found, "\n".join(found)


def test_pages_before_signing_in_have_no_serious_violations(page, live_server, demo):
    found = []
    for key in ANONYMOUS_PAGES:
        open_page(page, live_server, demo[key])
        found += serious_violations(page)
    # The login form showing its error.
    open_page(page, live_server, demo["login"])
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_label("ユーザー名")).to_have_accessible_description(re.compile("必須"))
    found += serious_violations(page) + untied_errors(page)
    assert not found, "\n".join(found)


# Every error message shown in a form must be named by its field's (or its group's)
# aria-describedby, and every field marked invalid must point at an error message.
UNTIED_ERRORS = """() => {
  const problems = [];
  const describedBy = (element) => (element.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  const described = new Set();
  document.querySelectorAll('form [aria-describedby]').forEach((element) => describedBy(element).forEach((id) => described.add(id)));
  document.querySelectorAll('form .error').forEach((message) => {
    const previous = message.previousElementSibling;
    if (previous && previous.classList.contains('error')) return;  // a field's second message follows its first
    if (!message.id || !described.has(message.id)) problems.push('an error no field names: ' + message.textContent.trim());
  });
  document.querySelectorAll('form [aria-invalid="true"]').forEach((field) => {
    const group = field.closest('fieldset[aria-describedby]');
    const ids = describedBy(field).concat(group ? describedBy(group) : []);
    if (!ids.some((id) => { const target = document.getElementById(id); return target && target.classList.contains('error'); })) {
      problems.push('an invalid field without its message: ' + (field.name || field.id));
    }
  });
  return problems;
}"""


def untied_errors(page):
    return [f"{page.url}: {problem}" for problem in page.evaluate(UNTIED_ERRORS)]


def test_the_progress_form_showing_its_errors(page, live_server, demo):
    log_in(page, live_server, BUREAU, DEMO_PASSWORD)
    open_page(page, live_server, demo["progress_form"])
    page.get_by_role("radio", name="順調", exact=True).check()
    page.get_by_label("実績").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください")
    achievements = page.get_by_label("実績")
    expect(achievements).to_have_attribute("aria-invalid", "true")
    expect(achievements).to_have_accessible_description(re.compile("実績を入力してください"))
    # The summary's link takes the keyboard to the field.
    page.get_by_role("alert").get_by_role("link", name=re.compile("^実績：")).click()
    expect(achievements).to_be_focused()

    found = serious_violations(page) + untied_errors(page)
    assert not found, "\n".join(found)


def test_the_return_form_showing_its_errors(page, live_server, demo):
    log_in(page, live_server, OFFICER, DEMO_PASSWORD)
    open_page(page, live_server, demo["return_form"])
    start = page.get_by_label("計画期間（開始年度）")
    start.fill("そのうち")
    with page.expect_navigation():
        page.get_by_role("button", name="一時保存").click()

    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_value("そのうち")  # what was typed is kept to be corrected
    message = page.locator("#id_plan_period_start_error")
    expect(message).to_be_visible()
    expect(start).to_have_accessible_description(re.compile(re.escape(message.inner_text())))

    found = serious_violations(page) + untied_errors(page)
    assert not found, "\n".join(found)


def focused(page):
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName.toLowerCase(), name: e.name || '', type: e.type || '', text: e.textContent.trim(), value: e.value || ''}; }"
    )


def tab_to(page, matches, limit=60):
    """Press Tab until the focused element matches; every stop on the way must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_be_visible()
        if matches(focused(page)):
            return
    pytest.fail(f"{limit} presses of Tab did not reach the element; stopped at {focused(page)}")


def test_the_progress_form_is_filled_in_and_saved_by_keyboard_alone(page, live_server, demo):
    page.set_viewport_size(VIEWPORT)
    log_in(page, live_server, BUREAU, DEMO_PASSWORD)
    open_page(page, live_server, demo["progress_form"])

    # A radio group is one Tab stop; Space chooses, the arrow keys move the choice.
    tab_to(page, lambda element: element["name"] == "assessment")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    assessment = page.evaluate("document.activeElement.value")
    expect(page.locator(f"input[name=assessment][value={assessment}]")).to_be_checked()

    tab_to(page, lambda element: element["name"] == "direction")
    page.keyboard.press("Space")
    direction = page.evaluate("document.activeElement.value")

    tab_to(page, lambda element: element["name"] == "achievements")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("キーボードだけで入力した実績")

    tab_to(page, lambda element: element["tag"] == "button" and element["text"] == "保存する")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(f"No.86 の令和{YEAR - 2018}年度の進捗を保存しました")
    record = MeasureProgress.objects.get(measure__number=86, fiscal_year=YEAR)
    assert (record.assessment, record.direction, record.achievements) == (
        assessment,
        direction,
        "キーボードだけで入力した実績",
    )
