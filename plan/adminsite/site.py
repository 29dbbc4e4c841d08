"""The admin site (plan.apps.PlanAdminConfig makes it Django's `admin.site`), and ReadOnlyAdmin,
the base for records that only the system writes. Every app's admin registers on this site."""

import inspect
import logging
import re
from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.options import TO_FIELD_VAR, BaseModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import BadRequest, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, transaction
from django.http import Http404, HttpResponseRedirect

logger = logging.getLogger(__name__)

# The arguments of admin views that name a row of the model admin's model, and those (from
# django-simple-history) that name a row of its history.
OBJECT_ID_ARGUMENTS = ("object_id", "id")
HISTORY_ID_ARGUMENTS = ("version_id", "history_id")


class PlanAdminSite(admin.AdminSite):
    """The admin is for the plan secretariat (and system operators), never for other roles."""

    site_header = "困難女性支援基本計画 進捗管理 管理画面"
    site_title = "進捗管理 管理画面"
    index_title = "データの管理"

    def has_permission(self, request):
        from plan.accounts.roles import is_plan_admin

        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or is_plan_admin(user))

    def admin_view(self, view, cacheable=False):
        """Every model admin's view (Django's, simple_history's, import-export's, axes') comes
        through here, so bad ids and bad lookups are answered once for all of them rather than with
        a server error: see `_guard_ids`, `_guard_overflow` and `_guard_changelist`. The guards run
        after the site's own permission check, so a signed-out user still goes to the login page."""
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, BaseModelAdmin):
            if view.__name__ == "changelist_view":
                view = _guard_changelist(view, model_admin)
            else:
                view = _guard_overflow(_guard_ids(view, model_admin))
        return super().admin_view(view, cacheable)

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete (autocomplete_fields), each result labelled by the searched model
    admin's `autocomplete_label(request, obj)` where it has one: Django prints str(obj), and a
    label may depend on who reads it (meetings' organisations: providers' names masked)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(self.request, obj)
        return result


class AdmittedOnlyAdmin:
    """Admin pages for the users an app's access rule admits, on top of Django's permissions:
    `admits(user)` is the app's rule (e.g. municipalities.access.can_review_returns). A past version
    in django-simple-history is shown, never restored: a restore would write around the services."""

    def admits(self, user) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.admits(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.admits(request.user)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self.admits(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.admits(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self.admits(request.user)

    def has_change_history_permission(self, request, obj=None):
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin:
    """For records written only by the system (roles, logs, loaded mappings): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _guard_ids(view, model_admin):
    """A 404 for an object id that no row of the model could have ("abc", or 20 digits for an
    integer key). Django's own views raise on some of them (a ValueError from simple_history's
    lookups, an OverflowError from SQLite) instead of answering "not found"."""
    try:
        signature = inspect.signature(view)
    except (TypeError, ValueError):
        return view
    names = set(signature.parameters)
    if not names & {*OBJECT_ID_ARGUMENTS, *HISTORY_ID_ARGUMENTS}:
        return view
    model = model_admin.model

    def guarded(request, *args, **kwargs):
        try:
            arguments = signature.bind_partial(request, *args, **kwargs).arguments
        except TypeError:
            return view(request, *args, **kwargs)
        for name, value in arguments.items():
            if name in OBJECT_ID_ARGUMENTS:
                field = _id_field(model, request)
            elif name in HISTORY_ID_ARGUMENTS:
                field = _history_id_field(model)
            else:
                continue
            if field is not None and isinstance(value, str) and not _valid_value(field, unquote(value)):
                raise Http404("No row can have this id.")
        return view(request, *args, **kwargs)

    return update_wrapper(guarded, view)


def _id_field(model, request):
    # A popup may name the object by another field (?_to_field=...); the admin itself refuses a
    # field it does not allow, so an unknown one is left to it.
    to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
    if not to_field:
        return model._meta.pk
    try:
        return model._meta.get_field(to_field)
    except FieldDoesNotExist:
        return None


def _history_id_field(model):
    manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager_name is None:
        return None
    return getattr(model, manager_name).model._meta.pk


def _valid_value(field, value) -> bool:
    """Whether the database column of `field` can hold `value`: the field's own conversion, and its
    validators, which for integer fields include the database's range."""
    while field.is_relation:
        field = field.target_field
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def _guard_overflow(view):
    """A 400 for an integer beyond the database's range in a form (a 20-digit id among the choices
    of a many-to-many field). Django looks the choices up with `pk__in`, which, unlike `pk=`, does
    not leave such ids out: SQLite raises OverflowError. The view runs in a savepoint, so nothing it
    wrote before the error is kept, as the 400 page says."""

    def guarded(request, *args, **kwargs):
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except OverflowError as error:
            raise BadRequest("A value beyond the database's range.") from error

    return update_wrapper(guarded, view)


def _guard_changelist(view, model_admin):
    """A query string that the database cannot answer (a year beyond 9999 in a date filter, an
    integer too large for SQLite, an out-of-range date on PostgreSQL) gets the admin's usual
    "incorrect lookup parameters" redirect (?e=1) instead of a server error.

    Django catches such values only where it parses them itself; others fail when the query is
    compiled or run, inside the changelist or while its template renders. So the view runs and its
    page renders inside a savepoint: under ATOMIC_REQUESTS a database error would otherwise leave
    the request's transaction unusable on PostgreSQL."""

    without_lookups = _guard_overflow(view)

    def guarded(request, *args, **kwargs):
        if not set(request.GET) - {ERROR_FLAG} or not model_admin.has_view_or_change_permission(request):
            # Someone who may not see the list gets the admin's own refusal, whatever the query.
            # No lookups: any error is ours, not the request's, except the overflow of an action's
            # 20-digit selected id (see _guard_overflow).
            return without_lookups(request, *args, **kwargs)
        try:
            _check_patterns(request.GET)
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if callable(getattr(response, "render", None)):
                    response.render()
        except (ValueError, OverflowError, DataError) as error:
            # Logged like Django's own 400s, so that a real bug caught here does not go unseen.
            logger.warning(
                "Admin changelist %s refused the lookup %s: %r", request.path, request.GET.urlencode(), error
            )
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return response

    return update_wrapper(guarded, view)


def _check_patterns(query):
    """A ValueError for a `__regex`/`__iregex` lookup that is not a regular expression. SQLite runs
    them through Python's `re`, whose error inside the database function comes back as an
    OperationalError, which cannot be told from a real database failure; PostgreSQL's DataError
    for its own syntax is caught with the others."""
    for key, values in query.lists():
        if key.endswith(("__regex", "__iregex")):
            for value in values:
                try:
                    re.compile(value)
                except re.error as error:
                    raise ValueError(f"{key}: {error}") from error
