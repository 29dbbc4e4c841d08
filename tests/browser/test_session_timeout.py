"""The idle-session warning (static/js/session-timeout.js) in a real browser: shown as an alert five
minutes before the 30-minute end, 「ログインを延長する」 gives a fresh 30 minutes on the server, and
an ended session says so. The page's clock is Playwright's (fast-forwarded, no waiting); the
server's session is aged in the database, as if the time had passed there too."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from plan.accounts.roles import Role
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

WARNING = "あと約"
EXPIRED = "ログインの有効期限が切れました"


@pytest.fixture
def viewer(reference_data):
    return UserFactory(username="viewer", role=Role.VIEWER)


def the_session():
    return Session.objects.get()


def age_session(minutes):
    session = the_session()
    session.expire_date -= datetime.timedelta(minutes=minutes)
    session.save()


def test_the_warning_comes_five_minutes_before_the_end_and_extends_the_session(page, live_server, viewer):
    page.clock.install()
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/plan/")
    notice = page.get_by_role("alert")
    expect(notice).to_be_hidden()

    page.clock.run_for("24:00")
    expect(notice).to_be_hidden()
    page.clock.run_for("01:30")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(WARNING)
    expect(notice).to_contain_text("5分")

    age_session(26)
    page.get_by_role("button", name="ログインを延長する").click()
    expect(notice).to_be_hidden()
    assert the_session().expire_date - timezone.now() > datetime.timedelta(minutes=29)

    # Counted afresh from the extension: no warning until 25 minutes after it.
    page.clock.run_for("20:00")
    expect(notice).to_be_hidden()


def test_an_ended_session_is_reported(page, live_server, viewer):
    page.clock.install()
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/plan/")
    page.clock.run_for("26:00")
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text(WARNING)

    # The server ended it meanwhile (another tab signed out, or the server's clock ran ahead).
    age_session(31)
    page.get_by_role("button", name="ログインを延長する").click()
    expect(notice).to_contain_text(EXPIRED)
    expect(page.get_by_role("button", name="ログインを延長する")).to_be_hidden()


def test_the_end_is_reported_when_nothing_is_done(page, live_server, viewer):
    page.clock.install()
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/plan/")
    page.clock.run_for("30:30")
    expect(page.get_by_role("alert")).to_contain_text(EXPIRED)
