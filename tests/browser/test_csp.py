"""The Content-Security-Policy in a real browser: the main pages, as each role sees them, load with
no violation reported — no blocked script, style sheet, image, inline style or handler.

Chromium reports a violation on the console ("Refused to … because it violates the following Content
Security Policy directive …") and as a `securitypolicyviolation` event; both are collected, and page
errors (a script that broke because something it needed was blocked) too."""

import pytest

from municipalities.services import return_round_open
from plan.accounts.roles import Role
from plan.models import Plan
from plan.progress.services import progress_year_start
from tests.browser.conftest import log_in
from tests.factories import UserFactory, municipality, welfare_division
from tests.municipalities.factories import deadline_for

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

# Recorded in the page before any of its own scripts run (Playwright's init scripts are not subject
# to the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
});
"""


class Problems:
    """What a page reported: CSP messages on the console, violation events, uncaught errors."""

    def __init__(self, page):
        self.page = page
        self.found = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.found.append(f"{page.url}: page error: {error}"))

    def on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.found.append(f"{self.page.url}: console: {message.text}")

    def visit(self, url):
        response = self.page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("load")
        for violation in self.page.evaluate("window.__cspViolations"):
            self.found.append(f"{self.page.url}: {violation}")


@pytest.fixture
def cast(reference_data):
    return {
        "viewer": UserFactory(username="viewer", role=Role.VIEWER),
        "municipal_officer": UserFactory(
            username="shinjuku", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区")
        ),
        "bureau_staff": UserFactory(username="bureau", role=Role.BUREAU_STAFF, departments=[welfare_division()]),
        "plan_admin": UserFactory(username="jimukyoku", role=Role.PLAN_ADMIN),
        "case_handler": UserFactory(
            username="center", role=Role.BUREAU_STAFF, departments=[welfare_division()], handles_case_records=True
        ),
    }


@pytest.fixture
def data(cast):
    """A progress year and a returns round, so that the progress list, the return form, the round page
    and the matrix have rows; a meeting for the meetings list."""
    from tests.meetings.samples import ensure_samples

    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    round_ = return_round_open(
        fiscal_year=2025, deadline=deadline_for(2025), message="ご報告ください。", user=cast["plan_admin"]
    )
    ensure_samples()
    return {"round": round_, "shinjuku_return": round_.returns.get(municipality__name="新宿区")}


def pages_for(role, data):
    from django.urls import reverse

    pages = [
        reverse("home"),
        reverse("plan:tree"),
        reverse("plan:measure_detail", kwargs={"number": 86}),
        reverse("plan:progress_list"),
        reverse("indicators:overview"),
        reverse("indicators:detail", kwargs={"number": 2}),
        reverse("meetings:meeting_list"),
    ]
    if role == "municipal_officer":
        pages.append(reverse("municipalities:officer_return", kwargs={"pk": data["shinjuku_return"].pk}))
    if role == "plan_admin":
        year = data["round"].fiscal_year
        pages += [
            reverse("municipalities:review_round", kwargs={"year": year}),
            reverse("municipalities:review_round_matrix", kwargs={"year": year}),
            reverse("municipalities:officer_return", kwargs={"pk": data["shinjuku_return"].pk}),
        ]
    if role in ("bureau_staff", "case_handler"):
        pages.append(reverse("plan:progress_edit", kwargs={"year": 2025, "number": 86}))
    if role == "case_handler":
        pages.append(reverse("meetings:case_review_list"))
    return pages


def test_the_login_page_has_no_violation(page, live_server):
    problems = Problems(page)
    problems.visit(f"{live_server.url}/accounts/login/")
    assert problems.found == []


@pytest.mark.parametrize("role", ["viewer", "municipal_officer", "bureau_staff", "plan_admin", "case_handler"])
def test_the_main_pages_have_no_violation(page, live_server, cast, data, role):
    problems = Problems(page)
    log_in(page, live_server, cast[role].username)
    for path in pages_for(role, data):
        problems.visit(f"{live_server.url}{path}")
    assert problems.found == [], "\n".join(problems.found)


def test_a_violation_would_be_caught(page, live_server, cast):
    """The control: an inline style, as a template might carry one, is reported and fails the check."""
    problems = Problems(page)
    log_in(page, live_server, cast["viewer"].username)
    problems.visit(f"{live_server.url}/plan/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    for violation in page.evaluate("window.__cspViolations"):
        problems.found.append(violation)
    assert any("style" in problem for problem in problems.found), problems.found
