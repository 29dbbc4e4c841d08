import pytest

from plan.models import Plan
from plan.progress.services import progress_year_start
from plan.reference.data import load_departments, load_plan


@pytest.fixture
def plan_data(db):
    # Idempotent: fine even when a session-wide fixture has already loaded the reference data.
    load_departments()
    load_plan()
    return Plan.objects.get(short_name="東京都困難女性支援基本計画")


@pytest.fixture
def plan(db):
    """The plan as loaded from the reference data."""
    return Plan.objects.current()


@pytest.fixture
def year_2025(plan):
    """FY2025 started: an empty progress record (version 1) for each of the 120 measures."""
    progress_year_start(plan=plan, fiscal_year=2025, user=None)
    return 2025
