"""The indicators' admin: plan administrators only, every save through the services."""

import pytest
from django.urls import reverse

from indicators.models import FiscalYearClosure, Indicator, IndicatorValue, MetroTrainedWorkers
from municipalities.models import PlanStatus
from tests.html import text_of
from tests.indicators.helpers import accept, reopen_and_accept
from tests.indicators.samples import ensure_indicator_samples

pytestmark = pytest.mark.django_db

MODELS = ["indicator", "indicatorvalue", "fiscalyearclosure", "metrotrainedworkers"]


def admin_url(model, action="changelist", *args):
    return reverse(f"admin:indicators_{model}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_the_plan_administrator_opens_every_list(plan_admin_client, model):
    ensure_indicator_samples()
    assert plan_admin_client.get(admin_url(model)).status_code == 200
    obj = Indicator.objects.first() if model == "indicator" else None
    obj = obj or {"indicatorvalue": IndicatorValue, "fiscalyearclosure": FiscalYearClosure, "metrotrainedworkers": MetroTrainedWorkers}[
        model
    ].objects.first()
    assert plan_admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert plan_admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403


@pytest.mark.parametrize("who", ["viewer", "bureau_staff", "municipal_officer", "case_handler"])
def test_others_are_sent_to_the_login(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for model in MODELS:
        response = client.get(admin_url(model))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_system_operator_without_the_role_is_refused(client, system_operator):
    client.force_login(system_operator)
    for model in MODELS:
        assert client.get(admin_url(model)).status_code == 403


def test_the_indicators_are_not_added_here(plan_admin_client):
    assert plan_admin_client.get(admin_url("indicator", "add")).status_code == 403


def test_setting_a_target(plan_admin_client, plan_admin):
    indicator = Indicator.objects.get(number=6)
    response = plan_admin_client.post(
        admin_url("indicator", "change", indicator.pk),
        {
            "unit": "区市町村",
            "baseline_value": "20",
            "baseline_fiscal_year": "2023",
            "target_value": "62",
            "target_fiscal_year": "2028",
            "grade_a_threshold": "100",
            "grade_b_threshold": "80",
        },
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.baseline_value, indicator.target_value) == (20, 62)
    assert indicator.history.latest().history_change_reason == "基準値・目標値・評価基準の設定"


def test_bad_thresholds_are_shown_beside_the_field(plan_admin_client):
    indicator = Indicator.objects.get(number=6)
    response = plan_admin_client.post(
        admin_url("indicator", "change", indicator.pk),
        {"unit": "区市町村", "grade_a_threshold": "80", "grade_b_threshold": "90"},
    )
    assert response.status_code == 200
    assert "評価Bの基準は評価Aの基準より小さい値にしてください。" in text_of(response)


def test_entering_and_clearing_a_value(plan_admin_client, plan_admin):
    indicator = Indicator.objects.get(number=2)
    response = plan_admin_client.post(
        admin_url("indicatorvalue", "add"),
        {"indicator": indicator.pk, "fiscal_year": "2025", "entered_value": "12", "entered_source": "事業概要"},
    )
    assert response.status_code == 302
    value = IndicatorValue.objects.get()
    assert (value.entered_value, value.entered_by) == (12, plan_admin)
    assert value.history.latest().history_change_reason == "値の入力（令和7年度）"

    response = plan_admin_client.post(admin_url("indicatorvalue", "change", value.pk), {"entered_value": "", "entered_source": ""})
    assert response.status_code == 302
    value.refresh_from_db()
    assert value.entered_value is None
    assert value.history.latest().history_change_reason == "入力値の取消し（令和7年度）"


def test_an_entry_without_a_source_is_refused(plan_admin_client):
    indicator = Indicator.objects.get(number=2)
    response = plan_admin_client.post(
        admin_url("indicatorvalue", "add"),
        {"indicator": indicator.pk, "fiscal_year": "2025", "entered_value": "12", "entered_source": ""},
    )
    assert response.status_code == 200
    assert "入力値の出典（資料名・調査名など）を入力してください。" in text_of(response)
    assert not IndicatorValue.objects.exists()


def test_closing_and_republishing_a_year(plan_admin_client, plan_admin):
    shinjuku = accept(2024, "新宿区")
    response = plan_admin_client.post(admin_url("fiscalyearclosure", "add"), {"fiscal_year": "2026"})
    assert response.status_code == 200
    assert "年度が終わってから締めてください" in text_of(response)

    response = plan_admin_client.post(admin_url("fiscalyearclosure", "add"), {"fiscal_year": "2024"})
    assert response.status_code == 302
    closure = FiscalYearClosure.objects.get()
    assert closure.closed_by == plan_admin
    assert IndicatorValue.objects.get(indicator__number=5, fiscal_year=2024).published_value == 1

    reopen_and_accept(shinjuku, plan_status=PlanStatus.IN_PROGRESS, plan_made_on=None, plan_expected_fiscal_year=2026)
    change = admin_url("fiscalyearclosure", "change", closure.pk)
    assert "⑤ 公表値 1 区市町村 → 再計算 0 区市町村" in text_of(plan_admin_client.get(change))

    response = plan_admin_client.post(change, {"republish_reason": ""})
    assert "再公表の理由を入力してください。" in text_of(response)
    response = plan_admin_client.post(change, {"republish_reason": "新宿区の報告の訂正"})
    assert response.status_code == 302
    value = IndicatorValue.objects.get(indicator__number=5, fiscal_year=2024)
    assert (value.published_value, value.published_reason) == (0, "新宿区の報告の訂正")


def test_entering_the_metropolitan_figures(plan_admin_client, plan_admin):
    response = plan_admin_client.post(
        admin_url("metrotrainedworkers", "add"),
        {"fiscal_year": "2025", "center_workers": "5", "welfare_office_workers": "2", "source_note": "受講者名簿"},
    )
    assert response.status_code == 302
    figures = MetroTrainedWorkers.objects.get()
    assert (figures.total, figures.entered_by) == (7, plan_admin)
