"""The shared cast of users, and the reference data every test database starts with."""

import os

import pytest
from django.core.management import call_command

from plan.accounts.roles import Role
from tests.factories import UserFactory, municipality, welfare_division


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The plan, municipalities, indicators, bodies, departments and role groups, as in production.
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests (the browser ones), whose database is emptied after each test."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def plan_admin(db):
    return UserFactory(username="secretariat", role=Role.PLAN_ADMIN)


@pytest.fixture
def bureau_staff(db):
    return UserFactory(username="bureau", role=Role.BUREAU_STAFF, departments=[welfare_division()])


@pytest.fixture
def municipal_officer(db):
    return UserFactory(username="shinjuku", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区"))


@pytest.fixture
def other_officer(db):
    return UserFactory(username="hachioji", role=Role.MUNICIPAL_OFFICER, municipality=municipality("八王子市"))


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", role=Role.VIEWER)


@pytest.fixture
def case_handler(db):
    return UserFactory(
        username="center", role=Role.BUREAU_STAFF, departments=[welfare_division()], handles_case_records=True
    )


@pytest.fixture
def no_role(db):
    """An account that was never given a role."""
    return UserFactory(username="no-role")


@pytest.fixture
def system_operator(db):
    """A system operator (a superuser) who holds no role: neither the secretariat nor a holder of
    the case permission."""
    return UserFactory(username="operator", is_superuser=True, is_staff=True)


@pytest.fixture
def plan_admin_client(client, plan_admin):
    """The test client, signed in as the plan administrator (the secretariat)."""
    client.force_login(plan_admin)
    return client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI's PostgreSQL run (FAIL_ON_SKIP=1) nothing may be skipped."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("FAIL_ON_SKIP") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"FAIL_ON_SKIP=1: this run may not skip tests, but it skipped: {report.longrepr}"
