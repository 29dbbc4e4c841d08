"""Security headers and cookies (docs/security.md): the Content-Security-Policy and the headers that
need no HTTPS on every response in every environment; HSTS, the HTTPS redirect and Secure cookies
with production settings (run in a separate process with DJANGO_ENV=production, as deployed);
`check --deploy` clean; and pages with nothing the CSP would block (inline scripts, style
attributes, event-handler attributes)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.html import parse, select
from tests.test_access_table import (
    all_named_urls,
    expected_for,
    sample_kwargs,
    users,  # noqa: F401 (a fixture: the access table's cast and sample rows)
)

PRODUCTION_HOST = "plan.example.metro.tokyo.lg.jp"
PRODUCTION_ENVIRONMENT = {
    "DJANGO_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "test-only-" + "x" * 60,
    "ALLOWED_HOSTS": f"{PRODUCTION_HOST},testserver",
}


def csp_directives(header):
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_csp(directives):
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in directives.values() for value in values)
    assert "style-src-attr" not in directives  # no exception for style attributes


# --- every environment ------------------------------------------------------------------------------


class TestHeadersInDevelopmentAndTests:
    @pytest.mark.parametrize("url_name", ["login", "password_reset"])
    def test_public_pages(self, client, db, url_name):
        response = client.get(reverse(url_name))
        self.assert_headers(response)

    @pytest.mark.parametrize(
        "url_name,kwargs",
        [
            ("home", {}),
            ("plan:tree", {}),
            ("plan:measure_detail", {"number": 86}),
            ("indicators:detail", {"number": 2}),
            ("meetings:meeting_counts_download", {}),
        ],
    )
    def test_signed_in_pages_and_downloads(self, client, viewer, url_name, kwargs):
        client.force_login(viewer)
        self.assert_headers(client.get(reverse(url_name, kwargs=kwargs)))

    def test_an_error_page(self, client, viewer):
        client.force_login(viewer)
        response = client.get("/plan/no-such-page/")
        assert response.status_code == 404
        self.assert_headers(response)

    @staticmethod
    def assert_headers(response):
        assert response.status_code in (200, 404)
        assert_csp(csp_directives(response["Content-Security-Policy"]))
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_cookies_are_http_only_and_same_site_everywhere(client, viewer):
    client.get(reverse("login"))  # the login form sets the CSRF cookie
    response = client.post(reverse("login"), {"username": viewer.username, "password": "correct-horse-battery"})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


# --- nothing inline for the CSP to block -------------------------------------------------------------

EVENT_HANDLER_PREFIX = "on"
# Inline code in other packages' admin templates, which the policy blocks on purpose: cosmetic style
# attributes (django-simple-history's history list, django-import-export's export page), and the
# export page's select-all handler, attached again by static/js/admin-export-select-all.js.
THIRD_PARTY_ADMIN_INLINE = {
    "<p style='border-top: 0'>",
    "<p style='padding: 0;'>",
    "<label style='font-weight: bold;'>",
    "<input onchange=…>",
}


def inline_code(html):
    """What the CSP (no 'unsafe-inline') would block on a page: <script> without src, <style>,
    style="…" and on…="…" attributes, javascript: URLs."""
    found = []
    stack = [parse(html)]
    while stack:
        element = stack.pop()
        for child in element.elements:
            stack.append(child)
            attributes = child.attrs
            if child.tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
                found.append("<script> without src")
            if child.tag == "style":
                found.append("<style>")
            for name, value in attributes.items():
                if name == "style":
                    found.append(f"<{child.tag} style={value!r}>")
                elif name.startswith(EVENT_HANDLER_PREFIX):
                    found.append(f"<{child.tag} {name}=…>")
                elif name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                    found.append(f"<{child.tag} {name}=javascript:…>")
    return found


@pytest.mark.parametrize("role", ["municipal_officer", "bureau_staff", "plan_admin", "case_handler"])
def test_no_page_has_inline_scripts_styles_or_handlers(client, users, role):  # noqa: F811
    """Every page of the access table that the role may open, the admin included: the CSP allows
    no inline code, so any left in a template would be blocked (or look broken) in the browser."""
    client.force_login(users[role])
    checked = 0
    wrong = []
    for name, pattern in all_named_urls():
        if expected_for(name) is None:
            continue  # a URL missing from the table fails tests/test_access_table.py already
        kwargs = sample_kwargs(name, pattern)
        url = reverse(name, args=kwargs.values()) if name.endswith("_simple_history") else reverse(name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        checked += 1
        for problem in inline_code(response.content.decode()):
            if name.startswith("admin:") and problem in THIRD_PARTY_ADMIN_INLINE:
                continue
            wrong.append(f"{name} {url}: {problem}")
    assert checked > 20
    assert wrong == [], "\n".join(sorted(set(wrong)))


# --- production -------------------------------------------------------------------------------------


def run_in_production(code):
    # Not the test run's own overrides (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which
    # check --deploy rightly refuses): production's settings as deployed.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE") and not key.startswith(("SECURE_", "SESSION_"))
    }
    environment.update(PRODUCTION_ENVIRONMENT, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_check_deploy_is_clean_with_production_values():
    result = run_in_production(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    assert "no issues" in result.stdout


# Runs in a separate process with production settings: an in-memory test database, a user, a sign-in
# over HTTPS (as the proxy reports it), and the headers and cookies of the responses.
PRODUCTION_REQUESTS = """
import json
import django
django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings, setup_test_environment

setup_test_environment()
# Production's static storage needs collectstatic's manifest, made at deployment: not the point here.
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
).enable()
connection.creation.create_test_db(verbosity=0, autoclobber=True)
from plan.models import User

User.objects.create_user(username="prod-check", password="correct-horse-battery", email="p@example.jp")
https = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "PRODUCTION_HOST"}
client = Client()
plain = client.get("/accounts/login/", HTTP_HOST="PRODUCTION_HOST")
login_page = client.get("/accounts/login/", **https)
signed_in = client.post(
    "/accounts/login/", {"username": "prod-check", "password": "correct-horse-battery"}, **https
)


def cookie(response, name):
    morsel = response.cookies[name]
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"]}


print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "login_headers": dict(login_page.headers),
    "signed_in_status": signed_in.status_code,
    "session_cookie": cookie(signed_in, settings.SESSION_COOKIE_NAME),
    "csrf_cookie": cookie(login_page, settings.CSRF_COOKIE_NAME),
}))
""".replace("PRODUCTION_HOST", PRODUCTION_HOST)


@pytest.fixture(scope="module")
def production():
    return json.loads(run_in_production(PRODUCTION_REQUESTS).stdout.strip().splitlines()[-1])


class TestProduction:
    def test_plain_http_is_sent_to_https(self, production):
        assert production["plain_status"] == 301
        assert production["plain_location"] == f"https://{PRODUCTION_HOST}/accounts/login/"

    def test_hsts(self, production):
        hsts = production["login_headers"]["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts

    def test_the_other_headers(self, production):
        headers = production["login_headers"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert_csp(csp_directives(headers["Content-Security-Policy"]))

    def test_cookies_are_secure_http_only_and_same_site(self, production):
        assert production["signed_in_status"] == 302
        assert production["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
        assert production["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_the_admin_export_page_attaches_its_select_all_handler_by_script(client, plan_admin):
    """django-import-export's 「すべて選択」 uses an inline onchange the policy blocks; our script attaches it."""
    client.force_login(plan_admin)
    page = client.get(reverse("admin:plan_measure_export"))
    assert page.status_code == 200
    sources = [script.get("src", "") for script in select(page, "script")]
    assert any(src.endswith("/js/admin-export-select-all.js") for src in sources)
    assert any(src.endswith("import_export/export_selectable_fields.js") for src in sources)
