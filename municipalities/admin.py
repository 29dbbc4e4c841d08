from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from municipalities import access, services
from municipalities.forms import AnnualReturnAdminForm, ReturnRoundAdminForm, TrainingCourseAdminForm
from municipalities.models import (
    RETURN_SECTIONS,
    AnnualReturn,
    GoodPractice,
    Municipality,
    MunicipalOfficer,
    ReturnCourseAttendance,
    ReturnReminder,
    ReturnRound,
    ReturnTransition,
    TrainingCourse,
)
from municipalities.resources import MunicipalityResource
from municipalities.services import ATTENDANCE_KEY, ReturnConflict
from plan.accounts.admin import UserAdmin
from plan.adminsite.formats import SpreadsheetImportExportAdmin
from plan.adminsite.search import FoldedSearchAdmin
from plan.adminsite.site import AdmittedOnlyAdmin, ReadOnlyAdmin
from plan.models import User


@admin.register(Municipality)
class MunicipalityAdmin(FoldedSearchAdmin, SpreadsheetImportExportAdmin):
    resource_classes = [MunicipalityResource]
    list_display = ["code", "name", "kana", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "code5", "name", "kana"]


@admin.register(MunicipalOfficer)
class MunicipalOfficerAdmin(FoldedSearchAdmin, admin.ModelAdmin):
    list_display = ["municipality", "user", "user_active"]
    list_select_related = ["municipality", "user"]
    list_filter = ["municipality__region", "user__is_active"]
    search_fields = ["municipality__name", "user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user", "municipality"]

    @admin.display(description="有効", boolean=True)
    def user_active(self, officer):
        return officer.user.is_active


class MunicipalOfficerInline(admin.StackedInline):
    model = MunicipalOfficer
    fields = ["municipality"]
    autocomplete_fields = ["municipality"]
    can_delete = True
    verbose_name = "担当する区市町村（区市町村担当者のみ）"
    verbose_name_plural = verbose_name


# The account page gains the municipality link here, so that plan (below us) need not know about it.
admin.site.unregister(User)


@admin.register(User)
class UserWithMunicipalityAdmin(UserAdmin):
    inlines = [MunicipalOfficerInline]
    list_display = [*UserAdmin.list_display[:4], "municipality", *UserAdmin.list_display[4:]]
    list_select_related = ["municipal_officer__municipality"]
    list_filter = [*UserAdmin.list_filter, "municipal_officer__municipality__region"]

    @admin.display(description="区市町村", ordering="municipal_officer__municipality__code")
    def municipality(self, user):
        officer = getattr(user, "municipal_officer", None)
        return officer.municipality.name if officer else ""


# --- annual returns --------------------------------------------------------------------------------
# For the secretariat (plan administrators) only, as municipalities.access says: system operators
# who are not plan administrators do not see the returns. Every write goes through
# municipalities.services; the workflow fields are never edited here.


class ReturnsAdminMixin(AdmittedOnlyAdmin):
    """Only the secretariat sees these (municipalities.access)."""

    def admits(self, user) -> bool:
        return access.can_review_returns(user)


def _apply_each(model_admin, request, objects, write) -> int:
    """An admin action's service call on each chosen object, each in its own savepoint: a refusal
    is reported and leaves the others done. Returns how many were done."""
    count = 0
    for obj in objects:
        try:
            with transaction.atomic():
                write(obj)
            count += 1
        except ValidationError as error:
            _report_refusal(model_admin, request, error)
    return count


def _report_refusal(model_admin, request, error) -> None:
    model_admin.message_user(request, "".join(error.messages), messages.ERROR)


@admin.register(ReturnRound)
class ReturnRoundAdmin(ReturnsAdminMixin, SimpleHistoryAdmin):
    """Opened here (return_round_open: the round and a return per municipality), its deadline and
    message changed, closed and reopened with the actions. Never deleted: its returns stay."""

    form = ReturnRoundAdminForm
    list_display = ["fiscal_year_label", "deadline", "is_open", "opened_at", "opened_by", "closed_at", "return_count"]
    list_select_related = ["opened_by", "closed_by"]
    readonly_fields = ["opened_at", "opened_by", "closed_at", "closed_by"]
    actions = ["close_rounds", "reopen_rounds"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(return_count=Count("returns"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["fiscal_year", "deadline", "message"]
        return ["fiscal_year", "deadline", "message", "opened_at", "opened_by", "closed_at", "closed_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "fiscal_year"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="報告対象年度", ordering="fiscal_year")
    def fiscal_year_label(self, round):
        return round.year.label

    @admin.display(description="受付中", boolean=True)
    def is_open(self, round):
        return round.is_open

    @admin.display(description="報告数", ordering="return_count")
    def return_count(self, round):
        return round.return_count

    def save_model(self, request, obj, form, change):
        if change:
            services.return_round_update(round=obj, deadline=obj.deadline, message=obj.message, user=request.user)
            return
        opened = services.return_round_open(
            fiscal_year=obj.fiscal_year, deadline=obj.deadline, message=obj.message, user=request.user
        )
        obj.pk = opened.pk
        obj.opened_at, obj.opened_by = opened.opened_at, opened.opened_by
        obj._state.adding = False

    @admin.action(description="選択した年度の受付を終了する")
    def close_rounds(self, request, queryset):
        self._each(request, queryset.filter(closed_at__isnull=True), services.return_round_close, "受付を終了")

    @admin.action(description="選択した年度の受付を再開する")
    def reopen_rounds(self, request, queryset):
        self._each(request, queryset.filter(closed_at__isnull=False), services.return_round_reopen, "受付を再開")

    def _each(self, request, rounds, service, done):
        count = _apply_each(self, request, rounds, lambda round: service(round=round, user=request.user))
        self.message_user(request, f"{count}件の{done}しました。" if count else f"{done}した年度はありません。")


@admin.register(TrainingCourse)
class TrainingCourseAdmin(FoldedSearchAdmin, ReturnsAdminMixin, SimpleHistoryAdmin):
    form = TrainingCourseAdminForm
    list_display = ["name", "fiscal_year", "career_stage", "start_date", "end_date", "topic_list"]
    list_filter = ["fiscal_year"]
    search_fields = ["name", "career_stage", "note"]

    @admin.display(description="内容")
    def topic_list(self, course):
        return "、".join(course.topic_labels)

    def save_model(self, request, obj, form, change):
        if change:
            services.training_course_update(course=obj, user=request.user)
        else:
            services.training_course_create(course=obj, user=request.user)

    def delete_model(self, request, obj):
        services.training_course_delete(course=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for course in queryset:
                services.training_course_delete(course=course, user=request.user)


class CourseAttendanceInline(admin.TabularInline):
    """The courses attended, saved with the answers by annual_return_save_draft."""

    model = ReturnCourseAttendance
    fields = ["course", "persons"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        self._year = obj.round.fiscal_year if obj is not None else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            year = getattr(self, "_year", None)
            kwargs["queryset"] = TrainingCourse.objects.filter(fiscal_year=year) if year else TrainingCourse.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _editable(self, request, obj):
        return obj is not None and access.can_edit_return(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_view_permission(self, request, obj=None):
        return access.can_review_returns(request.user)


class TransitionInline(admin.TabularInline):
    """The workflow's steps, as both sides will see them."""

    model = ReturnTransition
    fields = ["at", "action", "from_state", "to_state", "by", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.can_review_returns(request.user)


ANSWER_FIELDSETS = RETURN_SECTIONS
WORKFLOW_FIELDS = [
    "round",
    "municipality",
    "state",
    "version",
    "updated_at",
    "updated_by",
    "prefilled_from",
    "submitted_at",
    "submitted_by",
    "opened_by_secretariat_at",
    "opened_by_secretariat_by",
    "accepted_at",
    "accepted_by",
    "entered_by_secretariat",
]


@admin.register(AnnualReturn)
class AnnualReturnAdmin(FoldedSearchAdmin, ReturnsAdminMixin, SimpleHistoryAdmin):
    """Returns are created by opening a round and never deleted. The answers of a draft or a
    sent-back return are saved through annual_return_save_draft (with the version the page was
    loaded at); the workflow fields are read-only; submitted returns are accepted with the action
    (sending back, with its comment, comes with the review pages). Opening a submitted return here
    records that the secretariat has opened it (it can no longer be withdrawn)."""

    form = AnnualReturnAdminForm
    inlines = [CourseAttendanceInline, TransitionInline]
    list_display = [
        "municipality",
        "fiscal_year_label",
        "state",
        "submitted_at",
        "accepted_at",
        "entered_by_secretariat",
        "updated_at",
    ]
    list_select_related = ["round", "municipality"]
    list_filter = ["round", "state", "entered_by_secretariat", "municipality__region", "municipality__kind"]
    search_fields = ["municipality__name", "municipality__kana", "=municipality__code"]
    ordering = ["-round__fiscal_year", "municipality__code"]
    autocomplete_fields = ["council_organizations", "collaboration_organizations"]
    actions = ["accept_returns"]

    def get_queryset(self, request):
        return access.returns_visible_to(request.user, super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        editable = obj is not None and access.can_edit_return(request.user, obj)
        answers = [(title, {"fields": fields}) for title, fields in ANSWER_FIELDSETS]
        if editable:
            answers[0][1]["fields"] = [*answers[0][1]["fields"], "expected_version"]
        return [("報告", {"fields": WORKFLOW_FIELDS}), *answers]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and access.can_edit_return(request.user, obj):
            return WORKFLOW_FIELDS
        return [*WORKFLOW_FIELDS, *(name for _, fields in ANSWER_FIELDSETS for name in fields)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or access.can_edit_return(request.user, obj)

    @admin.display(description="報告対象年度", ordering="round__fiscal_year")
    def fiscal_year_label(self, annual_return):
        return annual_return.round.year.label

    def save_model(self, request, obj, form, change):
        """Saved with the attendance rows in `save_related`."""

    def save_related(self, request, form, formsets, change):
        values = form.answer_values()
        for formset in formsets:
            formset.save(commit=False)  # saves nothing: lists the rows for the admin's change message
            if formset.model is ReturnCourseAttendance:
                values[ATTENDANCE_KEY] = {
                    row.cleaned_data["course"].pk: row.cleaned_data["persons"]
                    for row in formset.forms
                    if row.cleaned_data.get("course") and not row.cleaned_data.get("DELETE")
                }
        services.annual_return_save_draft(
            annual_return=form.instance,
            values=values,
            expected_version=form.cleaned_data["expected_version"],
            user=request.user,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and object_id:
            self._mark_opened(request, object_id)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ReturnConflict as conflict:
            # Someone saved between the form's check and the save: nothing was saved.
            messages.error(request, conflict.message)
        except ValidationError as error:
            # The return changed state between the form and the save: nothing was saved.
            _report_refusal(self, request, error)
        return redirect(request.path)

    def _mark_opened(self, request, object_id):
        annual_return = self.get_object(request, object_id)
        if annual_return is not None and annual_return.state == AnnualReturn.State.SUBMITTED and (
            annual_return.opened_by_secretariat_at is None and access.can_review_returns(request.user)
        ):
            services.annual_return_mark_opened(annual_return=annual_return, user=request.user)

    @admin.action(description="選択した報告を受理する（提出済みのもの）")
    def accept_returns(self, request, queryset):
        report = services.annual_returns_accept(returns=list(queryset), user=request.user)
        self.message_user(request, report.summary, messages.WARNING if report.refused else messages.SUCCESS)


@admin.register(ReturnTransition)
class ReturnTransitionAdmin(FoldedSearchAdmin, ReturnsAdminMixin, ReadOnlyAdmin, admin.ModelAdmin):
    """Written by the services at every change of state; read here."""

    list_display = ["at", "annual_return", "action", "from_state", "to_state", "by"]
    list_select_related = ["annual_return__municipality", "annual_return__round", "by"]
    list_filter = ["action", "to_state", "annual_return__round"]
    search_fields = ["annual_return__municipality__name", "comment", "by__username", "by__last_name"]
    date_hierarchy = "at"
    fields = ["annual_return", "at", "action", "from_state", "to_state", "by", "comment"]
    readonly_fields = fields


@admin.register(ReturnReminder)
class ReturnReminderAdmin(FoldedSearchAdmin, ReturnsAdminMixin, ReadOnlyAdmin, admin.ModelAdmin):
    """Written when a reminder is sent (next step); read here."""

    list_display = ["sent_at", "round", "municipality", "channel", "sent_by"]
    list_select_related = ["round", "municipality", "sent_by"]
    list_filter = ["round", "channel"]
    search_fields = ["municipality__name"]
    fields = ["round", "municipality", "sent_at", "channel", "sent_by"]
    readonly_fields = fields


# --- good practices (好事例) ---------------------------------------------------------------------------
# The secretariat's own write-ups, through the same services as the pages (/returns/practices/):
# written as drafts, published and taken back with the actions, never deleted (a practice taken
# back is a draft again).


class GoodPracticeAdminForm(forms.ModelForm):
    """`loaded_at`: when the change form was opened (the practice's `updated_at`), posted back, so
    that a save over someone else's later change is refused with the typed text still in the form,
    as on the practice's page."""

    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = GoodPractice
        fields = ["annual_return", "title", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_at"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("loaded_at"):
            current = GoodPractice.objects.select_related("updated_by").get(pk=self.instance.pk)
            if cleaned["loaded_at"] != current.updated_at.isoformat():
                raise ValidationError(services.good_practice_conflict_message(current), code="conflict")
        return cleaned


@admin.register(GoodPractice)
class GoodPracticeAdmin(FoldedSearchAdmin, ReturnsAdminMixin, SimpleHistoryAdmin):
    form = GoodPracticeAdminForm
    list_display = ["title", "municipality", "fiscal_year_label", "is_published", "published_at", "updated_at"]
    list_select_related = ["annual_return__municipality", "annual_return__round"]
    list_filter = ["annual_return__round", "annual_return__municipality__region"]
    search_fields = ["title", "body", "annual_return__municipality__name"]
    readonly_fields = ["published_at", "published_by", "created_at", "created_by", "updated_at", "updated_by"]
    actions = ["publish_practices", "unpublish_practices"]

    def get_queryset(self, request):
        return access.practices_visible_to(request.user, super().get_queryset(request))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["annual_return", "title", "body"]
        return ["annual_return", "title", "body", "loaded_at", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # The return a practice comes from stays the one it was written from.
        return [*self.readonly_fields, "annual_return"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "annual_return":
            kwargs["queryset"] = AnnualReturn.objects.accepted().select_related("round", "municipality")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="区市町村", ordering="annual_return__municipality__code")
    def municipality(self, practice):
        return practice.annual_return.municipality.name

    @admin.display(description="報告対象年度", ordering="annual_return__round__fiscal_year")
    def fiscal_year_label(self, practice):
        return practice.annual_return.round.year.label

    @admin.display(description="公開中", boolean=True)
    def is_published(self, practice):
        return practice.is_published

    def save_model(self, request, obj, form, change):
        if change:
            services.good_practice_update(
                practice=obj,
                title=obj.title,
                body=obj.body,
                user=request.user,
                loaded_at=form.cleaned_data.get("loaded_at") or None,
            )
            return
        created = services.good_practice_create(
            annual_return=obj.annual_return, title=obj.title, body=obj.body, user=request.user
        )
        obj.pk = created.pk
        obj._state.adding = False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The return changed state between the form's check and the save: nothing was saved.
            _report_refusal(self, request, error)
        return redirect(request.path)

    @admin.action(description="選択した好事例を公開する")
    def publish_practices(self, request, queryset):
        self._each(request, queryset.filter(published_at__isnull=True), services.good_practice_publish, "公開")

    @admin.action(description="選択した好事例の公開を取り消す（下書きに戻す）")
    def unpublish_practices(self, request, queryset):
        self._each(request, queryset.filter(published_at__isnull=False), services.good_practice_unpublish, "公開の取消し")

    def _each(self, request, practices, service, done):
        count = _apply_each(self, request, practices, lambda practice: service(practice=practice, user=request.user))
        self.message_user(request, f"{count}件の{done}をしました。" if count else f"{done}をした好事例はありません。")
