"""The admin's pages for the plan: its goals, areas, measures, listings and departments, and measure
progress. The account pages are in plan.accounts.admin (imported here, so they are registered with
these); the site itself and what every app's admin shares are in plan.adminsite.
"""

from django.contrib import admin, messages
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from plan.accounts import admin as accounts_admin  # noqa: F401  (registers the account pages)
from plan.adminsite.formats import SpreadsheetImportExportAdmin
from plan.adminsite.search import FoldedSearchAdmin
from plan.adminsite.site import ReadOnlyAdmin
from plan.forms import ProgressAdminForm
from plan.models import (
    Area,
    Department,
    Goal,
    Listing,
    Measure,
    MeasureProgress,
    MeasureResponsibility,
    Plan,
)
from plan.progress.access import can_edit_progress
from plan.progress.services import REASON_ADMIN, progress_update
from plan.progress.validation import ProgressConflict
from plan.resources import DepartmentResource, MeasureResource


@admin.register(Plan)
class PlanAdmin(FoldedSearchAdmin, admin.ModelAdmin):
    list_display = ["short_name", "start_fiscal_year", "end_fiscal_year", "reporting_fiscal_year"]
    fields = ["name", "short_name", "start_fiscal_year", "end_fiscal_year", "reporting_fiscal_year", "source_note"]
    search_fields = ["name", "short_name"]


class AreaInline(admin.TabularInline):
    model = Area
    fields = ["position", "letter", "title"]
    extra = 0


@admin.register(Goal)
class GoalAdmin(FoldedSearchAdmin, admin.ModelAdmin):
    list_display = ["number", "title", "plan"]
    list_select_related = ["plan"]
    search_fields = ["title"]
    inlines = [AreaInline]


@admin.register(Area)
class AreaAdmin(FoldedSearchAdmin, admin.ModelAdmin):
    list_display = ["goal_number", "letter", "title"]
    list_select_related = ["goal"]
    list_filter = ["goal"]
    search_fields = ["title"]

    @admin.display(description="基本目標", ordering="goal__number")
    def goal_number(self, area):
        return area.goal.label


class ListingInline(admin.TabularInline):
    model = Listing
    fields = ["area", "position", "relisted", "own_heading", "own_content"]
    extra = 0
    autocomplete_fields = ["area"]


@admin.register(Measure)
class MeasureAdmin(FoldedSearchAdmin, SpreadsheetImportExportAdmin, SimpleHistoryAdmin):
    resource_classes = [MeasureResource]
    list_display = ["number", "heading", "heading_inferred", "heading_reviewed_at"]
    list_display_links = ["number", "heading"]
    list_select_related = ["plan"]
    list_filter = ["heading_inferred", ("heading_reviewed_at", admin.EmptyFieldListFilter), "listings__area__goal"]
    search_fields = ["=number", "heading", "content"]
    readonly_fields = ["heading_reviewed_at", "heading_reviewed_by"]
    fields = ["plan", "number", "heading", "heading_inferred", "heading_reviewed_at", "heading_reviewed_by", "content"]
    inlines = [ListingInline]


@admin.register(Listing)
class ListingAdmin(FoldedSearchAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "measure_heading", "relisted", "position"]
    list_select_related = ["measure", "area__goal"]
    list_filter = ["relisted", "area__goal"]
    search_fields = ["=measure__number", "own_heading", "own_content", "measure__heading"]
    autocomplete_fields = ["measure", "area"]

    @admin.display(description="事項")
    def measure_heading(self, listing):
        return listing.heading


@admin.register(Department)
class DepartmentAdmin(FoldedSearchAdmin, SpreadsheetImportExportAdmin):
    resource_classes = [DepartmentResource]
    list_display = ["__str__", "level", "position", "is_active"]
    list_select_related = ["parent"]
    list_filter = ["level", "is_active", "parent"]
    search_fields = ["name", "parent__name"]
    fields = ["level", "parent", "name", "position", "is_active"]


# --- measure progress --------------------------------------------------------------------------
# No django-import-export here on purpose: the spreadsheet round trip (plan/progress/spreadsheet.py)
# checks versions and permissions, and a second import path would bypass them.


class MeasureColumns:
    """Columns for admins of rows that belong to a measure and name their departments."""

    @admin.display(description="No.", ordering="measure__number")
    def measure_number(self, row):
        return row.measure.number

    @admin.display(description="事項")
    def measure_heading(self, row):
        return row.measure.heading

    @admin.display(description="所管")
    def department_names(self, row):
        return "、".join(str(department) for department in row.departments.all()) or "（未設定）"


@admin.register(MeasureProgress)
class MeasureProgressAdmin(FoldedSearchAdmin, MeasureColumns, SimpleHistoryAdmin):
    """Records are created by starting a year and never deleted; edits go through progress_update,
    with the version the change form was loaded at, so a stale save is refused here too."""

    form = ProgressAdminForm
    list_display = ["measure_number", "measure_heading", "fiscal_year", "assessment", "direction", "updated_at", "updated_by"]
    list_display_links = ["measure_number", "measure_heading"]
    list_select_related = ["measure", "updated_by"]
    list_filter = ["fiscal_year", "assessment", "direction", ("updated_at", admin.EmptyFieldListFilter), "departments"]
    search_fields = ["=measure__number", "measure__heading", "achievements", "issues", "next_steps"]
    ordering = ["-fiscal_year", "measure__number"]
    readonly_fields = ["measure", "fiscal_year", "department_names", "version", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["measure", "fiscal_year", "department_names"]}),
        # expected_version: the version this form was loaded at, posted back in a hidden input.
        ("進捗", {"fields": [*MeasureProgress.EDITABLE_FIELDS, "expected_version"]}),
        ("更新", {"fields": ["version", "updated_at", "updated_by"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments__parent")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_edit_progress(request.user, obj)

    def save_model(self, request, obj, form, change):
        progress_update(
            progress=obj,
            expected_version=form.cleaned_data["expected_version"],
            values=form.progress_values(),
            user=request.user,
            reason=REASON_ADMIN,
        )

    def save_related(self, request, form, formsets, change):
        pass  # departments are set on the responsibilities page, never from this form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ProgressConflict as conflict:
            # Someone saved between the form's check and the save: nothing was saved.
            messages.error(request, conflict.message + "（入力内容は保存されていません。もう一度編集してください。）")
            return redirect(request.path)


@admin.register(MeasureResponsibility)
class MeasureResponsibilityAdmin(FoldedSearchAdmin, ReadOnlyAdmin, MeasureColumns, SimpleHistoryAdmin):
    """Read-only here: departments are confirmed on the responsibilities page, which also carries
    the change to the progress records."""

    list_display = ["measure_number", "measure_heading", "department_names", "is_provisional", "confirmed_at", "confirmed_by"]
    list_select_related = ["measure", "confirmed_by"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter), "departments"]
    search_fields = ["=measure__number", "measure__heading", "basis"]
    ordering = ["measure__number"]
    fields = ["measure", "department_names", "basis", "confirmed_at", "confirmed_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments__parent")

    @admin.display(description="暫定", boolean=True)
    def is_provisional(self, responsibility):
        return responsibility.is_provisional
