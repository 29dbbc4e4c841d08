from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from plan.admin_formats import SpreadsheetImportExportAdmin
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
    User,
)
from plan.progress import REASON_ADMIN, ProgressConflict, progress_update
from plan.resources import DepartmentResource, MeasureResource
from plan.roles import GROUP_NAMES, Role, role_of
from plan.services import user_deactivate, user_set_role


class ReadOnlyAdmin:
    """For records written only by the system (roles, logs, loaded mappings): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["short_name", "start_fiscal_year", "end_fiscal_year", "reporting_fiscal_year"]
    fields = ["name", "short_name", "start_fiscal_year", "end_fiscal_year", "reporting_fiscal_year", "source_note"]
    search_fields = ["name", "short_name"]


class AreaInline(admin.TabularInline):
    model = Area
    fields = ["position", "letter", "title"]
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "plan"]
    list_select_related = ["plan"]
    search_fields = ["title"]
    inlines = [AreaInline]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
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
class MeasureAdmin(SpreadsheetImportExportAdmin, SimpleHistoryAdmin):
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
class ListingAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "measure_heading", "relisted", "position"]
    list_select_related = ["measure", "area__goal"]
    list_filter = ["relisted", "area__goal"]
    search_fields = ["=measure__number", "own_heading", "own_content", "measure__heading"]
    autocomplete_fields = ["measure", "area"]

    @admin.display(description="事項")
    def measure_heading(self, listing):
        return listing.heading


@admin.register(Department)
class DepartmentAdmin(SpreadsheetImportExportAdmin):
    resource_classes = [DepartmentResource]
    list_display = ["__str__", "level", "position", "is_active"]
    list_select_related = ["parent"]
    list_filter = ["level", "is_active", "parent"]
    search_fields = ["name", "parent__name"]
    fields = ["level", "parent", "name", "position", "is_active"]


class RoleFields(forms.Form):
    """The role part of the account forms: one role group, departments for bureau staff."""

    role = forms.ChoiceField(label="役割", choices=[("", "（未設定）"), *Role.choices], required=False)
    handles_case_records = forms.BooleanField(
        label="個別ケース記録を扱う（女性相談支援センター職員のみ）", required=False
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.BUREAU_STAFF and not cleaned.get("departments"):
            self.add_error("departments", "所管局職員には所属する所管局・所管課を1つ以上選んでください。")
        if cleaned.get("role") != Role.BUREAU_STAFF and cleaned.get("departments"):
            self.add_error("departments", "所属は所管局職員の場合だけ設定できます。")
        return cleaned


class UserForm(RoleFields, forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "departments", "is_active"]


class UserCreateForm(RoleFields, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "last_name", "first_name", "email", "departments"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts: the secretariat creates and deactivates them; they are never deleted."""

    form = UserForm
    add_form = UserCreateForm
    list_display = ["username", "__str__", "email", "role_label", "is_active", "last_login"]
    list_filter = ["is_active", "groups", "departments"]
    list_select_related = []
    search_fields = ["username", "last_name", "first_name", "email"]
    filter_horizontal = ["departments"]
    readonly_fields = ["last_login", "date_joined"]
    actions = ["deactivate"]
    fieldsets = [
        (None, {"fields": ["username", "last_name", "first_name", "email"]}),
        ("役割", {"fields": ["role", "departments", "handles_case_records"]}),
        ("状態", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "last_name", "first_name", "email", "password1", "password2"]}),
        ("役割", {"fields": ["role", "departments", "handles_case_records"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["role"].initial = role_of(obj) or ""
            form.base_fields["handles_case_records"].initial = obj.groups.filter(
                name__startswith="個別ケース記録担当"
            ).exists()
        return form

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_set_role(
            user=form.instance,
            role=form.cleaned_data.get("role") or None,
            handles_case_records=form.cleaned_data.get("handles_case_records", False),
        )

    @admin.display(description="役割")
    def role_label(self, user):
        names = {group.name for group in user.groups.all()}
        labels = [role.label for role, name in GROUP_NAMES.items() if name in names]
        return "、".join(labels) or "（未設定）"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="選択したアカウントを無効にする（履歴は残ります）")
    def deactivate(self, request, queryset):
        for user in queryset:
            user_deactivate(user=user)
        messages.success(request, f"{queryset.count()} 件のアカウントを無効にしました。")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Groups are the roles: shown for reference, changed only by the setup command."""

    list_display = ["name"]
    search_fields = ["name"]


# --- measure progress (issue 3) ----------------------------------------------------------------
# No django-import-export here on purpose: the spreadsheet round trip (plan/progress_spreadsheet.py)
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
class MeasureProgressAdmin(MeasureColumns, SimpleHistoryAdmin):
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
        return obj is None or obj.can_be_edited_by(request.user)

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
class MeasureResponsibilityAdmin(ReadOnlyAdmin, MeasureColumns, SimpleHistoryAdmin):
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
