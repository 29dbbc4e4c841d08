"""Who may open every URL of the project, checked against the URL configuration itself.

Every named URL must have an entry in EXPECTED (or match an admin rule); a new page without one
fails `test_every_url_has_an_entry`, so each page declares who may see it.
"""

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from municipalities.models import Municipality
from plan.models import Measure

ROLES = ["anonymous", "viewer", "municipal_officer", "bureau_staff", "plan_admin", "case_handler"]

OK = "ok"
LOGIN = "login"  # redirected to a login page
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
NOT_ALLOWED = "method_not_allowed"  # GET on a POST-only view
REDIRECT = "redirect"  # redirected elsewhere than a login page


def everyone_signed_in(outcome=OK):
    return {"anonymous": LOGIN, **{role: outcome for role in ROLES[1:]}}


def only(*roles):
    return {"anonymous": LOGIN, **{role: OK if role in roles else FORBIDDEN for role in ROLES[1:]}}


PUBLIC = {role: OK for role in ROLES}

EXPECTED = {
    "home": everyone_signed_in(),
    "login": PUBLIC,
    "logout": everyone_signed_in(NOT_ALLOWED),  # signing out takes a POST
    "password_change": everyone_signed_in(),
    "password_change_done": everyone_signed_in(),
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,  # an invalid link shows an explanation, for anyone
    "password_reset_complete": PUBLIC,
    # --- security: session keepalive ---
    # 204 No Content for any signed-in user (session-timeout.js's 「ログインを延長する」).
    "keepalive": everyone_signed_in("204"),
    # --- end security: session keepalive ---
    "plan:tree": everyone_signed_in(),
    "plan:measure_detail": everyone_signed_in(),
    # --- issue 13: a measure's full history and meetings, as its page ---
    "plan:measure_history": everyone_signed_in(),
    "meetings:measure_meetings": everyone_signed_in(),
    # --- end issue 13 ---
    "plan:search": everyone_signed_in(),
    "plan:inferred_headings": only("plan_admin"),
    "plan:inferred_heading_review": only("plan_admin"),
    # progress URLs
    "plan:progress_list": everyone_signed_in(),
    # Bureau staff edit their own departments' measures; the sample (No. 86) is 福祉局's.
    "plan:progress_edit": only("plan_admin", "bureau_staff", "case_handler"),
    "plan:progress_years": only("plan_admin"),
    "plan:progress_export": only("plan_admin"),
    "plan:progress_import": only("plan_admin"),
    "plan:progress_import_confirm": {**only("plan_admin"), "plan_admin": NOT_ALLOWED},  # POST only
    "plan:responsibilities": only("plan_admin"),
    # Progress records are made by starting a year and never deleted; responsibilities are
    # confirmed on their own page, so the admin shows them read-only.
    "admin:plan_measureprogress_add": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    "admin:plan_measureprogress_delete": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    "admin:plan_measureresponsibility_add": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    "admin:plan_measureresponsibility_delete": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    # --- returns: officer pages ---
    # The sample is 新宿区's submitted return: its officer and the secretariat (which may enter on the
    # municipality's behalf) open it; those who see no returns at all are refused (403). Another
    # municipality's officer gets 404: tests/municipalities/test_officer_pages.py.
    "municipalities:officer_return": only("municipal_officer", "plan_admin"),
    "municipalities:officer_return_withdraw": everyone_signed_in(NOT_ALLOWED),  # POST only
    "municipalities:officer_returns": only("municipal_officer"),
    # --- end returns: officer pages ---
    # --- returns: secretariat pages ---
    # Plan administrators only; the POST-only actions answer a GET with 405 (after the role check).
    **{
        f"municipalities:review_{page}": only("plan_admin")
        for page in ("rounds", "round", "round_close", "round_reopen", "round_matrix", "return", "municipality")
    },
    **{
        f"municipalities:review_{page}": {**only("plan_admin"), "plan_admin": NOT_ALLOWED}
        for page in ("round_accept", "send_back", "accept", "reopen")
    },
    # --- end returns: secretariat pages ---
    # --- returns: Excel returns ---
    # The template download and the upload (GET form, POST file, POST confirm): plan administrators
    # only, the municipality's own officers included among those refused (403). The sample is
    # 新宿区's submitted return: its template downloads, its upload page explains that it is locked.
    "municipalities:review_return_template": only("plan_admin"),
    "municipalities:review_return_upload": only("plan_admin"),
    # --- end returns: Excel returns ---
    # --- returns: sharing back ---
    # The shared status and the published good practices are for every role (the metropolis' own
    # published information); writing practices, and their drafts, for plan administrators only.
    # An account without a role is refused: tests/municipalities/test_sharing.py.
    "municipalities:shared_status_latest": everyone_signed_in(REDIRECT),
    "municipalities:shared_status": everyone_signed_in(),
    "municipalities:shared_practices": everyone_signed_in(),
    "municipalities:review_practice_create": only("plan_admin"),
    "municipalities:review_practice_edit": only("plan_admin"),
    # --- end returns: sharing back ---
    # --- returns: reminders ---
    # The confirmation page (GET) and sending (POST): plan administrators only.
    "municipalities:review_round_remind": only("plan_admin"),
    # --- end returns: reminders ---
    # meetings URLs
    "meetings:meeting_list": everyone_signed_in(),
    "meetings:meeting_calendar": everyone_signed_in(),
    "meetings:meeting_counts": everyone_signed_in(),  # case reviews as counts only, for everyone
    "meetings:meeting_counts_download": everyone_signed_in(),
    "meetings:meeting_detail": everyone_signed_in(),
    "meetings:meeting_create": only("plan_admin"),
    "meetings:meeting_edit": only("plan_admin"),
    # The sample is a closed committee meeting: municipal officers read only open meetings' minutes.
    "meetings:minutes_file": {**everyone_signed_in(), "municipal_officer": FORBIDDEN},
    "meetings:follow_up_list": everyone_signed_in(),
    "meetings:follow_up_done": everyone_signed_in(NOT_ALLOWED),  # POST only (and plan_admin only)
    "meetings:body_detail": everyone_signed_in(),
    "meetings:organization_list": everyone_signed_in(),
    "meetings:organization_detail": everyone_signed_in(),  # a provider's page is 404 for most: tests/meetings
    "meetings:organization_create": only("plan_admin"),
    "meetings:organization_edit": only("plan_admin"),
    "meetings:organization_merge": only("plan_admin"),
    # --- issue 13: the meeting form's organisation search ---
    # As the organisation list: every role, names masked and providers never found for those who
    # may not see their names (tests/meetings/test_organization_search.py).
    "meetings:organization_search": everyone_signed_in(),
    # --- end issue 13: organisation search ---
    # Case records: the case permission only, a 404 (not 403) for everyone else, plan_admin included.
    **{
        f"meetings:case_review_{page}": {
            **{role: NOT_FOUND for role in ROLES},
            "anonymous": LOGIN,
            "case_handler": OK,
        }
        for page in ("list", "create", "edit", "download")
    },
    # The merge log is written by the merge only and never edited or deleted.
    "admin:meetings_organizationmerge_add": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    "admin:meetings_organizationmerge_delete": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN},
    # annual returns: made by opening a round and never deleted (nor are rounds); the transition and
    # reminder logs are written by the services only.
    **{
        f"admin:municipalities_{page}": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN}
        for page in (
            "annualreturn_add",
            "annualreturn_delete",
            "returnround_delete",
            "returntransition_add",
            "returntransition_delete",
            "returnreminder_add",
            "returnreminder_delete",
            "goodpractice_delete",  # taken back to a draft, never deleted
        )
    },
    # --- indicators: pages ---
    # Every role reads the figures (an account without a role is refused: tests/indicators/test_pages.py).
    "indicators:overview": everyone_signed_in(),
    "indicators:detail": everyone_signed_in(),
    # --- end indicators: pages ---
    # --- indicators: admin ---
    # Entered values are taken back by emptying them, closings and the center's figures stay: none
    # is deleted (the six indicators themselves are in ADMIN_FOR_PLAN_ADMIN_EXCEPTIONS).
    **{
        f"admin:indicators_{page}": {**{role: LOGIN for role in ROLES}, "plan_admin": FORBIDDEN}
        for page in ("indicatorvalue_delete", "fiscalyearclosure_delete", "metrotrainedworkers_delete")
    },
    # --- end indicators: admin ---
    # --- briefing workbook (issue 12) ---
    # The sample is the public form: the secretariat and viewers; the members' form is the
    # secretariat's only (tests/test_briefing.py).
    "briefing_download": only("viewer", "plan_admin"),
    # --- end briefing workbook ---
    # --- list exports (issue 12 item 6) ---
    # The lists' downloads have their list's access: progress, meetings and organisations for every
    # role (a viewer gets the publication form); the round's returns for the secretariat; an
    # officer's own returns for the officer (tests/test_list_exports.py).
    "plan:progress_list_export": everyone_signed_in(),
    "meetings:meeting_list_export": everyone_signed_in(),
    "meetings:organization_list_export": everyone_signed_in(),
    "municipalities:review_round_export": only("plan_admin"),
    "municipalities:officer_returns_export": only("municipal_officer"),
    # --- end list exports ---
    # --- print and help (issue 12 item 4, issue 15 item 7) ---
    # The briefing's print view follows the download's rule: the secretariat (members' form) and
    # viewers (public form); tests/test_print_pages.py.
    "briefing_print": only("viewer", "plan_admin"),
    # 操作ガイド: every role reads every guide (they explain the screens); tests/test_help_pages.py.
    "help": everyone_signed_in(),
    "help_topic": everyone_signed_in(),
    # --- end print and help ---
    # --- accessibility policy (issue 14 item 8) ---
    # ウェブアクセシビリティ方針: public, like any public body's; tests/test_accessibility_page.py.
    "accessibility": PUBLIC,
    # --- end accessibility policy ---
}

# Admin pages: only plan administrators get in; everyone else is sent to a login page.
# For a plan administrator some admin pages refuse on purpose (accounts and roles are never deleted,
# the six indicators are fixed), and the admin's logout takes POST only.
ADMIN_FOR_PLAN_ADMIN_EXCEPTIONS = {
    "admin:plan_user_delete": FORBIDDEN,
    "admin:auth_group_add": FORBIDDEN,
    "admin:auth_group_delete": FORBIDDEN,
    "admin:indicators_indicator_add": FORBIDDEN,
    "admin:indicators_indicator_delete": FORBIDDEN,
    "admin:logout": NOT_ALLOWED,
    "admin:autocomplete": FORBIDDEN,  # refuses a request without its query parameters
    "admin:login": REDIRECT,  # already signed in: on to the admin index
    "admin:view_on_site": NOT_FOUND,  # no model here has a public page of its own
    # The case permission: its grant/revoke page is for system operators (superusers)
    # only, and its log is written by plan.accounts.services only.
    "admin:plan_user_case_permission": FORBIDDEN,
    "admin:plan_casepermissionchange_add": FORBIDDEN,
    "admin:plan_casepermissionchange_delete": FORBIDDEN,
    # Lockout records are written by the login throttle only.
    "admin:axes_accessattempt_add": FORBIDDEN,
    "admin:axes_accessfailurelog_add": FORBIDDEN,
    "admin:axes_accesslog_add": FORBIDDEN,
}


def admin_expectation(name):
    expected = {role: LOGIN for role in ROLES if role != "plan_admin"}
    expected["plan_admin"] = ADMIN_FOR_PLAN_ADMIN_EXCEPTIONS.get(name, OK)
    if name.endswith("_process_import"):
        expected["plan_admin"] = NOT_ALLOWED  # the second step of an import takes the form's POST
    if name == "admin:logout":
        # The admin sends a signed-in user without the right back to its index (and so to login).
        expected.update({role: REDIRECT for role in ROLES if role not in ("plan_admin", "anonymous")})
    if name == "admin:login":
        # The admin's login form itself is open to all; a signed-in user without the right sees it
        # with a message, never an admin page.
        expected.update({role: OK for role in ROLES if role != "plan_admin"})
    return expected


def all_named_urls(patterns=None, namespace=""):
    """(full name, URL pattern) for every named URL in the project."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += all_named_urls(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{namespace}{entry.name}", entry.pattern))
    return sorted(set(found), key=lambda item: item[0])


def sample_kwargs(name, pattern):
    """Arguments that make a real URL: an existing object wherever the URL names one."""
    converters = list(getattr(pattern, "converters", {}) or pattern.regex.groupindex)
    if name.endswith("_simple_history"):
        # django-simple-history's page for one past version: /<object_id>/history/<history_id>/
        converters = ["object_id", "history_id"]
    if not converters:
        return {}
    if name in ("plan:measure_detail", "plan:measure_history", "meetings:measure_meetings"):  # issue 13
        return {"number": 86}
    if name == "plan:inferred_heading_review":
        return {"number": 85}
    if name == "password_reset_confirm":
        return {"uidb64": "MQ", "token": "invalid-token"}
    # sample kwargs: progress
    if name.startswith(("plan:progress_", "admin:plan_measureprogress_")):
        from plan.models import Plan
        from plan.progress.services import progress_year_start

        progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)  # idempotent
    if name == "plan:progress_edit":
        return {"year": 2025, "number": 86}
    if name == "plan:progress_export":
        return {"year": 2025}
    # sample kwargs: meetings
    if name.startswith(("meetings:", "admin:meetings_")):
        from tests.meetings.samples import ensure_samples, meetings_sample_kwargs

        ensure_samples()  # idempotent: the admin pages need the rows too
        if name.startswith("meetings:"):
            return meetings_sample_kwargs(name)
    # sample kwargs: annual returns
    if name.startswith(("admin:municipalities_annualreturn_", "admin:municipalities_return", "admin:municipalities_training")):
        from tests.municipalities.samples import ensure_return_samples

        ensure_return_samples()  # idempotent
    # --- sample kwargs: returns' officer pages ---
    if name.startswith("municipalities:officer_return_") or name == "municipalities:officer_return":
        from tests.municipalities.samples import ensure_return_samples

        samples = ensure_return_samples()  # idempotent: a round with 新宿区's return submitted
        return {"pk": samples["round"].returns.get(municipality__name="新宿区").pk}
    # --- end sample kwargs: returns' officer pages ---
    # --- sample kwargs: returns' sharing back ---
    if name.startswith(("municipalities:shared_", "municipalities:review_practice_", "admin:municipalities_goodpractice_")):
        from tests.municipalities.sharing_samples import ensure_practice_samples

        samples = ensure_practice_samples()  # idempotent: 港区's accepted return and a published practice
        values = {
            "year": samples["round"].fiscal_year,
            "pk": (
                samples["practice"].pk
                if name == "municipalities:review_practice_edit"
                else samples["practice"].annual_return_id
            ),
        }
        if name.startswith("municipalities:"):
            return {converter: values[converter] for converter in converters}
    # --- end sample kwargs: returns' sharing back ---
    # --- sample kwargs: returns' secretariat pages ---
    if name.startswith("municipalities:review_"):
        from tests.municipalities.samples import ensure_return_samples

        samples = ensure_return_samples()  # idempotent: a round with 新宿区's return submitted
        values = {
            "year": samples["round"].fiscal_year,
            "pk": samples["round"].returns.get(municipality__name="新宿区").pk,
            "code": Municipality.objects.get(name="新宿区").code,
        }
        return {converter: values[converter] for converter in converters}
    # --- end sample kwargs: returns' secretariat pages ---
    # --- sample kwargs: indicators ---
    if name.startswith("admin:indicators_"):
        from tests.indicators.samples import ensure_indicator_samples

        ensure_indicator_samples()  # idempotent: FY2024 closed, a value entered for FY2025
    # --- end sample kwargs: indicators ---
    # --- sample kwargs: indicators' pages ---
    if name == "indicators:detail":
        return {"number": 2}
    # --- end sample kwargs: indicators' pages ---
    # --- sample kwargs: briefing workbook ---
    if name == "briefing_download":
        return {"year": 2025, "form": "public"}
    # --- end sample kwargs: briefing workbook ---
    # --- sample kwargs: print and help ---
    if name == "briefing_print":
        return {"year": 2025}
    if name == "help_topic":
        return {"topic": "progress"}
    # --- end sample kwargs: print and help ---
    if name == "admin:app_list":
        return {"app_label": "plan"}
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return {"content_type_id": ContentType.objects.get_for_model(Municipality).pk, "object_id": "1"}
    model_admin = admin_model_for(name)
    obj = model_admin.model._default_manager.order_by("pk").first()
    assert obj is not None, f"{name}: make a sample {model_admin.model.__name__} in the `users` fixture"
    kwargs = {}
    for converter in converters:
        if converter in ("object_id", "id"):
            kwargs[converter] = obj.pk
        elif converter == "history_id":
            kwargs[converter] = obj.history.order_by("history_id").first().history_id
        else:
            raise AssertionError(f"no sample value for <{converter}> in {name}")
    return kwargs


def admin_model_for(name):
    # Django's UserAdmin names its password URL after auth.User whatever the user model is.
    url_name = name.removeprefix("admin:").replace("auth_user_", "plan_user_")
    for model, model_admin in admin_site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if url_name.startswith(prefix):
            return model_admin
    raise AssertionError(f"{name}: no registered model admin")


def outcome(response):
    if response.status_code == 200:
        return OK
    if response.status_code in (301, 302):
        path = urlparse(response["Location"]).path
        login_paths = {reverse(settings.LOGIN_URL), reverse("admin:login")}
        return LOGIN if path in login_paths else REDIRECT
    return {403: FORBIDDEN, 404: NOT_FOUND, 405: NOT_ALLOWED}.get(response.status_code, str(response.status_code))


def expected_for(name):
    if name in EXPECTED:
        return EXPECTED[name]
    if name.startswith("admin:"):
        return admin_expectation(name)
    return None


def test_every_url_has_an_entry():
    missing = [name for name, _ in all_named_urls() if expected_for(name) is None]
    assert missing == [], f"URLs with no entry in the access table: {missing}"


def test_every_entry_is_a_real_url():
    names = {name for name, _ in all_named_urls()}
    assert set(EXPECTED) - names == set()
    assert set(ADMIN_FOR_PLAN_ADMIN_EXCEPTIONS) - names == set()


@pytest.fixture
def users(viewer, municipal_officer, bureau_staff, plan_admin, case_handler):
    # One failed and one successful sign-in give the login-throttling admin pages a row each.
    login = reverse("login")
    Client().post(login, {"username": "nobody", "password": "wrong-password"})
    Client().post(login, {"username": viewer.username, "password": "correct-horse-battery"})
    return {
        "anonymous": None,
        "viewer": viewer,
        "municipal_officer": municipal_officer,
        "bureau_staff": bureau_staff,
        "plan_admin": plan_admin,
        "case_handler": case_handler,
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(client, users, role):
    assert Measure.objects.filter(number=86).exists()
    if users[role] is not None:
        client.force_login(users[role])
    wrong = []
    for name, pattern in all_named_urls():
        kwargs = sample_kwargs(name, pattern)
        url = reverse(name, args=kwargs.values()) if name.endswith("_simple_history") else reverse(name, kwargs=kwargs)
        got = outcome(client.get(url))
        want = expected_for(name)[role]
        if got != want:
            wrong.append(f"{name} {url}: expected {want}, got {got}")
    assert wrong == [], "\n".join(wrong)
