"""Each rule of the progress workflow, tested where it is written (plan.progress.access,
plan.progress.validation, plan.progress.services), and shown to be the one every path asks."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory

from plan.accounts.roles import Role
from plan.common.spreadsheets import write_xlsx
from plan.forms import ProgressAdminForm, ProgressForm
from plan.models import Department, MeasureProgress, MeasureResponsibility
from plan.progress.access import (
    ProgressScope,
    can_edit_progress,
    check_can_manage_progress,
    get_progress_for_user_or_404,
    progress_edit_scope,
    progress_editable_by,
    progress_visible_to,
)
from plan.progress.services import (
    REASON_FORM,
    REASON_RESPONSIBILITY,
    plan_set_reporting_year,
    progress_update,
    progress_year_start,
    responsibility_confirm,
)
from plan.progress.spreadsheet import HEADERS, progress_export_sheets, progress_import_parse
from plan.progress.validation import (
    TEXT_MAX_LENGTH,
    ProgressConflict,
    progress_values_clean,
    progress_values_errors,
    version_conflict,
)
from tests.factories import UserFactory, welfare_division

GOOD = {"assessment": "on_track", "direction": "continue", "achievements": "実施した", "issues": "", "next_steps": ""}


def record(number, fiscal_year=2025):
    return MeasureProgress.objects.prefetch_related("departments").get(measure__number=number, fiscal_year=fiscal_year)


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


# --- access ----------------------------------------------------------------------------------


class TestWhoEdits:
    def test_plan_administrators_edit_every_record(self, plan_admin, year_2025):
        assert progress_edit_scope(plan_admin).everything
        assert progress_editable_by(plan_admin).filter(fiscal_year=2025).count() == 120

    def test_a_division_covers_itself_and_its_bureaus_bureau_level_records_but_not_the_bureaus_other_divisions(
        self, bureau_staff
    ):
        welfare = Department.objects.get(name="福祉局", parent__isnull=True)
        other = Department.objects.create(name="生活福祉部 計画課", parent=welfare, level="division", position=9)
        scope = progress_edit_scope(bureau_staff)
        assert scope.department_ids == {welfare_division().pk} and scope.bureau_level_ids == {welfare.pk}
        assert other.pk not in scope.department_ids

    def test_a_bureau_covers_itself_and_all_its_divisions(self, db):
        welfare = Department.objects.get(name="福祉局", parent__isnull=True)
        staff = UserFactory(role=Role.BUREAU_STAFF, departments=[welfare])
        divisions = set(Department.objects.filter(parent=welfare).values_list("pk", flat=True))
        assert progress_edit_scope(staff).department_ids == {welfare.pk, *divisions}

    def test_a_deactivated_department_grants_nothing(self, bureau_staff):
        Department.objects.filter(pk=welfare_division().pk).update(is_active=False)
        assert not progress_edit_scope(bureau_staff).department_ids

    @pytest.mark.parametrize("cast", ["viewer", "municipal_officer", "no_role"])
    def test_other_roles_and_accounts_without_a_role_edit_nothing(self, request, cast, year_2025):
        user = request.getfixturevalue(cast)
        assert progress_edit_scope(user) == ProgressScope()
        assert not progress_editable_by(user).exists()
        assert not can_edit_progress(user, record(86))

    @pytest.mark.parametrize("cast", ["plan_admin", "bureau_staff", "viewer", "municipal_officer", "no_role"])
    def test_the_one_record_check_agrees_with_the_queryset(self, request, cast, year_2025):
        user = request.getfixturevalue(cast)
        records = MeasureProgress.objects.filter(fiscal_year=2025).prefetch_related("departments")
        by_record = {r.pk for r in records if can_edit_progress(user, r)}
        by_queryset = set(progress_editable_by(user).filter(fiscal_year=2025).values_list("pk", flat=True))
        assert by_record == by_queryset


class TestWhoReads:
    @pytest.mark.parametrize("cast", ["plan_admin", "bureau_staff", "viewer", "municipal_officer"])
    def test_every_role_reads_every_record(self, request, cast, year_2025):
        assert progress_visible_to(request.getfixturevalue(cast)).filter(fiscal_year=2025).count() == 120

    def test_an_account_without_a_role_reads_nothing(self, no_role, year_2025):
        assert not progress_visible_to(no_role).exists()

    def test_what_a_user_edits_they_can_read(self, bureau_staff, year_2025):
        editable = set(progress_editable_by(bureau_staff).values_list("pk", flat=True))
        assert editable and editable <= set(progress_visible_to(bureau_staff).values_list("pk", flat=True))


class TestGetProgressForUserOr404:
    def test_it_gives_the_record_to_a_user_who_may_edit_it(self, bureau_staff, year_2025):
        progress = get_progress_for_user_or_404(request_by(bureau_staff), measure=record(86).measure, fiscal_year=2025)
        assert progress == record(86)

    def test_it_refuses_a_user_who_may_read_but_not_edit(self, bureau_staff, viewer, year_2025):
        with pytest.raises(PermissionDenied):
            get_progress_for_user_or_404(request_by(bureau_staff), measure=record(111).measure, fiscal_year=2025)
        with pytest.raises(PermissionDenied):
            get_progress_for_user_or_404(request_by(viewer), measure=record(86).measure, fiscal_year=2025)

    def test_it_is_404_for_a_year_not_started_and_for_someone_who_may_not_read(self, plan_admin, no_role, year_2025):
        with pytest.raises(Http404):
            get_progress_for_user_or_404(request_by(plan_admin), measure=record(86).measure, fiscal_year=2026)
        with pytest.raises(Http404):
            get_progress_for_user_or_404(request_by(no_role), measure=record(86).measure, fiscal_year=2025)


class TestTheSecretariatsWork:
    def test_plan_administrators_and_the_system_may_bureau_staff_may_not(self, plan_admin, bureau_staff):
        check_can_manage_progress(plan_admin, action="年度を開始")
        check_can_manage_progress(None, action="年度を開始")
        with pytest.raises(PermissionDenied, match="年度を開始できるのは計画管理者だけです。"):
            check_can_manage_progress(bureau_staff, action="年度を開始")

    def test_every_service_of_the_secretariat_asks_it(self, plan, bureau_staff, year_2025):
        responsibility = MeasureResponsibility.objects.get(measure__number=86)
        with pytest.raises(PermissionDenied):
            progress_year_start(plan=plan, fiscal_year=2026, user=bureau_staff)
        with pytest.raises(PermissionDenied):
            plan_set_reporting_year(plan=plan, fiscal_year=2026, user=bureau_staff)
        with pytest.raises(PermissionDenied):
            responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=bureau_staff)

    def test_the_command_sets_the_reporting_year_through_the_service(self, plan):
        from django.core.management import call_command

        call_command("start_progress_year", "--year", "2025", "--set-reporting-year", stdout=io.StringIO())
        plan.refresh_from_db()
        assert plan.reporting_fiscal_year == 2025


class TestTheServiceAsksTheAccessRule:
    def test_a_save_by_someone_who_may_not_edit_is_refused(self, bureau_staff, year_2025):
        with pytest.raises(PermissionDenied):
            progress_update(progress=record(111), expected_version=1, values=GOOD, user=bureau_staff)
        assert record(111).version == 1


# --- validation ------------------------------------------------------------------------------


class TestTheValues:
    def test_assessment_and_direction_are_required_and_must_be_known(self):
        errors = progress_values_errors({"assessment": "", "direction": "", "achievements": "x"})
        assert errors == {"assessment": "進捗状況を選んでください。", "direction": "今後の方向性を選んでください。"}
        errors = progress_values_errors({"assessment": "great", "direction": "up", "achievements": "x"})
        assert errors == {"assessment": "進捗状況の値が正しくありません。", "direction": "今後の方向性の値が正しくありません。"}

    def test_achievements_may_be_blank_only_for_a_measure_not_started(self):
        assert "achievements" in progress_values_errors(GOOD | {"achievements": ""})
        assert progress_values_errors(GOOD | {"assessment": "not_started", "achievements": ""}) == {}

    def test_text_is_limited_as_stored(self):
        assert progress_values_errors(GOOD | {"issues": "あ" * TEXT_MAX_LENGTH}) == {}
        assert progress_values_errors(GOOD | {"issues": "あ" * (TEXT_MAX_LENGTH + 1)}) == {
            "issues": "課題は2000文字以内で入力してください（現在 2001 文字）。"
        }

    def test_text_is_stored_with_newlines_and_without_surrounding_space(self):
        cleaned = progress_values_clean({"achievements": "  一行目\r\n二行目\r三行目\n\n", "assessment": None})
        assert cleaned == {"achievements": "一行目\n二行目\n三行目", "assessment": ""}

    def test_the_form_counts_length_as_stored_so_browser_newlines_do_not_count_twice(self, year_2025):
        # A browser sends a textarea's line breaks as \r\n; the text is stored with \n.
        text = ("あ" * 99 + "\r\n") * 20  # 2000 characters as stored
        form = ProgressForm(GOOD | {"achievements": text, "expected_version": 1}, instance=record(86))
        assert form.is_valid(), form.errors
        assert form.progress_values()["achievements"] == text.replace("\r\n", "\n").strip()

    def test_the_form_the_service_and_the_import_refuse_a_value_with_the_same_message(
        self, plan, plan_admin, year_2025
    ):
        bad = GOOD | {"achievements": ""}
        message = progress_values_errors(bad)["achievements"]

        form = ProgressForm(bad | {"expected_version": 1}, instance=record(86))
        assert not form.is_valid() and form.errors["achievements"] == [message]

        with pytest.raises(ValidationError) as refused:
            progress_update(progress=record(86), expected_version=1, values=bad | {"issues": "課題"}, user=plan_admin)
        assert refused.value.message_dict["achievements"] == [message]

        sheets = progress_export_sheets(plan=plan, fiscal_year=2025, user=plan_admin)
        workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx(sheets)))
        row = next(r for r in workbook.worksheets[0].iter_rows(min_row=2) if r[0].value == 86)
        row[HEADERS.index("進捗状況")].value = "順調"
        row[HEADERS.index("今後の方向性")].value = "継続"
        buffer = io.BytesIO()
        workbook.save(buffer)
        buffer.seek(0)
        buffer.name = "進捗.xlsx"
        preview = progress_import_parse(file=buffer, plan=plan, user=plan_admin)
        assert [(error.number, error.message) for error in preview.errors] == [(86, message)]


class TestTheVersion:
    def test_no_conflict_while_the_record_is_at_the_version(self, year_2025):
        assert version_conflict(record(86), 1) is None

    def test_a_conflict_says_what_changed_since(self, plan_admin, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=plan_admin)
        conflict = version_conflict(record(86), 1)
        assert isinstance(conflict, ProgressConflict) and conflict.current.version == 2
        assert [change.field for change in conflict.changes] == ["assessment", "direction", "achievements"]
        assert "保存しませんでした" in conflict.message
        assert "（版 1 → 2）" in conflict.message_with_changes and "「（空欄）」→「実施した」" in conflict.message_with_changes

    def test_the_service_and_the_admins_form_refuse_the_same_stale_version(self, plan_admin, bureau_staff, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=bureau_staff)
        with pytest.raises(ProgressConflict) as refused:
            progress_update(progress=record(86), expected_version=1, values=GOOD | {"issues": "x"}, user=plan_admin)
        form = ProgressAdminForm(GOOD | {"issues": "x", "expected_version": 1}, instance=record(86))
        assert not form.is_valid()
        assert form.non_field_errors() == [version_conflict(record(86), 1).message_with_changes]
        assert refused.value.changes == version_conflict(record(86), 1).changes


# --- history ---------------------------------------------------------------------------------


def latest_entry(progress):
    return progress.history.order_by("-history_date", "-history_id").first()


class TestHistory:
    """Every path leaves one entry per record with the same fields: who, when, why, what kind,
    and the departments at that moment."""

    def test_starting_a_year(self, plan, plan_admin):
        progress_year_start(plan=plan, fiscal_year=2025, user=plan_admin)
        progress = record(86)
        entry = progress.history.get()
        assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
            "+",
            plan_admin,
            "年度の開始（令和7年度）",
        )
        assert entry.history_date == progress.started_at
        assert [row.department.name for row in entry.departments.all()] == ["福祉局"]

    def test_saving_a_years_progress(self, bureau_staff, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=bureau_staff)
        progress = record(86)
        entry = latest_entry(progress)
        assert (entry.history_type, entry.history_user, entry.history_change_reason) == ("~", bureau_staff, REASON_FORM)
        assert entry.history_date == progress.updated_at
        assert (entry.version, entry.achievements) == (2, "実施した")
        assert [row.department.name for row in entry.departments.all()] == ["福祉局"]

    def test_correcting_the_departments(self, plan, plan_admin, year_2025):
        plan.reporting_fiscal_year = 2025
        plan.save()
        before = record(86).history.count()
        responsibility = MeasureResponsibility.objects.get(measure__number=86)
        responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
        progress = record(86)
        assert progress.history.count() == before + 1
        entry = latest_entry(progress)
        assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
            "~",
            plan_admin,
            REASON_RESPONSIBILITY,
        )
        assert [row.department_id for row in entry.departments.all()] == [welfare_division().pk]
        assert entry.version == progress.version == 1  # departments are not the person's edit

    def test_the_responsibility_itself_gets_one_entry_with_its_new_departments(self, plan_admin):
        responsibility = MeasureResponsibility.objects.get(measure__number=86)
        before = responsibility.history.count()
        responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
        assert responsibility.history.count() == before + 1
        entry = responsibility.history.order_by("-history_date", "-history_id").first()
        assert (entry.history_user, entry.history_change_reason) == (plan_admin, REASON_RESPONSIBILITY)
        assert [row.department_id for row in entry.departments.all()] == [welfare_division().pk]
