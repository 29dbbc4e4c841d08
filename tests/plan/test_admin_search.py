"""The admin's search box finds what Japanese users type, as the app's searches do (issue 15)."""

import pytest
from django.contrib import admin

from plan.adminsite.search import FoldedSearchAdmin
from plan.models import Measure

# django-axes' login logs: IP addresses and user names are ASCII, and the logs grow with every
# login, so they keep the database's search.
LOGIN_LOGS = {"AccessAttempt", "AccessLog", "AccessFailureLog"}


def test_every_admin_with_a_search_box_folds_width_and_case():
    unfolded = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if model_admin.search_fields
        and not isinstance(model_admin, FoldedSearchAdmin)
        and model.__name__ not in LOGIN_LOGS
    ]
    assert unfolded == []


def _found_numbers(client, query):
    response = client.get("/admin/plan/measure/", {"q": query})
    assert response.status_code == 200
    return {measure.number for measure in response.context["cl"].result_list}


@pytest.mark.django_db
def test_full_width_letters_find_half_width_text(plan_admin_client):
    with_dv = {m.number for m in Measure.objects.all() if "DV" in m.heading or "DV" in m.content}
    assert with_dv, "the plan mentions DV"
    assert _found_numbers(plan_admin_client, "ＤＶ") == with_dv
    assert _found_numbers(plan_admin_client, "dv") == with_dv


@pytest.mark.django_db
def test_half_width_katakana_and_full_width_digits(plan_admin_client):
    with_toyoko = {m.number for m in Measure.objects.all() if "トー横" in m.heading or "トー横" in m.content}
    assert with_toyoko
    assert _found_numbers(plan_admin_client, "ﾄｰ横") == with_toyoko
    assert 86 in _found_numbers(plan_admin_client, "８６")


@pytest.mark.django_db
def test_every_word_must_be_found(plan_admin_client):
    both = _found_numbers(plan_admin_client, "ＤＶ 相談")
    assert both and all(
        "相談" in (m.heading + m.content) and "DV" in (m.heading + m.content)
        for m in Measure.objects.filter(number__in=both)
    )
    assert _found_numbers(plan_admin_client, "ＤＶ 存在しない語句") == set()
