"""The admin's account pages: users and their role, the role groups (read-only) and the case
permission's log (read-only), and the operators' page that grants and withdraws the case permission.

Every change goes through plan.accounts.services. Registered when plan.admin is imported (Django's
admin autodiscovery), which imports this module.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from plan.accounts import admin_axes  # noqa: F401  (the login-throttling admin in Japanese)
from plan.accounts.roles import CASE_PERMISSION_CODENAME, GROUP_NAMES, Role, holds_case_permission, role_of
from plan.accounts.services import (
    case_permission_grant,
    case_permission_ineligibility,
    case_permission_revoke,
    user_deactivate,
    user_set_role,
)
from plan.adminsite.search import FoldedSearchAdmin
from plan.adminsite.site import ReadOnlyAdmin
from plan.models import CasePermissionChange, User


def is_operator(user) -> bool:
    """A system operator: an active Django superuser (never a role the secretariat can give)."""
    return bool(user.is_active and user.is_superuser)


class RoleFields(forms.Form):
    """The role part of the account forms: one role group, departments for bureau staff.

    The case permission is not here on purpose: only system operators give or withdraw it, on
    their own page (UserAdmin.case_permission_view) or with the grant/revoke commands.
    """

    role = forms.ChoiceField(label="役割", choices=[("", "（未設定）"), *Role.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per form instance (self.fields is a copy): setting base_fields leaked one account's role
        # into the next request's add-user form.
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and "role" in self.fields:
            self.fields["role"].initial = role_of(instance) or ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.BUREAU_STAFF and not cleaned.get("departments"):
            self.add_error("departments", "所管局職員には所属する所管局・所管課を1つ以上選んでください。")
        if cleaned.get("role") != Role.BUREAU_STAFF and cleaned.get("departments"):
            self.add_error("departments", "所属は所管局職員の場合だけ設定できます。")
        return cleaned


class UserForm(RoleFields, forms.ModelForm):
    # Only these fields are read from a post: groups, user_permissions, is_staff and is_superuser
    # are never among them, so posting them changes nothing.
    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "departments", "is_active"]


class UserCreateForm(RoleFields, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "last_name", "first_name", "email", "departments"]


class CasePermissionForm(forms.Form):
    """The operators' page: give or withdraw the case permission, always with a reason."""

    action = forms.ChoiceField(
        label="操作",
        choices=CasePermissionChange.Action.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="理由",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="例：女性相談支援センターへの着任（令和7年4月1日付）。記録に残り、事務局も閲覧できます。",
        # Checked by the service, so that the admin page and the commands refuse the same things.
        required=False,
    )


def _holds_case_permission_annotation():
    return Exists(
        Permission.objects.filter(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan").filter(
            Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk"))
        )
    )


class CasePermissionFilter(admin.SimpleListFilter):
    title = "個別ケース記録の権限"
    parameter_name = "case_permission"

    def lookups(self, request, model_admin):
        return [("yes", "あり"), ("no", "なし")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(holds_case_permission=self.value() == "yes")
        return queryset


@admin.register(User)
class UserAdmin(FoldedSearchAdmin, DjangoUserAdmin):
    """Accounts: the secretariat creates and deactivates them; they are never deleted."""

    form = UserForm
    add_form = UserCreateForm
    list_display = ["username", "__str__", "email", "role_label", "is_active", "last_login", "case_permission_column"]
    list_filter = ["is_active", "groups", CasePermissionFilter, "departments"]
    list_select_related = []
    search_fields = ["username", "last_name", "first_name", "email"]
    filter_horizontal = ["departments"]
    readonly_fields = ["last_login", "date_joined", "case_permission_for_secretariat", "case_permission_for_operator"]
    actions = ["deactivate"]
    fieldsets = [
        (None, {"fields": ["username", "last_name", "first_name", "email"]}),
        ("役割", {"fields": ["role", "departments", "case_permission_for_secretariat"]}),
        ("状態", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "last_name", "first_name", "email", "password1", "password2"]}),
        ("役割", {"fields": ["role", "departments"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(holds_case_permission=_holds_case_permission_annotation())
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        # Operators get a link to their grant/revoke page; the secretariat only sees who holds it.
        swap = {"case_permission_for_secretariat": "case_permission_for_operator"} if is_operator(request.user) else {}
        if not self.has_change_permission(request, obj):
            # A view-only page (a plan administrator looking at an operator) has no form to take
            # "role" from, so the role is shown through the column's method instead.
            swap["role"] = "role_label"
        return [
            (name, {**options, "fields": [swap.get(field, field) for field in options["fields"]]})
            for name, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "role_label"]
        if obj is not None and self._guarded_for(request, obj):
            fields += ["username", "email"]
        return fields

    def _guarded_for(self, request, user) -> bool:
        # Whoever could change a holder's e-mail address (then reset the password by e-mail) or
        # password could sign in as them and read the case records: only operators may.
        return not is_operator(request.user) and holds_case_permission(user)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and self._guarded_for(request, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request, obj=None):
        # An operator's account (its password above all) is the operators' own business: a plan
        # administrator who could reset it could sign in as the operator and grant themself the
        # case permission.
        if obj is not None and obj.is_superuser and not is_operator(request.user):
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_set_role(user=form.instance, role=form.cleaned_data.get("role") or None, changed_by=request.user)

    @admin.display(description="役割")
    def role_label(self, user):
        names = {group.name for group in user.groups.all()}
        labels = [role.label for role, name in GROUP_NAMES.items() if name in names]
        return "、".join(labels) or "（未設定）"

    @admin.display(description="個別ケース記録の権限", boolean=True, ordering="holds_case_permission")
    def case_permission_column(self, user):
        held = getattr(user, "holds_case_permission", None)
        return holds_case_permission(user) if held is None else held

    @admin.display(description="個別ケース記録の権限")
    def case_permission_for_secretariat(self, user):
        holds = holds_case_permission(user)
        return format_html(
            "{}<br><span class=\"help\">{}{}</span>",
            "あり" if holds else "なし",
            "この権限の付与・取消はシステム運用者だけが行います。取消や付与が必要なときは、理由を添えてシステム運用者に依頼してください。",
            "この権限を持つアカウントのユーザー名・メールアドレス・パスワードは、システム運用者だけが変更できます。"
            if holds
            else "",
        )

    @admin.display(description="個別ケース記録の権限")
    def case_permission_for_operator(self, user):
        if not user.pk:
            return "なし"
        return format_html(
            "{}　<a href=\"{}\">付与・取消の画面へ</a>",
            "あり" if holds_case_permission(user) else "なし",
            reverse("admin:plan_user_case_permission", args=[user.pk]),
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/case-permission/",
                self.admin_site.admin_view(self.case_permission_view),
                name="plan_user_case_permission",
            ),
            *super().get_urls(),
        ]

    def case_permission_view(self, request, object_id):
        """Give or withdraw the case permission: system operators only, with a reason, logged."""
        # As Django's own password page: an id no row can have is a 404 for everyone, then the
        # right is checked (plan administrators see every account anyway, so nothing is revealed).
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404("指定されたユーザーは見つかりません。")
        if not is_operator(request.user):
            raise PermissionDenied
        holds = holds_case_permission(user)
        default_action = CasePermissionChange.Action.REVOKE if holds else CasePermissionChange.Action.GRANT
        form = CasePermissionForm(request.POST or None, initial={"action": default_action})
        if request.method == "POST" and form.is_valid():
            service = (
                case_permission_grant
                if form.cleaned_data["action"] == CasePermissionChange.Action.GRANT
                else case_permission_revoke
            )
            actor = "granted_by" if service is case_permission_grant else "revoked_by"
            try:
                change = service(
                    user=user,
                    reason=form.cleaned_data["reason"],
                    via=CasePermissionChange.Via.ADMIN,
                    **{actor: request.user},
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error("action" if field == "user" else field, problems)
            else:
                messages.success(
                    request, f"{user}（{user.username}）の個別ケース記録の権限を{change.get_action_display()}しました。"
                )
                return redirect("admin:plan_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"個別ケース記録の権限：{user}（{user.username}）",
            "opts": self.opts,
            "original": user,
            "form": form,
            "holds": holds,
            "ineligibility": None if holds else case_permission_ineligibility(user),
            "changes": CasePermissionChange.objects.filter(user=user).select_related("changed_by")[:50],
        }
        return TemplateResponse(request, "admin/plan/user/case_permission.html", context)

    @admin.action(description="選択したアカウントを無効にする（履歴は残ります）")
    def deactivate(self, request, queryset):
        done = skipped = 0
        for user in queryset:
            if not self.has_change_permission(request, user):
                skipped += 1  # an operator's account: only operators may change it
                continue
            user_deactivate(user=user, changed_by=request.user)
            done += 1
        messages.success(request, f"{done} 件のアカウントを無効にしました。")
        if skipped:
            messages.warning(request, f"システム運用者のアカウント {skipped} 件は変更できないため、無効にしていません。")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(FoldedSearchAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Groups are the roles: shown for reference, changed only by the setup command.

    Read-only for operators too: a group form could put people into the case group (or add the
    case permission to a role) without going through case_permission_grant.
    """

    list_display = ["name"]
    search_fields = ["name"]


@admin.register(CasePermissionChange)
class CasePermissionChangeAdmin(FoldedSearchAdmin, ReadOnlyAdmin, admin.ModelAdmin):
    """Who was given or lost the case permission, by whom, when and why: read by the secretariat,
    written only by plan.accounts.services."""

    list_display = ["changed_at", "action", "user", "changed_by", "via", "reason"]
    list_display_links = ["changed_at"]
    list_select_related = ["user", "changed_by"]
    list_filter = ["action", "via"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "changed_by__username", "reason"]
    date_hierarchy = "changed_at"
    fields = ["changed_at", "action", "user", "changed_by", "via", "reason"]
    readonly_fields = fields
