"""Bad requests never give a server error: a wrong `next`, ids that no row can have, lookups
out of range, NUL characters and 20-digit choices each get a 404, the admin's "incorrect lookup"
redirect, a 400 or a form error, on SQLite and on PostgreSQL alike.

The admin URLs are built from the admin's own registry, so a new admin is covered without a change here.
"""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.admin.views.main import ERROR_FLAG
from django.db import models
from django.test import Client
from django.urls import URLPattern, reverse
from django.urls.resolvers import RegexPattern

from meetings.models import Meeting
from plan.models import MeasureProgress, MeasureResponsibility, Plan
from plan.progress.services import progress_year_start
from tests.factories import UserFactory
from tests.html import select_one, text_of
from tests.indicators.samples import ensure_indicator_samples  # indicators
from tests.meetings.helpers import meeting_post
from tests.meetings.samples import ensure_samples
from tests.municipalities.samples import ensure_return_samples
from tests.municipalities.sharing_samples import ensure_practice_samples

BIG = "99999999999999999999"  # 20 digits: more than any integer column holds
HUGE_YEAR = "99999999999"  # beyond what Python's dates hold
BAD_IDS = ["abc", BIG]
ROLES = ["plan_admin", "superuser"]

# `<date>__gte=0001-01-01` on a date-time field is meant to be naive; Django warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")


@pytest.fixture
def samples(settings, tmp_path, plan_admin):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_samples()  # a row (and its history) for every meetings admin
    ensure_return_samples()  # and for every returns admin
    ensure_practice_samples()  # and for the good practices' admin
    ensure_indicator_samples()  # indicators: and for the indicators' admins
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    # One failed and one successful sign-in give the login-throttling admin pages a row each.
    Client().post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    Client().post(reverse("login"), {"username": plan_admin.username, "password": "correct-horse-battery"})


@pytest.fixture(params=ROLES)
def admin_client(request, client, plan_admin, samples):
    user = plan_admin
    if request.param == "superuser":
        user = request.getfixturevalue("system_operator")
    client.force_login(user)
    client.raise_request_exception = False  # a server error is reported with the others, as a 500
    return client


def model_admins():
    return sorted(admin_site._registry.items(), key=lambda item: item[0]._meta.label)


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def url_patterns_with_ids(model_admin):
    """Each of the model admin's URL patterns that takes arguments, with the number it takes."""
    for pattern in model_admin.get_urls():
        if not isinstance(pattern, URLPattern):
            continue
        if isinstance(pattern.pattern, RegexPattern):
            count = pattern.pattern.regex.groups
        else:
            count = len(pattern.pattern.converters)
        if count:
            yield pattern, count


def fill(pattern, values):
    """The path of `pattern` (relative to the model's changelist) with `values` in its arguments."""
    values = iter(values)
    if isinstance(pattern.pattern, RegexPattern):
        route = pattern.pattern._regex.removeprefix("^").removesuffix("$")
        return re.sub(r"\([^)]*\)", lambda _: next(values), route)
    return re.sub(r"<[^>]+>", lambda _: next(values), str(pattern.pattern))


def bad_argument_sets(model, count):
    if count == 1:
        return [[bad] for bad in BAD_IDS]
    # django-simple-history's page for one past version: /<object_id>/history/<history_id>/
    assert count == 2, f"{model.__name__}: an admin URL with {count} arguments; teach this test its values"
    obj = model._default_manager.order_by("pk").first()
    history_id = str(obj.history.order_by("history_id").first().history_id)
    return (
        [[bad, bad] for bad in BAD_IDS]
        + [[str(obj.pk), bad] for bad in BAD_IDS]
        + [[bad, history_id] for bad in BAD_IDS]
    )


def admin_object_urls():
    for model, model_admin in model_admins():
        for pattern, count in url_patterns_with_ids(model_admin):
            for values in bad_argument_sets(model, count):
                yield changelist_url(model) + fill(pattern, values)


def test_every_admin_page_for_one_object_answers_404_to_an_id_no_row_can_have(admin_client):
    wrong = []
    urls = list(admin_object_urls())
    assert len(urls) > 100  # the registry was read
    assert any("/history/abc/" in url for url in urls)  # simple_history's page for one version
    for url in urls:
        # follow: the bare /<id>/ URL redirects to the change page, which must then be a 404.
        response = admin_client.get(url, follow=True)
        if response.status_code != 404:
            wrong.append(f"{url}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)


def test_a_real_object_still_opens(admin_client):
    """The check on ids lets real ones through: the change, history and version pages of a measure."""
    measure = MeasureProgress.objects.order_by("pk").first().measure
    history_id = measure.history.order_by("history_id").first().history_id
    base = reverse("admin:plan_measure_change", args=[measure.pk]).removesuffix("change/")
    for path in ("change/", "history/", f"history/{history_id}/"):
        assert admin_client.get(base + path).status_code == 200, path
    user = UserFactory()
    assert admin_client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 200


def test_a_20_digit_choice_in_an_admin_form_or_action_is_a_bad_request(admin_client):
    """A many-to-many choice or an action's selected row beyond the database's range: a 400, and
    nothing saved."""
    from plan.models import Department, User

    user = UserFactory(username="changed-in-the-admin", last_name="元の姓")
    change = reverse("admin:plan_user_change", args=[user.pk])
    data = {"username": user.username, "last_name": "新しい姓", "is_active": "on", "departments": [BIG]}
    response = admin_client.post(change, data)
    if response.status_code == 200:
        # PostgreSQL compares the id as a number and finds no row: Django's "invalid choice".
        assert "departments" in response.context["adminform"].form.errors
    else:
        assert response.status_code == 400  # SQLite cannot bind it: the 400 page
    user.refresh_from_db()
    assert user.last_name == "元の姓"

    departments = Department.objects.count()
    response = admin_client.post(
        reverse("admin:plan_department_changelist"), {"action": "delete_selected", "_selected_action": [BIG]}
    )
    assert response.status_code in (200, 302, 400)
    assert Department.objects.count() == departments
    assert User.objects.filter(pk=user.pk).exists()


def date_fields(model):
    return [field.name for field in model._meta.concrete_fields if isinstance(field, models.DateField)]


def integer_fields(model):
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.IntegerField) or (field.many_to_one and field.concrete)
    ]


def text_fields(model):
    return [field.name for field in model._meta.concrete_fields if isinstance(field, models.CharField)]


def list_filter_paths(model_admin):
    paths = []
    for item in model_admin.list_filter:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, (tuple, list)):
            paths.append(item[0])
    return paths


def out_of_range_year_queries(model, model_admin):
    """`<field>__year=99999999999` for every date field, the changelist's own filters included."""
    return [f"{name}__year={HUGE_YEAR}" for name in date_fields(model)]


def other_bad_queries(model, model_admin):
    queries = []
    for name in date_fields(model):
        queries += [
            f"{name}__year={BIG}",
            f"{name}__year__gte={HUGE_YEAR}",
            f"{name}__year__in={BIG}",
            f"{name}__month={BIG}",
            f"{name}__day={HUGE_YEAR}",
            f"{name}=abc",
            f"{name}__gte=0001-01-01",
        ]
    for name in text_fields(model)[:1]:
        queries += [f"{name}__regex=(", f"{name}__iregex=[", f"{name}__startswith=%25"]
    for name in integer_fields(model):
        queries += [
            f"{name}={BIG}",
            f"{name}__in=1,{BIG}",
            f"{name}__gt={BIG}",
            f"{name}__lt=-{BIG}",
            f"{name}=abc",
        ]
    for path in list_filter_paths(model_admin):
        queries += [f"{path}={BIG}", f"{path}__in={BIG}"]
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        queries += [
            f"{field}__year=2025&{field}__month={HUGE_YEAR}",
            f"{field}__year=2025&{field}__month=1&{field}__day={BIG}",
            f"{field}__year=2025&{field}__month=13",
        ]
    return queries


def is_error_redirect(response, url):
    return response.status_code == 302 and response["Location"] == f"{urlparse(url).path}?{ERROR_FLAG}=1"


def test_an_out_of_range_year_gives_the_admins_incorrect_lookup_redirect(admin_client):
    wrong = []
    checked = 0
    for model, model_admin in model_admins():
        url = changelist_url(model)
        if admin_client.get(url).status_code != 200:
            continue  # e.g. the case reviews without the case permission: a 404 whatever the query
        for query in out_of_range_year_queries(model, model_admin):
            checked += 1
            response = admin_client.get(f"{url}?{query}")
            if not is_error_redirect(response, url):
                wrong.append(f"{url}?{query}: {response.status_code} {response.get('Location', '')}")
    assert checked > 20  # the login-throttling changelists among them
    assert wrong == [], "\n".join(wrong)


def test_the_login_throttling_changelists_are_among_those_checked(admin_client):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        url = changelist_url(model)
        response = admin_client.get(f"{url}?attempt_time__year={HUGE_YEAR}")
        assert is_error_redirect(response, url), url
        # The date hierarchy's own links: year, month and day out of range.
        for query in (
            f"attempt_time__year=2025&attempt_time__month={HUGE_YEAR}",
            f"attempt_time__year=2025&attempt_time__month=1&attempt_time__day={BIG}",
        ):
            assert is_error_redirect(admin_client.get(f"{url}?{query}"), url), query


def test_other_out_of_range_lookups_never_give_a_server_error(admin_client):
    """Each answers the changelist (no rows), the incorrect-lookup redirect, or 400 for a lookup the
    admin does not allow; never a 500."""
    wrong = []
    for model, model_admin in model_admins():
        url = changelist_url(model)
        plain = admin_client.get(url).status_code
        for query in other_bad_queries(model, model_admin):
            response = admin_client.get(f"{url}?{query}")
            if plain != 200:
                ok = response.status_code == plain
            else:
                ok = response.status_code in (200, 400) or is_error_redirect(response, url)
            if not ok:
                wrong.append(f"{url}?{query}: {response.status_code} {response.get('Location', '')}")
    assert wrong == [], "\n".join(wrong)


def test_the_incorrect_lookup_redirect_shows_the_plain_changelist(admin_client):
    url = changelist_url(Meeting)
    response = admin_client.get(f"{url}?date__year={HUGE_YEAR}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{url}?{ERROR_FLAG}=1", 302)]


def test_a_nul_character_in_search_or_filters_is_a_bad_request(admin_client):
    wrong = []
    for model, model_admin in model_admins():
        url = changelist_url(model)
        queries = ["q=%00", "q=a%00b"] + [f"{path}=%00" for path in list_filter_paths(model_admin)[:1]]
        for query in queries:
            response = admin_client.get(f"{url}?{query}")
            if response.status_code != 400:
                wrong.append(f"{url}?{query}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)


def test_a_nul_character_anywhere_is_a_bad_request_with_a_japanese_page(admin_client):
    measure_change = reverse("admin:plan_measure_change", args=[1])
    for response in (
        admin_client.get(measure_change.replace("/1/", "/%00/")),
        admin_client.get(reverse("plan:search"), {"q": "トー横\x00"}),
        admin_client.get(reverse("meetings:organization_list"), {"q": "\x00"}),
        admin_client.post(reverse("meetings:meeting_create"), meeting_post(title="会議\x00")),
        admin_client.get(reverse("plan:search"), {"\x00": "1"}),
    ):
        assert response.status_code == 400
        assert "リクエスト" in text_of(response)
    assert not Meeting.objects.filter(title__startswith="会議").exists()


# --- `next` after saving ---------------------------------------------------------------------------


@pytest.fixture
def progress_client(client, bureau_staff):
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    client.force_login(bureau_staff)
    return client


def post_progress(client, next_value, version):
    url = reverse("plan:progress_edit", args=[2025, 86])
    data = {"expected_version": version, "assessment": "on_track", "direction": "continue"}
    data |= {"achievements": f"実施した（{version}）", "issues": "", "next_steps": ""}
    return client.post(url, data, query_params={"next": next_value})


UNSAFE_NEXT = [
    "abc",  # a bare word: was taken for a URL name, and the redirect failed
    "plan/progress/",  # relative
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "/\t/evil.example/",  # browsers drop the tab: "//evil.example/"
    "\\\\evil.example/",
    "https://evil.example/",
    "http://testserver/plan/",  # our own host, but not a path
    "javascript:alert(1)",
    " /plan/",
]


def test_progress_edit_ignores_a_next_that_is_not_a_local_path(progress_client):
    measure_page = reverse("plan:measure_detail", args=[86])
    for version, next_value in enumerate(UNSAFE_NEXT, start=1):
        response = post_progress(progress_client, next_value, version)
        assert response.status_code == 302, next_value
        assert response["Location"] == measure_page, next_value
        assert MeasureProgress.objects.get(measure__number=86, fiscal_year=2025).version == version + 1


def test_progress_edit_follows_a_local_next(progress_client):
    back = reverse("plan:progress_list") + "?year=2025&mine=1"
    response = post_progress(progress_client, back, 1)
    assert response.status_code == 302 and response["Location"] == back


def test_responsibilities_ignore_a_next_that_is_not_a_local_path(client, plan_admin):
    client.force_login(plan_admin)
    responsibility = MeasureResponsibility.objects.select_related("measure").order_by("pk").first()
    departments = [str(pk) for pk in responsibility.departments.values_list("pk", flat=True)]
    page = reverse("plan:responsibilities")
    number = responsibility.measure.number
    for next_value in UNSAFE_NEXT:
        response = client.post(
            page, {"number": number, "departments": departments}, query_params={"next": next_value}
        )
        assert response.status_code == 302, next_value
        assert response["Location"] == f"{page}#resp-{number}", next_value
    local = f"{page}?only=provisional"
    response = client.post(page, {"number": number, "departments": departments}, query_params={"next": local})
    assert response["Location"] == f"{local}#resp-{number}"


@pytest.mark.parametrize("value", [BIG, f"-{BIG}"])
def test_a_20_digit_department_on_the_responsibilities_page_is_a_form_error(client, plan_admin, value):
    client.force_login(plan_admin)
    responsibility = MeasureResponsibility.objects.select_related("measure").order_by("pk").first()
    before = sorted(responsibility.departments.values_list("pk", flat=True))
    response = client.post(
        reverse("plan:responsibilities"), {"number": responsibility.measure.number, "departments": [value]}
    )
    # The page answers a form error with 400 and the message beside the measure's row.
    assert response.status_code == 400
    assert "選べない所管が含まれています。" in text_of(select_one(response, f"#resp-{responsibility.measure.number}-error"))
    assert sorted(responsibility.departments.values_list("pk", flat=True)) == before


# --- 20-digit ids in the meeting form ---------------------------------------------------------------


MEETING_CHOICES = [
    "body",
    "tier",
    "attending_organizations",
    "agenda-0-measure_numbers",
    "followups-0-measure_numbers",
]


def errors_of(editor, field):
    """The errors of the meeting form's field, or of the formset row's field that `field` names."""
    prefix, _, name = field.rpartition("-0-")
    if prefix == "agenda":
        return editor.agenda.forms[0].errors.get(name)
    if prefix == "followups":
        return editor.follow_ups.forms[0].errors.get(name)
    return editor.form.errors.get(field)


@pytest.mark.parametrize("field", MEETING_CHOICES)
@pytest.mark.parametrize("value", [BIG, f"-{BIG}"])
def test_a_20_digit_choice_in_the_meeting_form_is_a_form_error(client, plan_admin, field, value):
    client.force_login(plan_admin)
    before = Meeting.objects.count()
    data = meeting_post(**{field: [value] if field == "attending_organizations" else value})
    response = client.post(reverse("meetings:meeting_create"), data)
    assert response.status_code == 200
    assert errors_of(response.context["editor"], field)
    assert Meeting.objects.count() == before


def test_a_20_digit_row_id_when_editing_a_meeting_is_a_form_error(client, plan_admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(plan_admin)
    meeting = ensure_samples()["meeting"]
    data = meeting_post(
        attending_organizations=[BIG],
        **{
            "agenda-INITIAL_FORMS": "1",
            "agenda-0-id": BIG,
            "followups-INITIAL_FORMS": "1",
            "followups-0-id": BIG,
        },
    )
    response = client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == 200
    editor = response.context["editor"]
    assert errors_of(editor, "attending_organizations")
    assert errors_of(editor, "agenda-0-id") and errors_of(editor, "followups-0-id")
    meeting.refresh_from_db()
    assert meeting.title != data["title"]
