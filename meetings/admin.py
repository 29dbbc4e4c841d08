"""The meetings app's admin, for the secretariat (and system operators).

Every write here goes through meetings.services, the same functions the app's pages call
(`ServiceAdmin`); who sees what is asked of meetings.access; free text is masked for a reader who
may not see providers' names (meetings.provider_names).
"""

from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from meetings import access, services
from meetings.forms import OrganizationForm
from meetings.models import (
    AgendaItem,
    Body,
    CommitteeMember,
    FollowUp,
    Meeting,
    Organization,
    OrganizationMerge,
    OrganizationRole,
    Tier,
)
from meetings.provider_names import (
    admin_search_words,
    mask_provider_names,
    mask_provider_names_in_html,
    show_masked,
    text_matches,
    typed_texts,
    warn_about_provider_names,
)
from meetings.services import ItemChange
from plan.adminsite.search import FoldedSearchAdmin
from plan.adminsite.site import ReadOnlyAdmin

# --- writes: through meetings.services ---------------------------------------------------------------


@dataclass
class InlineRows:
    """The rows of one inline as the admin's formset checked them: those added or changed (with
    their measures, for agenda items and follow-ups) and those ticked for deletion."""

    kept: list[ItemChange] = field(default_factory=list)
    removed: list = field(default_factory=list)

    @property
    def instances(self) -> list:
        return [row.instance for row in self.kept]


def _inline_rows(formset) -> InlineRows:
    # save(commit=False) saves nothing: it lists the new, changed and deleted rows, which the
    # admin's log message reads too.
    formset.save(commit=False)
    return InlineRows(
        kept=[
            ItemChange(instance=form.instance, measures=form.cleaned_data.get("measures"))
            for form in formset.saved_forms
        ],
        removed=list(formset.deleted_objects),
    )


def _m2m_value(form, name):
    """The form's value for a many-to-many field, or None when the form has no such field (read
    only): the service then leaves the relation as it is."""
    return form.cleaned_data.get(name) if name in form.cleaned_data else None


def _file_change(form, name) -> tuple[UploadedFile | None, bool]:
    """(the file uploaded, whether the file was cleared) for a file field of the admin's form."""
    if name not in form.changed_data:
        return None, False
    value = form.cleaned_data.get(name)
    if isinstance(value, UploadedFile):
        return value, False
    return None, value is False


class ServiceAdmin:
    """The admin's writes go through meetings.services, as the app's pages do. The admin checks the
    form and its inline rows as usual (the models' `clean()` included); then one service call saves
    the record with its rows, in `save_related`, once the rows are known (`save_model` saves
    nothing by itself). Deletions, one record or a selection, go through the services too.

    Subclasses say which service: `save_with_services` and `delete_with_services`."""

    def save_model(self, request, obj, form, change):
        """Saved with its related rows in `save_related`."""

    def save_related(self, request, form, formsets, change):
        rows = {formset.model: _inline_rows(formset) for formset in formsets}
        self.save_with_services(request, form, rows, change)

    def delete_model(self, request, obj):
        self.delete_with_services(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_services(request, obj)

    def save_with_services(self, request, form, rows: dict, change: bool) -> None:
        raise NotImplementedError

    def delete_with_services(self, request, obj) -> None:
        raise NotImplementedError


# --- free text: providers' names masked for whoever may not see them ----------------------------------
#
# The admin lets in plan administrators and superusers (plan.adminsite.site). A superuser who is neither
# the secretariat nor a case-permission holder may not see providers' names: every free text below
# is shown to them masked and read-only (a masked text must never be saved back over what was typed),
# in lists, forms, search, history and the list of what a deletion takes along.


def _masked_column(model, name, user):
    """A read-only column showing the field `name` masked for `user`."""

    def column(obj):
        return mask_provider_names(_text_at(obj, name), user)

    column.short_description = model._meta.get_field(name).verbose_name
    column.__name__ = f"masked_{name}"
    return column


def _text_at(obj, path):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return ""
    return str(obj)


class _MaskedHistoryHelper(HistoricalRecordContextHelper):
    """Masks each changed value before the history shortens it (a shortened name would slip by)."""

    def __init__(self, model, record, *, user):
        super().__init__(model, record)
        self.user = user

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, list):
            return [mask_provider_names(item, self.user) for item in value]
        return value if value is None else mask_provider_names(value, self.user)


class ProviderTextAdminMixin:
    """`masked_fields`: the model's free text, masked for a reader who may not see providers' names.
    Whoever saves a text naming a provider is warned (the text is kept as typed)."""

    masked_fields = ()

    @staticmethod
    def hides_names(request) -> bool:
        return not access.can_see_provider_names(request.user)

    def masked_columns(self, request) -> dict:
        """A read-only column per masked field, made once per request: the admin finds fields and
        read-only fields by identity."""
        cache = request.__dict__.setdefault("_masked_admin_columns", {})
        if type(self) not in cache:
            cache[type(self)] = {
                name: _masked_column(self.model, name, request.user) for name in self.masked_fields
            }
        return cache[type(self)]

    def _masks(self, request, obj) -> bool:
        # A new record has nothing to mask yet: its fields stay editable.
        return obj is not None and bool(self.masked_fields) and self.hides_names(request)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self._masks(request, obj):
            return fields
        columns = self.masked_columns(request)
        return list(dict.fromkeys(columns.get(name, name) for name in fields))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._masks(request, obj):
            readonly += list(self.masked_columns(request).values())
        return readonly


class MaskedTextAdmin(ProviderTextAdminMixin, FoldedSearchAdmin):
    """For a model admin: lists, search, the page's title, deletions and history as well."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if self.hides_names(request):
            show_masked(obj, request.user)  # the title and breadcrumbs print the object
        return obj

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if self.hides_names(request):
            for obj in changelist.result_list:  # each row's checkbox is labelled with the object
                show_masked(obj, request.user)
        return changelist

    def get_list_display(self, request):
        display = super().get_list_display(request)
        if not self.hides_names(request):
            return display
        columns = self.masked_columns(request)
        return [columns.get(name, name) for name in display]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = admin_search_words(search_term)
        if words and self.hides_names(request):
            # On the masked text: a provider's name, or a part of it, finds nothing.
            fields = [name.lstrip("^=@") for name in self.get_search_fields(request)]
            kept = [
                obj.pk
                for obj in queryset
                if text_matches([_text_at(obj, name) for name in fields], words, request.user)
            ]
            queryset = queryset.filter(pk__in=kept)
        return queryset, may_have_duplicates

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if self.hides_names(request):
            deleted = _mask_nested(deleted, request.user)
            protected = _mask_nested(protected, request.user)
        return deleted, model_count, perms_needed, protected

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_about_provider_names(request, typed_texts(form, formsets))
        if self.hides_names(request):
            show_masked(form.instance, request.user)  # the admin's message and log print it

    # django-simple-history's pages (for the admins that have them)

    def get_historical_record_context_helper(self, request, historical_record):
        if self.hides_names(request):
            return _MaskedHistoryHelper(self.model, historical_record, user=request.user)
        return super().get_historical_record_context_helper(request, historical_record)

    def render_history_view(self, request, template, context, **kwargs):
        if self.hides_names(request):
            user = request.user
            for key in ("object", "original"):
                show_masked(context.get(key), user)
            context["title"] = mask_provider_names(context.get("title", ""), user)
            page = context.get("page_obj")
            for record in page.object_list if page is not None else ():
                # A plain attribute hides the descriptor that would build the stored object again.
                record.history_object = mask_provider_names(str(record.history_object), user)
                record.history_change_reason = mask_provider_names(record.history_change_reason, user)
        return super().render_history_view(request, template, context, **kwargs)


class MaskedTextInline(ProviderTextAdminMixin):
    """For an inline: existing rows masked; no new rows for a reader who may not see the names, since
    their text could not be typed in a masked, read-only field."""

    def has_add_permission(self, request, obj=None):
        if self._masks(request, obj):
            return False
        return super().has_add_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if not self._masks(request, obj):
            return formset
        user = request.user

        class MaskedFormSet(formset):
            def get_queryset(self):
                # Each row is headed by the printed object: print it masked.
                queryset = super().get_queryset()
                for row in queryset:
                    show_masked(row, user)
                return queryset

        return MaskedFormSet


def _mask_nested(items, user):
    return [
        _mask_nested(item, user) if isinstance(item, list) else mask_provider_names_in_html(item, user)
        for item in items
    ]


class TierInline(MaskedTextInline, admin.TabularInline):
    model = Tier
    masked_fields = Tier.FREE_TEXT_FIELDS
    fields = ["position", "code", "name", "tmg_name", "purpose", "schedule_note"]
    extra = 0


class CommitteeMemberInline(MaskedTextInline, admin.TabularInline):
    model = CommitteeMember
    masked_fields = CommitteeMember.FREE_TEXT_FIELDS
    fields = ["position", "name", "affiliation", "title", "term_start", "term_end"]
    extra = 0


@admin.register(Body)
class BodyAdmin(MaskedTextAdmin, ServiceAdmin, admin.ModelAdmin):
    masked_fields = Body.FREE_TEXT_FIELDS
    list_display = ["short_name", "kind", "also_serves_as"]
    list_select_related = []
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]

    def get_inlines(self, request, obj):
        # Members belong to the committee only; the council has tiers instead.
        if obj is not None and obj.is_committee:
            return [CommitteeMemberInline]
        return [TierInline]

    def save_with_services(self, request, form, rows, change):
        tiers, members = rows.get(Tier, InlineRows()), rows.get(CommitteeMember, InlineRows())
        arguments = {
            "body": form.instance,
            "tiers": tiers.instances,
            "members": members.instances,
            "user": request.user,
        }
        if change:
            services.body_update(**arguments, removed=tiers.removed + members.removed)
        else:
            services.body_create(**arguments)

    def delete_with_services(self, request, obj):
        services.body_delete(body=obj, user=request.user)


@admin.register(Tier)
class TierAdmin(MaskedTextAdmin, ServiceAdmin, admin.ModelAdmin):
    masked_fields = Tier.FREE_TEXT_FIELDS
    list_display = ["__str__", "body"]
    list_select_related = ["body"]
    list_filter = ["body"]
    search_fields = ["name", "tmg_name"]

    def save_with_services(self, request, form, rows, change):
        service = services.tier_update if change else services.tier_create
        service(tier=form.instance, user=request.user)

    def delete_with_services(self, request, obj):
        services.tier_delete(tier=obj, user=request.user)


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(MaskedTextAdmin, ServiceAdmin, admin.ModelAdmin):
    masked_fields = CommitteeMember.FREE_TEXT_FIELDS
    list_display = ["name", "affiliation", "title", "term_start", "term_end", "body"]
    list_select_related = ["body"]
    list_filter = ["body", "term_end"]
    search_fields = ["name", "affiliation"]
    fields = ["body", "position", "name", "affiliation", "title", "term_start", "term_end"]

    def save_with_services(self, request, form, rows, change):
        service = services.committee_member_update if change else services.committee_member_create
        service(member=form.instance, user=request.user)

    def delete_with_services(self, request, obj):
        services.committee_member_delete(member=obj, user=request.user)


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
    formfield.queryset = access.organizations_named_for(request.user).order_by("name_hidden", "name")
    formfield.label_from_instance = lambda org: org.shown_name


class OrganizationRoleInline(MaskedTextInline, admin.TabularInline):
    model = OrganizationRole
    masked_fields = OrganizationRole.FREE_TEXT_FIELDS
    fields = ["role", "start_date", "end_date", "note"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(MaskedTextAdmin, ServiceAdmin, SimpleHistoryAdmin):
    form = OrganizationForm
    masked_fields = Organization.FREE_TEXT_FIELDS
    list_display = ["display_name", "kind", "role_list", "meeting_count"]
    list_select_related = []
    list_filter = ["kind", "roles__role"]
    search_fields = ["name"]
    fields = ["name", "kind", "note", "confirm_similar"]
    inlines = [OrganizationRoleInline]

    def get_queryset(self, request):
        organizations = access.organizations_named_for(request.user).order_by("name_hidden", "name")
        match = request.resolver_match
        if match is not None and match.url_name == "autocomplete":
            # The meeting form's search (autocomplete_fields) shows names only: no count grouped
            # over the whole registry, no roles.
            return organizations
        return organizations.annotate(
            meeting_count=Count("meetings_attended", distinct=True)
        ).prefetch_related("roles")

    def get_search_results(self, request, queryset, search_term):
        if search_term:
            queryset = access.organizations_findable_by(request.user, queryset)
        return super().get_search_results(request, queryset, search_term)

    def autocomplete_label(self, request, organization):
        """The meeting form's search (plan.adminsite.site.LabelledAutocompleteJsonView): the name as
        the list prints it, a provider's name inside another's masked too."""
        return str(show_masked(organization, request.user))

    def has_view_permission(self, request, obj=None):
        if obj is not None and not access.can_open_organization(request.user, obj):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not access.can_open_organization(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not access.can_open_organization(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_with_services(self, request, form, rows, change):
        organization, roles = form.instance, rows.get(OrganizationRole, InlineRows())
        if change:
            services.organization_update(
                organization=organization,
                roles=roles.instances,
                removed_roles=roles.removed,
                user=request.user,
            )
        else:
            services.organization_create(organization=organization, roles=roles.instances, user=request.user)
        # The admin's message and log print the record: as this user may read it now (its roles
        # may have changed with this save).
        organization.__dict__.pop("is_confidential", None)
        organization.shown_name = access.organization_name_for(request.user, organization)

    def delete_with_services(self, request, obj):
        services.organization_delete(organization=obj, user=request.user)

    def render_history_view(self, request, template, context, **kwargs):
        # Each version is printed as this reader may read the record, the record's provider flag
        # read once, rather than masked as for an unknown reader at a query per row.
        record, page = context.get("object"), context.get("page_obj")
        if record is not None and page is not None:
            is_provider = record.is_provider
            for version in page.object_list:
                organization = version.history_object
                organization.is_confidential = is_provider
                # A plain attribute hides the descriptor that would build the stored object again.
                version.history_object = access.organization_name_for(request.user, organization)
        return super().render_history_view(request, template, context, **kwargs)

    @admin.display(description="名称", ordering="name")
    def display_name(self, organization):
        # str(): the name as this reader may read it (`shown_name`), with any provider's name inside
        # it masked too for a reader who may not see them (set on each row by MaskedTextAdmin).
        return str(organization)

    @admin.display(description="役割")
    def role_list(self, organization):
        if organization.name_hidden:
            return "—"
        return "、".join(sorted({role.get_role_display() for role in organization.roles.all()})) or "—"

    @admin.display(description="出席した会議", ordering="meeting_count")
    def meeting_count(self, organization):
        return "—" if organization.name_hidden else organization.meeting_count


@admin.register(OrganizationMerge)
class OrganizationMergeAdmin(MaskedTextAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """The log of merges, written by meetings.services.organization_merge only. The names copied
    here are masked like the registry's for whoever may not see providers' names."""

    masked_fields = ("removed_name", "kept_name", "kept")  # copied names, and the kept record

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


class AgendaItemInline(MaskedTextInline, admin.TabularInline):
    model = AgendaItem
    masked_fields = AgendaItem.FREE_TEXT_FIELDS
    fields = ["position", "title", "measures"]
    autocomplete_fields = ["measures"]
    extra = 0


class FollowUpInline(MaskedTextInline, admin.TabularInline):
    model = FollowUp
    masked_fields = FollowUp.FREE_TEXT_FIELDS
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
class MeetingAdmin(MaskedTextAdmin, MaskedOrganizationsMixin, ServiceAdmin, SimpleHistoryAdmin):
    organization_fields = ("attending_organizations",)
    masked_fields = Meeting.FREE_TEXT_FIELDS
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
    # Chosen by a search over the organisation admin (its get_queryset and get_search_results mask
    # and hide providers' names as its list does), not from every organisation on the page: with
    # 20,000 of them filter_horizontal took two seconds (issue 13).
    autocomplete_fields = ["attending_organizations"]
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
            widget.display_name = mask_provider_names(obj.minutes_file_name, request.user)
        if "minutes_file" in form.base_fields:
            form.base_fields["minutes_file"].widget = widget
        return form

    def save_with_services(self, request, form, rows, change):
        agenda, follow_ups = rows.get(AgendaItem, InlineRows()), rows.get(FollowUp, InlineRows())
        upload, cleared = _file_change(form, "minutes_file")
        organizations = _m2m_value(form, "attending_organizations")
        arguments = {
            "meeting": form.instance,
            "agenda_items": agenda.kept,
            "follow_ups": follow_ups.kept,
            "minutes_upload": upload,
            "user": request.user,
        }
        if change:
            services.meeting_update(
                **arguments,
                organizations=organizations,
                removed=agenda.removed + follow_ups.removed,
                remove_minutes_file=cleared,
            )
        else:
            services.meeting_create(**arguments, organizations=organizations or ())

    def delete_with_services(self, request, obj):
        services.meeting_delete(meeting=obj, user=request.user)


@admin.register(FollowUp)
class FollowUpAdmin(MaskedTextAdmin, ServiceAdmin, admin.ModelAdmin):
    masked_fields = (*FollowUp.FREE_TEXT_FIELDS, "meeting")  # the meeting prints its title
    list_display = ["description", "owner", "due_date", "done", "meeting"]
    list_select_related = ["meeting"]
    list_filter = ["done"]
    search_fields = ["description", "owner"]
    autocomplete_fields = ["measures"]
    raw_id_fields = ["meeting"]

    def save_with_services(self, request, form, rows, change):
        service = services.follow_up_update if change else services.follow_up_create
        service(follow_up=form.instance, measures=_m2m_value(form, "measures"), user=request.user)

    def delete_with_services(self, request, obj):
        services.follow_up_delete(follow_up=obj, user=request.user)


# Case reviews have no admin: the case permission is held only by bureau staff (the center),
# who never open the admin; they record reviews on /meetings/case-reviews/, and everyone else must
# not reach the records by any path.
