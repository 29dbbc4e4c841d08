"""The page and the admin save progress through the same service, so they leave the same history
entry: one row, the same kind, the person who saved, the same changed fields; only the stated way
(画面から / 管理画面から) differs."""

from django.urls import reverse

from plan.models import MeasureProgress

VALUES = {"assessment": "on_track", "direction": "expand", "achievements": "研修を2回実施した。", "issues": "", "next_steps": ""}


def record(number):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=2025)


def save_and_get_entry(client, url, number):
    before = record(number).history.count()
    response = client.post(url, {"expected_version": record(number).version, **VALUES})
    assert response.status_code == 302
    history = record(number).history.order_by("-history_id")
    assert history.count() == before + 1  # exactly one entry per save
    latest, previous = history[0], history[1]
    changed = sorted(change.field for change in latest.diff_against(previous).changes)
    return latest, changed


def test_the_page_and_the_admin_leave_the_same_history_entry(client, plan_admin, year_2025):
    client.force_login(plan_admin)
    page_entry, page_changed = save_and_get_entry(client, reverse("plan:progress_edit", args=[2025, 86]), 86)
    admin_entry, admin_changed = save_and_get_entry(
        client, reverse("admin:plan_measureprogress_change", args=[record(87).pk]), 87
    )
    assert page_entry.history_type == admin_entry.history_type == "~"
    assert page_entry.history_user == admin_entry.history_user == plan_admin
    assert page_changed == admin_changed
    assert {"achievements", "assessment", "direction"} <= set(page_changed)
    assert page_entry.history_change_reason == "画面から更新"
    assert admin_entry.history_change_reason == "管理画面から更新"
