"""Sessions and requests (docs/security.md): login throttling by username and address together,
idle sessions that end after 30 minutes, the warning script and its keepalive, a new session key
at login, `Cache-Control: no-store` on a signed-in user's pages, and the CSRF token on every POST."""

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.middleware import SESSION_REFRESHED_AT
from plan.accounts.roles import Role
from tests.factories import UserFactory, municipality
from tests.html import select, select_one
from tests.test_access_table import (
    all_named_urls,
    expected_for,
    sample_kwargs,
    users,  # noqa: F401 (a fixture: the access table's cast and sign-in records)
)

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
LOCKED = "ログインを一時停止しています"  # templates/registration/locked_out.html
SHARED_GATEWAY = "203.0.113.7"  # a municipal network's gateway, shared by its officers


def log_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


# --- login throttling -----------------------------------------------------------------------------


class TestLoginThrottling:
    def test_the_lock_is_by_username_and_address_together(self):
        assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]

    def test_a_colleagues_failures_do_not_lock_out_an_officer_behind_the_same_gateway(self, municipal_officer):
        colleague = UserFactory(
            username="shinjuku2", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区")
        )
        careless = Client(REMOTE_ADDR=SHARED_GATEWAY)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(careless, municipal_officer.username, "wrong-password")

        # The one who mistyped is locked out, even with the right password now.
        page = log_in(careless, municipal_officer.username)
        assert LOCKED in page.content.decode()
        assert signed_in_as(careless) is None

        # The colleague at the next desk, through the same gateway, signs in as usual.
        colleague_client = Client(REMOTE_ADDR=SHARED_GATEWAY)
        page = log_in(colleague_client, colleague.username)
        assert LOCKED not in page.content.decode()
        assert int(signed_in_as(colleague_client)) == colleague.pk

    def test_the_locked_officer_is_not_locked_from_another_address(self, municipal_officer):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(Client(REMOTE_ADDR=SHARED_GATEWAY), municipal_officer.username, "wrong-password")
        elsewhere = Client(REMOTE_ADDR="198.51.100.30")
        log_in(elsewhere, municipal_officer.username)
        assert int(signed_in_as(elsewhere)) == municipal_officer.pk


# --- idle timeout -----------------------------------------------------------------------------------


def stored_session(client):
    return Session.objects.get(session_key=client.session.session_key)


def age_session(client, minutes):
    """As if `minutes` had passed since the session's last request: its stored end, and the time its
    end was last moved (config.middleware.SESSION_REFRESHED_AT), go back by that much."""
    key = client.session.session_key
    store = SessionStore(session_key=key)
    store[SESSION_REFRESHED_AT] -= minutes * 60
    store.save()
    Session.objects.filter(session_key=key).update(
        expire_date=F("expire_date") - datetime.timedelta(minutes=minutes)
    )


def remaining(client):
    return stored_session(client).expire_date - timezone.now()


def session_writes(queries):
    return [query["sql"] for query in queries if "django_session" in query["sql"] and not query["sql"].startswith("SELECT")]


class TestIdleTimeout:
    def test_thirty_minutes_by_default_and_the_cookie_ends_with_the_browser(self):
        assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
        # The stored end is moved at most once a minute, so it lies a minute further.
        assert settings.SESSION_COOKIE_AGE == 30 * 60 + settings.SESSION_REFRESH_SECONDS == 31 * 60
        assert not getattr(settings, "SESSION_SAVE_EVERY_REQUEST", False)
        assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE

    def test_a_request_after_a_pause_moves_the_end_forward(self, client, viewer):
        log_in(client, viewer.username)
        age_session(client, 20)
        assert remaining(client) < datetime.timedelta(minutes=12)
        assert client.get(reverse("plan:tree")).status_code == 200
        assert datetime.timedelta(minutes=30) < remaining(client) <= datetime.timedelta(minutes=31)

    def test_requests_within_the_minute_write_nothing(self, client, viewer):
        client.force_login(viewer)  # the login starts the count: not even the first request writes
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("plan:tree")).status_code == 200
            assert session_writes(captured.captured_queries) == []

    def test_a_session_idle_for_30_minutes_still_works(self, client, viewer):
        log_in(client, viewer.username)
        age_session(client, 30)
        assert client.get(reverse("plan:tree")).status_code == 200

    def test_a_session_idle_for_32_minutes_has_ended(self, client, viewer):
        log_in(client, viewer.username)
        age_session(client, 32)
        response = client.get(reverse("plan:tree"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_the_session_cookie_has_no_expiry_date(self, viewer):
        client = Client()
        response = client.post(reverse("login"), {"username": viewer.username, "password": PASSWORD})
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["expires"] == "" and cookie["max-age"] == ""

    def test_the_timeout_comes_from_the_environment(self):
        settings_values = run_with_environment(
            {"SESSION_IDLE_TIMEOUT_MINUTES": "45"},
            "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
        )
        assert settings_values.strip() == str(45 * 60 + 60)


def run_with_environment(extra, code):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(extra, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- the warning and the keepalive ----------------------------------------------------------------


class TestWarningScript:
    def test_a_signed_in_page_carries_the_timeout_and_the_script(self, client, viewer):
        client.force_login(viewer)
        page = client.get(reverse("plan:tree"))
        body = select_one(page, "body")
        assert body.get("data-session-timeout") == str(30 * 60)
        assert body.get("data-session-keepalive-url") == reverse("keepalive")
        scripts = [script.get("src") for script in page_scripts(page)]
        assert any(src.endswith("/js/session-timeout.js") for src in scripts)

    def test_the_login_page_has_neither(self, client, db):
        page = client.get(reverse("login"))
        assert select_one(page, "body").get("data-session-timeout") is None
        assert not any(script.get("src", "").endswith("session-timeout.js") for script in page_scripts(page))

    def test_the_script_offers_the_button_in_an_alert(self):
        script = (settings.BASE_DIR / "static" / "js" / "session-timeout.js").read_text()
        assert "ログインを延長する" in script
        assert '"role", "alert"' in script
        assert "data-session-timeout" in script and "data-session-keepalive-url" in script


def page_scripts(page):
    return select(page, "script")


class TestKeepalive:
    def test_a_signed_in_user_gets_204_and_a_fresh_timeout(self, client, municipal_officer):
        log_in(client, municipal_officer.username)
        age_session(client, 25)
        response = client.get(reverse("keepalive"))
        assert response.status_code == 204
        assert response.content == b""
        assert remaining(client) > datetime.timedelta(minutes=30)

    def test_it_extends_even_within_the_minute(self, client, municipal_officer):
        log_in(client, municipal_officer.username)
        before = stored_session(client).expire_date
        time.sleep(1.1)
        assert client.get(reverse("keepalive")).status_code == 204
        assert stored_session(client).expire_date > before

    def test_an_ended_session_is_sent_to_the_login_page(self, client, municipal_officer):
        log_in(client, municipal_officer.username)
        age_session(client, 32)
        response = client.get(reverse("keepalive"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_anonymous_is_sent_to_the_login_page(self, client):
        response = client.get(reverse("keepalive"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_only_get(self, client, viewer):
        client.force_login(viewer)
        assert client.post(reverse("keepalive")).status_code == 405


# --- the session key at login ----------------------------------------------------------------------


class TestSessionKeyAtLogin:
    def test_the_key_changes_and_the_old_one_opens_nothing(self, viewer):
        client = Client()
        before = client.session  # a session from before the login (as an attacker could plant one)
        before["visited"] = True
        before.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key
        old_key = before.session_key

        log_in(client, viewer.username)

        new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert new_key != old_key
        assert int(signed_in_as(client)) == viewer.pk
        assert not Session.objects.filter(session_key=old_key).exists()
        planted = Client()
        planted.cookies[settings.SESSION_COOKIE_NAME] = old_key
        assert planted.get(reverse("plan:tree")).status_code == 302


# --- no-store ----------------------------------------------------------------------------------------


def cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    "url_name,kwargs",
    [
        ("home", {}),
        ("plan:tree", {}),
        ("plan:measure_detail", {"number": 86}),
        ("plan:progress_list", {}),
        ("indicators:overview", {}),
        ("meetings:meeting_list", {}),
        ("meetings:meeting_counts_download", {}),
        ("keepalive", {}),
    ],
)
def test_a_signed_in_users_pages_and_downloads_are_not_stored(client, viewer, url_name, kwargs):
    client.force_login(viewer)
    response = client.get(reverse(url_name, kwargs=kwargs))
    assert response.status_code in (200, 204)
    assert {"no-store", "private"} <= cache_control(response)


def test_the_progress_export_download_is_not_stored(client, plan_admin):
    from plan.models import Plan
    from plan.progress.services import progress_year_start

    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    client.force_login(plan_admin)
    response = client.get(reverse("plan:progress_export", kwargs={"year": 2025}))
    assert response.status_code == 200
    assert "attachment" in response.get("Content-Disposition", "")
    assert "no-store" in cache_control(response)


def test_a_redirect_for_a_signed_in_user_is_not_stored_either(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("municipalities:shared_status_latest"))
    assert response.status_code == 302
    assert "no-store" in cache_control(response)


def test_static_files_stay_cacheable(client, viewer):
    client.force_login(viewer)
    response = client.get(f"/{settings.STATIC_URL.strip('/')}/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in cache_control(response)


# --- CSRF on every POST ------------------------------------------------------------------------------

CSRF_REFUSED = "送信を受け付けられませんでした"  # templates/csrf_failure.html's heading


@pytest.fixture
def every_url(users):  # noqa: F811
    """Every named URL of the access table, with the sample objects it names."""
    urls = []
    for name, pattern in all_named_urls():
        if expected_for(name) is None:
            continue  # a URL missing from the table fails tests/test_access_table.py already
        kwargs = sample_kwargs(name, pattern)
        url = reverse(name, args=kwargs.values()) if name.endswith("_simple_history") else reverse(name, kwargs=kwargs)
        urls.append((name, url))
    return urls


@pytest.mark.parametrize("role", ["anonymous", "municipal_officer", "plan_admin", "case_handler"])
def test_every_post_without_its_csrf_token_is_refused(every_url, users, role):  # noqa: F811
    """A POST without the token is refused (403, the Japanese CSRF page) on every URL of the
    access table — the POST-only actions, the forms, the admin, the login form — whoever sends it,
    including the roles for whom the URL works (plan administrators; case_handler for case records)."""
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(users[role])
    # A real browser session with a CSRF cookie: only the token in the form is missing.
    client.get(reverse("login"))
    assert settings.CSRF_COOKIE_NAME in client.cookies
    wrong = []
    for name, url in every_url:
        response = client.post(url, {"anything": "x"})
        if response.status_code != 403 or CSRF_REFUSED not in response.content.decode():
            wrong.append(f"{name} {url}: {response.status_code}")
    assert wrong == [], "POSTs accepted without a CSRF token:\n" + "\n".join(wrong)
    assert len(every_url) > 100


def test_the_same_post_with_its_token_gets_past_the_check(viewer):
    """The control: the refusal above is the missing token, not the URL."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    page = client.get(reverse("password_change"))
    token = select_one(page, "form[data-logout] input[name=csrfmiddlewaretoken]").get("value")
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert signed_in_as(client) is None
