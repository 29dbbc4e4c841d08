"""Every id that a page's markup points to exists on that page, once.

`aria-describedby`, `aria-labelledby` and `<label for>` that name a missing id are silently
ignored by screen readers (the help or error text is never read out), and automated checks do not
always notice; an error summary's link to a missing id goes nowhere. Each form page is rendered as a user allowed to open it, empty and with errors.
"""

from collections import Counter

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from plan.accounts.roles import Role
from plan.models import Plan
from plan.progress.services import progress_year_start
from tests.factories import UserFactory
from tests.html import parse, select
from tests.meetings.helpers import formset_management, meeting_post
from tests.meetings.samples import ensure_samples
from tests.test_access_table import all_named_urls, expected_for, sample_kwargs

REFERENCING = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns", "aria-errormessage")


def references(page):
    """(what points, the id it names) for every reference to an id on the page."""
    for name in REFERENCING:
        for element in select(page, f"[{name}]"):
            for target in element.get(name).split():
                yield f"<{element.tag} {name}>", target
    for label in select(page, "label[for]"):
        yield "<label for>", label.get("for")
    # The error summary's links to the fields, and skip links.
    for link in select(page, 'a[href^="#"]'):
        if len(link.get("href")) > 1:
            yield "<a href>", link.get("href")[1:]


def broken_references(response) -> list[str]:
    assert response.status_code in (200, 400, 409), response.status_code
    page = parse(response)
    ids = Counter(element.get("id") for element in select(page, "[id]"))
    problems = []
    for source, target in references(page):
        if not target:
            problems.append(f"{source} is empty")
        elif ids[target] == 0:
            problems.append(f"{source} names #{target}, which is not on the page")
        elif ids[target] > 1:
            problems.append(f"{source} names #{target}, which is on the page {ids[target]} times")
    return problems


@pytest.fixture
def samples(users):
    # After the users: the samples' merge record names the first user as who merged.
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    return ensure_samples()


def reset_link(user):
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def form_pages(samples, users):
    """(label, who, url, invalid POST data or None) for every form page of the project."""
    meeting, organization, review = samples["meeting"], samples["organization"], samples["case_review"]
    bad_meeting = meeting_post(
        title="", date="", start_time="16:00", end_time="15:00", **{"agenda-0-measure_numbers": "999"}
    )
    bad_organization = {
        "name": "",
        "kind": "",
        "note": "",
        **formset_management("roles", 1),
        "roles-0-role": "metro_partner",
        "roles-0-start_date": "2025-04-01",
        "roles-0-end_date": "2024-04-01",
    }
    bad_case_review = {"case_code": "", "date": "", "woman_attended": "False"}
    return [
        (
            "progress edit",
            "bureau_staff",
            reverse("plan:progress_edit", args=[2025, 86]),
            {
                "expected_version": "1",
                "assessment": "bogus",
                "direction": "",
                "achievements": "",
                "issues": "あ" * 2001,
            },
        ),
        ("responsibilities", "plan_admin", reverse("plan:responsibilities"), {"number": "86"}),
        ("meeting create", "plan_admin", reverse("meetings:meeting_create"), bad_meeting),
        ("meeting edit", "plan_admin", reverse("meetings:meeting_edit", args=[meeting.pk]), bad_meeting),
        ("organisation create", "plan_admin", reverse("meetings:organization_create"), bad_organization),
        (
            "organisation edit",
            "plan_admin",
            reverse("meetings:organization_edit", args=[organization.pk]),
            bad_organization,
        ),
        (
            "organisation merge",
            "plan_admin",
            reverse("meetings:organization_merge", args=[organization.pk]),
            {"remove": ""},
        ),
        ("case review create", "case_handler", reverse("meetings:case_review_create"), bad_case_review),
        (
            "case review edit",
            "case_handler",
            reverse("meetings:case_review_edit", args=[review.pk]),
            bad_case_review,
        ),
        ("login", None, reverse("login"), {"username": "", "password": ""}),
        (
            "password change",
            "viewer",
            reverse("password_change"),
            {"old_password": "wrong", "new_password1": "short", "new_password2": "other"},
        ),
        ("password reset", None, reverse("password_reset"), {"email": "not an address"}),
        (
            "password reset confirm",
            None,
            reset_link(users["resetting"]),
            {"new_password1": "12345", "new_password2": "67890"},
        ),
        (
            "inferred heading review",
            "plan_admin",
            reverse("plan:inferred_heading_review", args=[85]),
            {"heading": "  "},
        ),
        ("progress import", "plan_admin", reverse("plan:progress_import"), {"file": ""}),
        ("progress years", "plan_admin", reverse("plan:progress_years"), None),
        ("search", "viewer", reverse("plan:search") + "?q=トー横", None),
    ]


@pytest.fixture
def users(viewer, bureau_staff, plan_admin, case_handler):
    return {
        "viewer": viewer,
        "bureau_staff": bureau_staff,
        "plan_admin": plan_admin,
        "case_handler": case_handler,
        # Never signed in: signing in changes the user's reset token.
        "resetting": UserFactory(username="resetting", role=Role.VIEWER),
    }


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_form_page_empty_and_with_errors(samples, users):
    problems = []
    for label, role, url, bad_data in form_pages(samples, users):
        client = client_for(users[role] if role else None)
        # The password reset link lands on its form by a redirect; follow it as a person would.
        empty = client.get(url, follow=True)
        problems += [f"{label} (empty): {problem}" for problem in broken_references(empty)]
        if bad_data is not None:
            with_errors = client.post(empty.redirect_chain[-1][0] if empty.redirect_chain else url, bad_data)
            assert with_errors.status_code in (200, 400, 409), f"{label}: {with_errors.status_code}"
            assert select(with_errors, '[class^="error"]'), f"{label}: the invalid POST showed no error"
            problems += [f"{label} (errors): {problem}" for problem in broken_references(with_errors)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ["anonymous", "viewer", "plan_admin", "case_handler"])
def test_every_other_page_a_role_may_open(samples, users, role):
    """Pages without a form carry references too (sections labelled by their headings)."""
    client = client_for(users.get(role))
    problems = []
    for name, pattern in all_named_urls():
        if name.startswith("admin:") or expected_for(name)[role] != "ok":
            continue
        url = reverse(name, kwargs=sample_kwargs(name, pattern))
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        problems += [f"{name}: {problem}" for problem in broken_references(response)]
    assert problems == [], "\n".join(problems)
