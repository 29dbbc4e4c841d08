"""Starting a fiscal year, setting the reporting year, and the responsibilities that records copy."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from plan.models import Department, MeasureProgress, MeasureResponsibility
from plan.progress.services import progress_update, progress_year_start, responsibility_confirm
from plan.reference.data import load_responsibilities
from tests.factories import welfare_division
from tests.html import select, text_of, texts_of

GOOD = {"assessment": "on_track", "direction": "expand", "achievements": "実施した", "issues": "課題", "next_steps": "次"}


def record(number, year):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=year)


def snapshot():
    """Everything starting a year could touch: records, their versions and departments, history."""
    records = MeasureProgress.objects.order_by("pk").prefetch_related("departments")
    return (
        [(r.pk, r.fiscal_year, r.version, r.direction, r.updated_at, sorted(d.pk for d in r.departments.all())) for r in records],
        MeasureProgress.history.count(),
    )


class TestStartingAYear:
    def test_every_measure_gets_a_blank_not_yet_updated_record_with_its_departments(self, plan):
        result = progress_year_start(plan=plan, fiscal_year=2024, user=None)
        assert result.created == 120
        records = MeasureProgress.objects.filter(fiscal_year=2024).prefetch_related("departments")
        assert records.count() == 120
        assert all(not r.is_updated and not r.assessment and not r.achievements and not r.issues for r in records)
        assert record(86, 2024).department_names == "福祉局"
        assert record(17, 2024).department_names == "東京都立病院機構"
        assert sorted(d.name for d in record(73, 2024).departments.all()) == ["生活文化スポーツ局", "福祉局"]

    def test_departments_and_direction_carry_over_and_last_years_text_does_not(self, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2024, user=None)
        progress_update(progress=record(86, 2024), expected_version=1, values=GOOD, user=plan_admin)
        progress_year_start(plan=plan, fiscal_year=2025, user=plan_admin)
        new = record(86, 2025)
        assert new.direction == "expand" and new.department_names == "福祉局"
        assert (new.assessment, new.achievements, new.issues, new.next_steps) == ("", "", "", "")
        assert not new.is_updated and new.version == 1

    def test_each_new_record_has_one_history_entry_with_its_departments(self, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2025, user=plan_admin)
        entries = record(86, 2025).history.all()
        assert entries.count() == 1
        entry = entries.get()
        assert entry.history_user == plan_admin and entry.history_change_reason == "年度の開始（令和7年度）"
        assert [row.department.name for row in entry.departments.all()] == ["福祉局"]

    def test_starting_a_year_twice_changes_nothing(self, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2025, user=plan_admin)
        progress_update(progress=record(86, 2025), expected_version=1, values=GOOD, user=plan_admin)
        before = snapshot()
        result = progress_year_start(plan=plan, fiscal_year=2025, user=plan_admin)
        assert (result.created, result.existing) == (0, 120)
        assert snapshot() == before

    def test_the_page_starts_a_year_and_says_when_it_was_already_started(self, client, plan, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:progress_years"), {"action": "start", "year": 2025}, follow=True)
        assert "令和7年度（2025年度）を開始しました（施策 120 件の記録を作成" in text_of(response)
        before = snapshot()
        response = client.post(reverse("plan:progress_years"), {"action": "start", "year": 2025}, follow=True)
        assert "すでに開始されています。何も変更していません。" in text_of(response)
        assert snapshot() == before

    def test_a_year_outside_the_plan_is_refused_with_a_message(self, client, plan, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:progress_years"), {"action": "start", "year": 2029}, follow=True)
        assert "令和11年度（2029年度）は計画期間（令和6年度〜令和10年度）の外です。" in text_of(response)
        assert not MeasureProgress.objects.exists()
        with pytest.raises(ValidationError):
            progress_year_start(plan=plan, fiscal_year=2023, user=plan_admin)

    def test_bureau_staff_cannot_start_a_year(self, client, bureau_staff):
        client.force_login(bureau_staff)
        assert client.post(reverse("plan:progress_years"), {"action": "start", "year": 2025}).status_code == 403
        assert not MeasureProgress.objects.exists()

    def test_the_command_calls_the_same_service(self, plan):
        out = io.StringIO()
        call_command("start_progress_year", "--year", "2025", stdout=out)
        assert "記録 120 件を作成" in out.getvalue()
        before = snapshot()
        call_command("start_progress_year", "--year", "2025", stdout=out)
        assert "すでに開始されています" in out.getvalue()
        assert snapshot() == before
        with pytest.raises(Exception, match="計画期間"):
            call_command("start_progress_year", "--year", "2030", stdout=out)


class TestReportingYear:
    def test_the_administrator_sets_it_and_the_list_defaults_to_it(self, client, plan, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:progress_years"), {"action": "reporting", "year": 2026}, follow=True)
        assert "報告対象年度を令和8年度（2026年度）にしました。" in text_of(response)
        plan.refresh_from_db()
        assert plan.reporting_fiscal_year == 2026
        assert texts_of(client.get(reverse("plan:progress_list")), "h1") == ["施策の進捗 令和8年度（2026年度）"]

    def test_a_year_outside_the_plan_is_refused(self, client, plan, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:progress_years"), {"action": "reporting", "year": 2035}, follow=True)
        assert "計画期間（令和6年度〜令和10年度）の外です" in text_of(response)
        plan.refresh_from_db()
        assert plan.reporting_fiscal_year is None


class TestResponsibilities:
    def test_the_fixture_gives_every_measure_a_provisional_responsibility(self, plan):
        responsibilities = MeasureResponsibility.objects.filter(measure__plan=plan).prefetch_related("departments")
        assert responsibilities.count() == 120
        assert all(r.is_provisional and r.departments.exists() and r.basis for r in responsibilities)
        names = {r.measure.number: sorted(d.name for d in r.departments.all()) for r in responsibilities.select_related("measure")}
        assert names[1] == ["福祉局"] and names[27] == ["産業労働局"] and names[31] == ["住宅政策本部"]
        assert names[32] == ["保健医療局"] and names[111] == ["教育庁"] and names[119] == ["警視庁"]
        assert names[108] == ["総務局"] and names[17] == ["東京都立病院機構"] and names[25] == ["生活文化スポーツ局"]

    def test_the_page_lists_all_120_and_confirming_records_who_and_when(self, client, plan, plan_admin):
        client.force_login(plan_admin)
        page = client.get(reverse("plan:responsibilities"))
        assert len(select(page, 'tr[id^="resp-"]')) == 120
        education = Department.objects.get(name="教育庁")
        response = client.post(reverse("plan:responsibilities"), {"number": 69, "departments": [education.pk]})
        assert response.status_code == 302 and response["Location"].endswith("#resp-69")
        confirmed = MeasureResponsibility.objects.get(measure__number=69)
        assert confirmed.confirmed_by == plan_admin and confirmed.confirmed_at and not confirmed.is_provisional

    def test_a_correction_reaches_the_reporting_year_and_later_but_not_earlier_years(self, client, plan, plan_admin):
        plan.reporting_fiscal_year = 2025
        plan.save()
        for year in (2024, 2025, 2026):
            progress_year_start(plan=plan, fiscal_year=year, user=None)
        client.force_login(plan_admin)
        client.post(reverse("plan:responsibilities"), {"number": 86, "departments": [welfare_division().pk]})
        assert record(86, 2024).department_names == "福祉局"
        assert record(86, 2025).department_names == "福祉局 子供・子育て支援部 育成支援課"
        assert record(86, 2026).department_names == "福祉局 子供・子育て支援部 育成支援課"
        latest = record(86, 2025).history.order_by("-history_date", "-history_id").first()
        assert latest.history_change_reason == "所管の確認・修正" and latest.history_user == plan_admin
        assert "所管の確認・修正" in text_of(client.get(reverse("plan:measure_detail", args=[86])))

    def test_no_department_gets_a_message_and_changes_nothing(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:responsibilities"), {"number": 86})
        assert response.status_code == 400
        assert "所管を1つ以上選んでください。" in text_of(response)
        assert MeasureResponsibility.objects.get(measure__number=86).is_provisional

    def test_reloading_keeps_a_confirmed_correction_and_reports_it(self, plan, plan_admin):
        responsibility = MeasureResponsibility.objects.get(measure__number=86)
        responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
        report = load_responsibilities()
        assert [c.record for c in report.conflicts] == ["No.86 の所管"]
        assert [d.name for d in responsibility.departments.all()] == ["子供・子育て支援部 育成支援課"]
        load_responsibilities(overwrite=True)
        responsibility.refresh_from_db()
        assert [d.name for d in responsibility.departments.all()] == ["福祉局"] and responsibility.is_provisional

    def test_reloading_an_unchanged_fixture_changes_nothing(self, plan):
        report = load_responsibilities()
        assert (report.created, report.updated, report.unchanged, report.conflicts) == (0, 0, 120, [])
