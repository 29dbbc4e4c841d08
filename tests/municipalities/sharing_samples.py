"""Sample rows for the access table (tests/test_access_table.py): a good practice to open the
secretariat's pages and the admin with. Kept apart from the test modules so that importing it
collects no tests."""

from municipalities import services
from municipalities.models import AnnualReturn, GoodPractice, Municipality
from plan.accounts.roles import GROUP_NAMES, Role
from plan.models import User
from tests.municipalities.factories import complete_values
from tests.municipalities.samples import ensure_return_samples


def ensure_practice_samples() -> dict:
    """Idempotent: in the returns' sample round, 港区's return accepted (新宿区's stays submitted, as
    the other pages expect) and a published good practice written from it, through the services."""
    round = ensure_return_samples()["round"]
    practice = GoodPractice.objects.order_by("pk").first()
    if practice is None:
        secretariat = (
            User.objects.filter(groups__name=GROUP_NAMES[Role.PLAN_ADMIN], is_active=True)
            .order_by("pk")
            .first()
        )
        draft, _ = AnnualReturn.objects.get_or_create(
            round=round, municipality=Municipality.objects.get(name="港区")
        )
        saved = services.annual_return_save_draft(
            annual_return=draft, values=complete_values(), expected_version=draft.version, user=secretariat
        )
        submitted = services.annual_return_submit(
            annual_return=saved, expected_version=saved.version, user=secretariat
        )
        accepted = services.annual_return_accept(annual_return=submitted, user=secretariat)
        practice = services.good_practice_create(
            annual_return=accepted, title="見本の好事例", body="見本の好事例の内容です。", user=secretariat
        )
        practice = services.good_practice_publish(practice=practice, user=secretariat)
    return {"round": round, "practice": practice}
