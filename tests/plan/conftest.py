import pytest

from plan.models import Plan
from plan.reference.data import load_departments, load_plan


@pytest.fixture
def plan_data(db):
    # Idempotent: fine even when a session-wide fixture has already loaded the reference data.
    load_departments()
    load_plan()
    return Plan.objects.get(short_name="東京都困難女性支援基本計画")
