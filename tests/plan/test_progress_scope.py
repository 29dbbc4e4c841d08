"""Whose measures are whose (所管), on the real responsibilities (fixtures/responsibilities.yaml).

「自分の所管」, the list's 所管 filter, the edit permission, the 未更新 count and the export by
department all read one rule (plan.progress.access.department_scope): a responsibility recorded at
division level belongs to that division's staff; one recorded at bureau level only (no division
named) belongs to every division of the bureau, and the page says so (「局単位」).
"""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from plan.accounts.roles import Role
from plan.models import Department, MeasureProgress, MeasureResponsibility
from plan.progress.access import can_edit_progress, department_scope, progress_editable_by
from plan.progress.services import progress_update, responsibility_confirm
from plan.progress.spreadsheet import progress_export_sheets
from tests.factories import UserFactory, welfare_division
from tests.html import link_targets, section, select, select_one, text_of

GOOD = {"assessment": "on_track", "direction": "continue", "achievements": "実施した"}


def fixture_measures(bureau):
    """The measure numbers fixtures/responsibilities.yaml assigns to `bureau`."""
    path = Path(settings.BASE_DIR) / "fixtures" / "responsibilities.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["responsibilities"]
    return {int(number) for number, assignments in data.items() if bureau in assignments}


def bureau(name):
    return Department.objects.get(name=name, parent__isnull=True)


def listed(client, **params):
    response = client.get(reverse("plan:progress_list"), {"year": 2025, **params})
    assert response.status_code == 200
    return response


def measures_listed(page):
    """The numbers of the measures the list shows (re-listings count as their measure)."""
    return {int(text_of(select(row, "td.col-number > a")[0])) for row in select(page, "table.progress-table > tbody > tr")}


def editable_on(page):
    """The numbers of the rows that carry an edit link."""
    return {
        int(text_of(select(row, "td.col-number > a")[0]))
        for row in select(page, "table.progress-table > tbody > tr")
        if any("/edit/" in href for href in link_targets(row))
    }


def edit_scope_numbers(user):
    return set(progress_editable_by(user).filter(fiscal_year=2025).values_list("measure__number", flat=True))


def mine_summary(page):
    return text_of(section(page, "自分の所管"))


@pytest.fixture
def other_welfare_division(db):
    """A second division of 福祉局, as the secretariat would add in the admin."""
    return Department.objects.create(
        name="生活福祉部 計画課", parent=bureau("福祉局"), level=Department.Level.DIVISION, position=9
    )


def record_division(number, departments, user):
    """The secretariat records who is responsible on 「施策の所管の確認」 (reaches the 2025 record)."""
    responsibility = MeasureResponsibility.objects.get(measure__number=number)
    responsibility_confirm(responsibility=responsibility, departments=departments, user=user)


class TestTheRealResponsibilities:
    def test_the_fixture_records_bureaus_only(self, plan):
        levels = set(MeasureResponsibility.objects.filter(measure__plan=plan).values_list("departments__level", flat=True))
        assert levels == {Department.Level.BUREAU}
        assert len(fixture_measures("福祉局")) == 84

    def test_a_divisions_own_measures_equal_its_filter_and_are_its_bureaus_bureau_level_measures(
        self, client, bureau_staff, year_2025
    ):
        client.force_login(bureau_staff)  # 福祉局 子供・子育て支援部 育成支援課
        mine = measures_listed(listed(client, mine="on"))
        by_filter = measures_listed(listed(client, department=welfare_division().pk))
        assert mine == by_filter == fixture_measures("福祉局")
        assert mine == edit_scope_numbers(bureau_staff)
        assert mine == editable_on(listed(client)) == editable_on(listed(client, mine="on"))

    def test_the_page_says_they_are_recorded_at_bureau_level(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        page = listed(client, mine="on")
        summary = mine_summary(page)
        assert "福祉局 子供・子育て支援部 育成支援課" in summary
        assert "施策 84 件（自分の所管の施策）（うち未更新 84 件（自分の所管の未更新の施策））" in summary
        assert "このうち 84 件は、局単位で所管が記録されている施策です" in summary
        rows = select(page, "table.progress-table > tbody > tr")
        assert rows and all("局単位" in text_of(row) for row in rows)
        assert "局単位で所管が記録されている施策" in text_of(select_one(page, 'section[aria-labelledby="list-heading"]'))

    def test_the_not_updated_count_is_the_filters_count(self, client, bureau_staff, plan_admin, year_2025):
        for number in (1, 2, 111):  # 111 is 教育庁's, outside the division's scope
            current = MeasureProgress.objects.get(measure__number=number, fiscal_year=2025)
            progress_update(progress=current, expected_version=current.version, values=GOOD, user=plan_admin)
        client.force_login(bureau_staff)
        page = listed(client)
        assert "施策 84 件（自分の所管の施策）（うち未更新 82 件（自分の所管の未更新の施策））" in mine_summary(page)
        [link] = link_targets(section(page, "自分の所管"), "82 件（自分の所管の未更新の施策）")
        assert len(measures_listed(client.get(link))) == 82

    def test_an_account_of_another_bureau_sees_its_own(self, client, year_2025):
        culture = bureau("生活文化スポーツ局")
        staff = UserFactory(role=Role.BUREAU_STAFF, departments=[culture])
        client.force_login(staff)
        mine = measures_listed(listed(client, mine="on"))
        assert mine == measures_listed(listed(client, department=culture.pk)) == fixture_measures("生活文化スポーツ局")
        assert mine == edit_scope_numbers(staff) and len(mine) == 20
        assert 3 in mine and 1 not in mine  # No. 3 is shared with 福祉局; No. 1 is 福祉局's only
        page = listed(client, mine="on")
        assert "20 件（自分の所管の施策）（うち未更新 20 件" in mine_summary(page) and "局単位" not in text_of(page)

    def test_an_account_without_a_department_is_told_so_and_has_nothing(self, client, year_2025):
        staff = UserFactory(role=Role.BUREAU_STAFF)
        client.force_login(staff)
        page = listed(client, mine="on")
        assert "所属（所管局・所管課）が登録されていないため" in mine_summary(page)
        assert not measures_listed(page) and not edit_scope_numbers(staff)

    def test_a_bureau_account_takes_all_its_measures_without_a_mark(self, client, year_2025):
        staff = UserFactory(role=Role.BUREAU_STAFF, departments=[bureau("福祉局")])
        client.force_login(staff)
        page = listed(client, mine="on")
        assert measures_listed(page) == fixture_measures("福祉局")
        assert "局単位" not in text_of(page)


class TestOnceADivisionIsRecorded:
    def test_a_measure_given_to_a_division_leaves_the_bureaus_other_divisions(
        self, client, bureau_staff, plan_admin, other_welfare_division, year_2025
    ):
        record_division(86, [welfare_division()], plan_admin)
        record_division(1, [other_welfare_division], plan_admin)
        welfare = fixture_measures("福祉局")

        client.force_login(bureau_staff)
        mine = measures_listed(listed(client, mine="on"))
        assert mine == measures_listed(listed(client, department=welfare_division().pk)) == edit_scope_numbers(bureau_staff)
        assert mine == welfare - {1} and mine != welfare
        page = listed(client, mine="on")
        assert "局単位" not in text_of(select_one(page, "tr#measure-86"))
        assert "83 件（自分の所管の施策）（うち未更新 83 件" in mine_summary(page) and "このうち 82 件は" in mine_summary(page)

        other_staff = UserFactory(role=Role.BUREAU_STAFF, departments=[other_welfare_division])
        client.force_login(other_staff)
        theirs = measures_listed(listed(client, mine="on"))
        assert theirs == measures_listed(listed(client, department=other_welfare_division.pk))
        assert theirs == welfare - {86} and theirs == edit_scope_numbers(other_staff)

        bureau_account = UserFactory(role=Role.BUREAU_STAFF, departments=[bureau("福祉局")])
        assert edit_scope_numbers(bureau_account) == welfare  # the bureau keeps all its divisions' measures

    def test_the_bureau_named_beside_its_division_does_not_reach_the_other_divisions(
        self, plan_admin, bureau_staff, other_welfare_division, year_2025
    ):
        record_division(86, [bureau("福祉局"), welfare_division()], plan_admin)
        other_staff = UserFactory(role=Role.BUREAU_STAFF, departments=[other_welfare_division])
        progress = MeasureProgress.objects.prefetch_related("departments").get(measure__number=86, fiscal_year=2025)
        assert can_edit_progress(bureau_staff, progress) and not can_edit_progress(other_staff, progress)

    def test_a_deactivated_division_hands_its_measures_back_to_the_bureau(
        self, plan_admin, bureau_staff, other_welfare_division, year_2025
    ):
        record_division(1, [bureau("福祉局"), other_welfare_division], plan_admin)
        assert 1 not in edit_scope_numbers(bureau_staff)
        other_welfare_division.is_active = False
        other_welfare_division.save()
        assert 1 in edit_scope_numbers(bureau_staff)


class TestOneRuleEverywhere:
    @pytest.mark.parametrize("name", ["福祉局", "生活文化スポーツ局", "division", "other division"])
    def test_the_record_check_the_queryset_and_the_export_agree(
        self, name, plan, plan_admin, other_welfare_division, year_2025
    ):
        record_division(86, [welfare_division()], plan_admin)
        record_division(1, [other_welfare_division], plan_admin)
        department = {"division": welfare_division(), "other division": other_welfare_division}.get(name) or bureau(name)
        scope = department_scope([department])
        records = MeasureProgress.objects.filter(fiscal_year=2025).prefetch_related("departments")
        by_record = {r.measure.number for r in records.select_related("measure") if scope.covers(r)}
        by_queryset = set(scope.filter(records).values_list("measure__number", flat=True))
        [sheet, _] = progress_export_sheets(plan=plan, fiscal_year=2025, user=plan_admin, department=department)
        by_export = {row[0] for row in sheet.rows}
        assert by_record == by_queryset == by_export and by_record
