"""Sample rows for the project's access table (tests/test_access_table.py), so that every annual
returns admin page is opened with a real object."""

import datetime

from municipalities import services
from municipalities.models import AnnualReturn, Municipality, ReturnReminder, ReturnRound, TrainingCourse
from plan.accounts.roles import GROUP_NAMES, Role
from plan.models import User
from tests.municipalities.factories import YEAR, complete_values, deadline_for


def ensure_return_samples() -> dict:
    """Idempotent: a round with 新宿区's return submitted (so a transition), a training course
    and a reminder, all written through the services where there is one."""
    round = ReturnRound.objects.filter(fiscal_year=YEAR).first()
    if round is None:
        secretariat = User.objects.filter(groups__name=GROUP_NAMES[Role.PLAN_ADMIN], is_active=True).order_by("pk").first()
        # One return, not the 62 the opening makes: the pages need a row, not a round's worth.
        round = ReturnRound.objects.create(fiscal_year=YEAR, deadline=deadline_for(YEAR), opened_by=secretariat)
        draft = AnnualReturn.objects.create(round=round, municipality=Municipality.objects.get(name="新宿区"))
        saved = services.annual_return_save_draft(
            annual_return=draft, values=complete_values(), expected_version=draft.version, user=secretariat
        )
        services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=secretariat)
        services.training_course_create(
            course=TrainingCourse(fiscal_year=YEAR, name="見本の研修", start_date=datetime.date(YEAR, 7, 1)),
            user=secretariat,
        )
        ReturnReminder.objects.create(round=round, municipality=draft.municipality, channel=ReturnReminder.Channel.COMMAND)
    return {"round": round}
