from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from meetings import access
from meetings.forms import OrganizationForm
from meetings.models import (
    AgendaItem,
    Body,
    CaseReview,
    CaseReviewParticipant,
    CommitteeMember,
    FollowUp,
    Meeting,
    Organization,
    OrganizationMerge,
    OrganizationRole,
    Tier,
)
from plan.admin import ReadOnlyAdmin


class TierInline(admin.TabularInline):
    model = Tier
    fields = ["position", "code", "name", "tmg_name", "purpose", "schedule_note"]
    extra = 0


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    fields = ["position", "name", "affiliation", "title", "term_start", "term_end"]
    extra = 0


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "kind", "also_serves_as"]
    list_select_related = []
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]

    def get_inlines(self, request, obj):
        # Members belong to the committee only; the council has tiers instead.
        if obj is not None and obj.is_committee:
            return [CommitteeMemberInline]
        return [TierInline]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "body"]
    list_select_related = ["body"]
    list_filter = ["body"]
    search_fields = ["name", "tmg_name"]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "title", "term_start", "term_end", "body"]
    list_select_related = ["body"]
    list_filter = ["body", "term_end"]
    search_fields = ["name", "affiliation"]
    fields = ["body", "position", "name", "affiliation", "title", "term_start", "term_end"]


# --- organisations: names of temporary-protection providers are masked for whoever may not see them


class MaskedOrganizationsMixin:
    """Choices of organisations labelled with the name the user may see (a superuser who is not
    the secretariat and lacks the case permission sees the mask)."""

    organization_fields = ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in self.organization_fields and formfield is not None:
            _mask_choices(formfield, request)
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.organization_fields and formfield is not None:
            _mask_choices(formfield, request)
        return formfield


def _mask_choices(formfield, request):
    formfield.queryset = Organization.objects.with_names_for(request.user).order_by("name_hidden", "name")
    formfield.label_from_instance = lambda org: org.shown_name


class OrganizationRoleInline(admin.TabularInline):
    model = OrganizationRole
    fields = ["role", "start_date", "end_date", "note"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    form = OrganizationForm
    list_display = ["display_name", "kind", "role_list", "meeting_count"]
    list_select_related = []
    list_filter = ["kind", "roles__role"]
    search_fields = ["name"]
    fields = ["name", "kind", "note", "confirm_similar"]
    inlines = [OrganizationRoleInline]

    def get_queryset(self, request):
        return (
            Organization.objects.with_names_for(request.user)
            .annotate(meeting_count=Count("meetings_attended", distinct=True))
            .prefetch_related("roles")
            .order_by("name_hidden", "name")
        )

    def get_search_results(self, request, queryset, search_term):
        if search_term:
            # A masked row matching a typed name would confirm that the name is a provider's.
            queryset = queryset.filter(name_hidden=False)
        return super().get_search_results(request, queryset, search_term)

    def has_view_permission(self, request, obj=None):
        if obj is not None and not self._name_visible(request, obj):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self._name_visible(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self._name_visible(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _name_visible(request, obj):
        return access.can_see_provider_names(request.user) or not obj.is_provider

    @admin.display(description="名称", ordering="name")
    def display_name(self, organization):
        return organization.shown_name

    @admin.display(description="役割")
    def role_list(self, organization):
        if organization.name_hidden:
            return "—"
        return "、".join(sorted({role.get_role_display() for role in organization.roles.all()})) or "—"

    @admin.display(description="出席した会議", ordering="meeting_count")
    def meeting_count(self, organization):
        return "—" if organization.name_hidden else organization.meeting_count


@admin.register(OrganizationMerge)
class OrganizationMergeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The log of merges, written by meetings.services.organization_merge only."""

    list_display = ["merged_at", "removed_name", "kept_name", "merged_by"]
    list_select_related = ["merged_by"]
    readonly_fields = [
        "kept",
        "kept_name",
        "removed_pk",
        "removed_name",
        "removed_kind",
        "moved",
        "merged_by",
        "merged_at",
    ]
    search_fields = ["removed_name", "kept_name"]


# --- meetings ----------------------------------------------------------------------------------------


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["position", "title", "measures"]
    autocomplete_fields = ["measures"]
    extra = 0


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    fields = ["description", "owner", "due_date", "done", "measures"]
    autocomplete_fields = ["measures"]
    extra = 0


class _FileLink:
    def __init__(self, name, url):
        self.name, self.url = name, url

    def __str__(self):
        return self.name


class MinutesFileWidget(AdminFileWidget):
    """Links the attached file to the view that applies the meeting's access rule: MEDIA_ROOT has
    no URL of its own."""

    download_url = None
    display_name = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.download_url and context["widget"]["is_initial"]:
            context["widget"]["value"] = _FileLink(self.display_name or str(value), self.download_url)
        return context


@admin.register(Meeting)
class MeetingAdmin(MaskedOrganizationsMixin, SimpleHistoryAdmin):
    organization_fields = ("attending_organizations",)
    list_display = ["date", "title", "body", "tier", "status", "openness"]
    list_select_related = ["body", "tier"]
    list_filter = ["status", "openness", "body", "tier"]
    search_fields = ["title"]
    date_hierarchy = "date"
    fields = [
        "body",
        "tier",
        "status",
        "title",
        "date",
        "start_time",
        "end_time",
        "mode",
        "place",
        "openness",
        "attending_organizations",
        "attendee_count",
        "minutes",
        "minutes_file",
        "decisions",
    ]
    filter_horizontal = ["attending_organizations"]
    inlines = [AgendaItemInline, FollowUpInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tier":
            kwargs["queryset"] = Tier.objects.for_meetings().select_related("body")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        widget = MinutesFileWidget()
        if obj is not None and obj.minutes_file:
            widget.download_url = reverse("meetings:minutes_file", args=[obj.pk])
            widget.display_name = obj.minutes_file_name
        form.base_fields["minutes_file"].widget = widget
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if "minutes_file" in form.changed_data:
            obj.minutes_file_name = obj.minutes_file.name.rsplit("/", 1)[-1] if obj.minutes_file else ""
        super().save_model(request, obj, form, change)


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["description", "owner", "due_date", "done", "meeting"]
    list_select_related = ["meeting"]
    list_filter = ["done"]
    search_fields = ["description", "owner"]
    autocomplete_fields = ["measures"]
    raw_id_fields = ["meeting"]


# --- case reviews: only for holders of the case permission, 404 for everyone else --------------------


class CaseReviewParticipantInline(MaskedOrganizationsMixin, admin.TabularInline):
    model = CaseReviewParticipant
    organization_fields = ("organization",)
    fields = ["organization", "supported_before"]
    extra = 0


@admin.register(CaseReview)
class CaseReviewAdmin(admin.ModelAdmin):
    """Follows the case permission, not the model permissions a plan administrator's group has:
    without it, every page of this admin is a 404 and the model is left out of the index."""

    list_display = ["date", "case_code", "woman_attended", "absence_reason"]
    list_select_related = []
    list_filter = ["woman_attended", "absence_reason"]
    search_fields = ["case_code"]
    date_hierarchy = "date"
    fields = ["case_code", "date", "woman_attended", "absence_reason", "absence_note"]
    inlines = [CaseReviewParticipantInline]

    def get_queryset(self, request):
        return CaseReview.objects.visible_to(request.user)

    def _allowed(self, request):
        return access.can_see_case_records(request.user)

    def has_module_permission(self, request):
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request) and super().has_delete_permission(request, obj)

    def _refuse_unless_allowed(self, request):
        if not self._allowed(request):
            raise Http404

    def changelist_view(self, request, extra_context=None):
        self._refuse_unless_allowed(request)
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        self._refuse_unless_allowed(request)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._refuse_unless_allowed(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._refuse_unless_allowed(request)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_unless_allowed(request)
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
