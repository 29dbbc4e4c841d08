"""Writes on the plan that views, the admin and commands share.

Writes on accounts and the case permission are in plan.accounts.services; on measure progress,
in plan.progress.services.
"""

from django.db import transaction
from django.utils import timezone

from plan.models import Measure


@transaction.atomic
def measure_review_heading(*, measure: Measure, heading: str, user) -> Measure:
    """Confirm (or correct) a heading that was inferred from a merged cell of the source table."""
    measure.heading = heading
    measure.heading_reviewed_at = timezone.now()
    measure.heading_reviewed_by = user
    measure._change_reason = "推定した事項の確認"
    measure._history_user = user
    measure.save(update_fields=["heading", "heading_reviewed_at", "heading_reviewed_by"])
    return measure
