"""The case permission: one way in (system operators, with a reason, logged), held only
by active bureau staff, withdrawn automatically when that stops being true, and no other path in."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from plan.accounts.roles import (
    CASE_GROUP_NAME,
    CASE_PERMISSION_CODENAME,
    Role,
    can_handle_case_records,
    holds_case_permission,
)
from plan.accounts.services import (
    CASE_PERMISSION_REASON_DEACTIVATED,
    CASE_PERMISSION_REASON_ROLE_CHANGED,
    case_permission_grant,
    case_permission_revoke,
    user_deactivate,
    user_set_role,
)
from plan.models import CasePermissionChange, User
from tests.factories import UserFactory, operator, welfare_division
from tests.html import link_targets, select, select_one, text_of

HOLDERS_ONLY = "個別ケース記録の権限を持てるのは、有効な所管局職員（女性相談支援センターの職員）だけです。"


def fresh(user):
    """The account as stored now, without the permission caches of the instance in hand."""
    return User.objects.get(pk=user.pk)


def page_url(user):
    return reverse("admin:plan_user_case_permission", args=[user.pk])


@pytest.fixture
def ops_client(client, system_operator):
    client.force_login(system_operator)
    return client


@pytest.fixture
def inactive_staff(db):
    user = UserFactory(username="moved", role=Role.BUREAU_STAFF, departments=[welfare_division()])
    user_deactivate(user=user)
    return user


INELIGIBLE = {
    "municipal_officer": "「区市町村担当者」のアカウントには付与できません。",
    "viewer": "「閲覧者」のアカウントには付与できません。",
    "plan_admin": "「計画管理者（事務局）」のアカウントには付与できません。",
    "inactive_staff": "無効なアカウントには付与できません。",
    "no_role": "役割が設定されていないアカウントには付与できません。",
}


def user_form_data(user, **extra):
    """What the account change form posts for `user`, unchanged, plus `extra`."""
    officer = getattr(user, "municipal_officer", None)
    data = {
        "username": user.username,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "role": Role.BUREAU_STAFF if user.departments.exists() else "",
        "departments": [department.pk for department in user.departments.all()],
        "is_active": "on" if user.is_active else "",
        "municipal_officer-TOTAL_FORMS": "1" if officer else "0",
        "municipal_officer-INITIAL_FORMS": "1" if officer else "0",
        "municipal_officer-MIN_NUM_FORMS": "0",
        "municipal_officer-MAX_NUM_FORMS": "1",
    }
    if officer:
        data.update(
            {
                "municipal_officer-0-id": officer.pk,
                "municipal_officer-0-user": user.pk,
                "municipal_officer-0-municipality": officer.municipality_id,
            }
        )
    return {key: value for key, value in {**data, **extra}.items() if value != ""}


class TestAnOperatorGrantsIt:
    def test_on_the_admin_page_with_a_reason_and_a_log_row(self, ops_client, system_operator, bureau_staff):
        page = text_of(ops_client.get(page_url(bureau_staff)))
        assert "権限なし" in page and "理由" in page
        before = timezone.now()
        response = ops_client.post(
            page_url(bureau_staff), {"action": "grant", "reason": "センターへの着任（4月1日付）"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:plan_user_change", args=[bureau_staff.pk])
        assert can_handle_case_records(fresh(bureau_staff))
        change = CasePermissionChange.objects.get(user=bureau_staff)
        assert change.action == CasePermissionChange.Action.GRANT
        assert change.changed_by == system_operator
        assert change.reason == "センターへの着任（4月1日付）"
        assert change.via == CasePermissionChange.Via.ADMIN
        assert before <= change.changed_at <= timezone.now() + timedelta(seconds=1)

    def test_and_withdraws_it_there(self, ops_client, system_operator, case_handler):
        response = ops_client.post(page_url(case_handler), {"action": "revoke", "reason": "異動のため"})
        assert response.status_code == 302
        assert not holds_case_permission(fresh(case_handler))
        change = CasePermissionChange.objects.filter(user=case_handler).first()
        assert (change.action, change.changed_by, change.reason, change.via) == (
            "revoke",
            system_operator,
            "異動のため",
            "admin",
        )

    def test_with_the_commands(self, system_operator, bureau_staff, capsys):
        call_command(
            "grant_case_permission", bureau_staff.username, "--reason", "着任", "--by", system_operator.username
        )
        assert can_handle_case_records(fresh(bureau_staff))
        assert "付与しました" in capsys.readouterr().out
        call_command(
            "revoke_case_permission", bureau_staff.username, "--reason", "異動", "--by", system_operator.username
        )
        assert not holds_case_permission(fresh(bureau_staff))
        rows = list(
            CasePermissionChange.objects.filter(user=bureau_staff)
            .order_by("pk")
            .values_list("action", "changed_by__username", "reason", "via")
        )
        assert rows == [("grant", "operator", "着任", "command"), ("revoke", "operator", "異動", "command")]

    @pytest.mark.parametrize("by", ["secretariat", "nobody"])
    def test_the_commands_need_an_operator(self, plan_admin, bureau_staff, by):
        with pytest.raises(CommandError, match="--by に指定したユーザー"):
            call_command("grant_case_permission", bureau_staff.username, "--reason", "着任", "--by", by)
        assert not holds_case_permission(fresh(bureau_staff))
        assert not CasePermissionChange.objects.exists()

    def test_the_commands_say_in_japanese_what_is_missing(self, system_operator, bureau_staff):
        with pytest.raises(CommandError, match="--reason に付与の理由を指定してください"):
            call_command("grant_case_permission", bureau_staff.username, "--by", system_operator.username)
        with pytest.raises(CommandError, match="--by に、実施するシステム運用者"):
            call_command("revoke_case_permission", bureau_staff.username, "--reason", "異動")
        with pytest.raises(CommandError, match="ユーザー「nobody」は存在しません"):
            call_command("grant_case_permission", "nobody", "--reason", "着任", "--by", system_operator.username)
        with pytest.raises(CommandError, match="このユーザーは個別ケース記録の権限を持っていません"):
            call_command(
                "revoke_case_permission",
                bureau_staff.username,
                "--reason",
                "異動",
                "--by",
                system_operator.username,
            )
        assert not CasePermissionChange.objects.exists()

    def test_a_deactivated_operator_cannot(self, system_operator, bureau_staff):
        system_operator.is_active = False
        system_operator.save()
        with pytest.raises(CommandError, match="システム運用者"):
            call_command(
                "grant_case_permission", bureau_staff.username, "--reason", "着任", "--by", system_operator.username
            )
        with pytest.raises(PermissionDenied):
            case_permission_grant(user=bureau_staff, granted_by=system_operator, reason="着任")


class TestOnlyActiveBureauStaffHoldIt:
    @pytest.mark.parametrize("who", INELIGIBLE)
    def test_the_admin_page_refuses_with_the_message_beside_the_field(self, ops_client, request, who):
        user = request.getfixturevalue(who)
        response = ops_client.post(page_url(user), {"action": "grant", "reason": "依頼があったため"})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert INELIGIBLE[who] in errors["action"][0] and HOLDERS_ONLY in errors["action"][0]
        assert INELIGIBLE[who] in text_of(select_one(response, ".field-action .errorlist"))
        assert not holds_case_permission(fresh(user))
        assert not CasePermissionChange.objects.exists()

    @pytest.mark.parametrize("who", INELIGIBLE)
    def test_the_service_and_the_command_refuse_too(self, system_operator, request, who):
        user = request.getfixturevalue(who)
        with pytest.raises(ValidationError) as refused:
            case_permission_grant(user=user, granted_by=system_operator, reason="依頼")
        assert INELIGIBLE[who] in refused.value.message_dict["user"][0]
        with pytest.raises(CommandError, match=re.escape(INELIGIBLE[who])):
            call_command(
                "grant_case_permission", user.username, "--reason", "依頼", "--by", system_operator.username
            )
        assert not holds_case_permission(fresh(user))
        assert not CasePermissionChange.objects.exists()

    def test_not_an_operator_either(self, system_operator):
        other = UserFactory(username="ops2", is_superuser=True, is_staff=True)
        with pytest.raises(ValidationError, match="スーパーユーザー"):
            case_permission_grant(user=other, granted_by=system_operator, reason="依頼")

    def test_the_factory_cannot_hand_it_to_a_plan_admin(self, db):
        with pytest.raises(ValidationError):
            UserFactory(role=Role.PLAN_ADMIN, handles_case_records=True)

    def test_the_factory_grants_through_the_service(self, case_handler):
        change = CasePermissionChange.objects.get(user=case_handler)
        assert change.action == "grant" and change.changed_by == operator() and change.changed_by.is_superuser

    def test_a_permission_left_on_someone_else_opens_nothing(self, plan_admin):
        # However it got there (old data, a shell), a plan admin holding it cannot use it.
        plan_admin.groups.add(Group.objects.get(name=CASE_GROUP_NAME))
        assert holds_case_permission(fresh(plan_admin))
        assert not can_handle_case_records(fresh(plan_admin))


class TestTheReasonIsRequired:
    @pytest.mark.parametrize("reason", ["", "   ", "\u3000\n"])
    def test_on_the_admin_page(self, ops_client, bureau_staff, reason):
        response = ops_client.post(page_url(bureau_staff), {"action": "grant", "reason": reason})
        assert response.status_code == 200
        assert response.context["form"].errors["reason"] == ["付与する理由を入力してください。"]
        assert not holds_case_permission(fresh(bureau_staff))
        assert not CasePermissionChange.objects.exists()

    def test_for_a_withdrawal_and_in_the_command(self, ops_client, system_operator, case_handler):
        response = ops_client.post(page_url(case_handler), {"action": "revoke", "reason": " "})
        assert response.context["form"].errors["reason"] == ["取り消す理由を入力してください。"]
        with pytest.raises(CommandError, match="取り消す理由を入力してください。"):
            call_command(
                "revoke_case_permission", case_handler.username, "--reason", " ", "--by", system_operator.username
            )
        assert holds_case_permission(fresh(case_handler))


class TestAPlanAdminCannotGiveIt:
    def test_the_grant_page_is_403(self, plan_admin_client, bureau_staff, plan_admin):
        assert plan_admin_client.get(page_url(bureau_staff)).status_code == 403
        for target in (bureau_staff, plan_admin):
            response = plan_admin_client.post(page_url(target), {"action": "grant", "reason": "自分で"})
            assert response.status_code == 403
            assert not holds_case_permission(fresh(target))
        assert not CasePermissionChange.objects.exists()

    def test_nor_through_the_service_to_themself(self, plan_admin):
        with pytest.raises(PermissionDenied):
            case_permission_grant(user=plan_admin, granted_by=plan_admin, reason="自分で")
        assert not holds_case_permission(fresh(plan_admin))

    @pytest.mark.parametrize("target", ["plan_admin", "bureau_staff"])
    def test_posting_extra_fields_to_the_account_form_sets_nothing(self, plan_admin_client, request, target):
        user = request.getfixturevalue(target)
        case_group = Group.objects.get(name=CASE_GROUP_NAME)
        permission = Permission.objects.get(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
        extra = {
            "handles_case_records": "on",
            "groups": [case_group.pk],
            "user_permissions": [permission.pk],
            "is_superuser": "on",
        }
        if target == "plan_admin":
            extra["role"] = Role.PLAN_ADMIN
        else:
            extra["is_staff"] = "on"
        response = plan_admin_client.post(
            reverse("admin:plan_user_change", args=[user.pk]), user_form_data(user, **extra)
        )
        assert response.status_code == 302, text_of(response)[:3000]
        stored = fresh(user)
        assert not holds_case_permission(stored)
        assert not can_handle_case_records(stored)
        assert not stored.is_superuser
        assert stored.is_staff == (target == "plan_admin")
        assert not stored.user_permissions.exists()
        assert not CasePermissionChange.objects.exists()

    def test_the_account_form_has_no_case_permission_field(self, plan_admin_client, bureau_staff):
        for url in (
            reverse("admin:plan_user_change", args=[bureau_staff.pk]),
            reverse("admin:plan_user_add"),
        ):
            form = plan_admin_client.get(url).context["adminform"].form
            assert {
                "handles_case_records",
                "groups",
                "user_permissions",
                "is_superuser",
                "is_staff",
            }.isdisjoint(form.fields)


class TestNoOtherWayIn:
    def test_a_superuser_cannot_use_the_group_admin(self, ops_client, bureau_staff):
        case_group = Group.objects.get(name=CASE_GROUP_NAME)
        permission = Permission.objects.get(codename=CASE_PERMISSION_CODENAME, content_type__app_label="plan")
        viewers = Group.objects.get(name="閲覧者（推進委員等）")
        change = ops_client.post(
            reverse("admin:auth_group_change", args=[viewers.pk]),
            {"name": viewers.name, "permissions": [permission.pk]},
        )
        assert change.status_code == 403
        assert (
            ops_client.post(
                reverse("admin:auth_group_add"), {"name": "抜け道", "permissions": [permission.pk]}
            ).status_code
            == 403
        )
        assert not viewers.permissions.filter(pk=permission.pk).exists()
        assert not Group.objects.filter(name="抜け道").exists()
        assert list(case_group.user_set.all()) == []

    def test_a_superuser_cannot_put_someone_in_the_case_group_with_the_account_form(
        self, ops_client, bureau_staff
    ):
        case_group = Group.objects.get(name=CASE_GROUP_NAME)
        response = ops_client.post(
            reverse("admin:plan_user_change", args=[bureau_staff.pk]),
            user_form_data(bureau_staff, groups=[case_group.pk], handles_case_records="on"),
        )
        assert response.status_code == 302, text_of(response)[:3000]
        assert not holds_case_permission(fresh(bureau_staff))


class TestOperatorsAccounts:
    def test_a_plan_admin_cannot_change_a_superuser(self, plan_admin_client, system_operator):
        url = reverse("admin:plan_user_change", args=[system_operator.pk])
        assert plan_admin_client.get(url).status_code == 200  # the page may be viewed …
        response = plan_admin_client.post(
            url,
            {
                "username": "hijacked",
                "email": "me@example.jp",
                "is_active": "",
                "municipal_officer-TOTAL_FORMS": "0",
                "municipal_officer-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 403  # … but not changed
        password_url = reverse("admin:auth_user_password_change", args=[system_operator.pk])
        assert plan_admin_client.get(password_url).status_code == 403
        response = plan_admin_client.post(
            password_url,
            {
                "password1": "a-new-long-passphrase",
                "password2": "a-new-long-passphrase",
                "usable_password": "true",
            },
        )
        assert response.status_code == 403
        stored = fresh(system_operator)
        assert stored.username == "operator" and stored.is_active
        assert stored.check_password("correct-horse-battery")

    def test_nor_deactivate_one(self, plan_admin_client, system_operator, viewer):
        response = plan_admin_client.post(
            reverse("admin:plan_user_changelist"),
            {"action": "deactivate", "_selected_action": [system_operator.pk, viewer.pk]},
        )
        assert response.status_code == 302
        assert fresh(system_operator).is_active
        assert not fresh(viewer).is_active

    def test_the_view_only_page_shows_the_role(self, plan_admin_client, system_operator):
        response = plan_admin_client.get(reverse("admin:plan_user_change", args=[system_operator.pk]))
        assert response.status_code == 200
        assert not select(response, '[name="username"]')  # no field to change it

    def test_a_plan_admin_cannot_take_over_a_holders_account(self, plan_admin_client, case_handler):
        # A new e-mail address (then a reset by e-mail) or password would let them sign in as the holder.
        password_url = reverse("admin:auth_user_password_change", args=[case_handler.pk])
        assert plan_admin_client.get(password_url).status_code == 403
        response = plan_admin_client.post(
            reverse("admin:plan_user_change", args=[case_handler.pk]),
            user_form_data(case_handler, email="someone-else@example.jp", username="taken"),
        )
        assert response.status_code == 302, text_of(response)[:3000]
        stored = fresh(case_handler)
        assert (stored.username, stored.email) == ("center", "center@example.jp")
        assert can_handle_case_records(stored)

    def test_an_operator_still_can(self, ops_client, plan_admin):
        other = UserFactory(username="ops2", is_superuser=True, is_staff=True)
        password_url = reverse("admin:auth_user_password_change", args=[other.pk])
        assert ops_client.get(password_url).status_code == 200


class TestTheLog:
    def test_plan_admins_read_it_but_cannot_change_it(self, plan_admin_client, case_handler):
        change = CasePermissionChange.objects.get(user=case_handler)
        listing = text_of(plan_admin_client.get(reverse("admin:plan_casepermissionchange_changelist")))
        assert "テスト用" in listing and "付与" in listing
        assert plan_admin_client.get(reverse("admin:plan_casepermissionchange_add")).status_code == 403
        url = reverse("admin:plan_casepermissionchange_change", args=[change.pk])
        assert plan_admin_client.get(url).status_code == 200
        assert plan_admin_client.post(url, {"reason": "書き換え", "action": "revoke"}).status_code == 403
        delete = reverse("admin:plan_casepermissionchange_delete", args=[change.pk])
        assert plan_admin_client.post(delete, {"post": "yes"}).status_code == 403
        change.refresh_from_db()
        assert (change.reason, change.action) == ("テスト用", "grant")

    def test_operators_cannot_edit_it_either(self, ops_client, case_handler):
        assert ops_client.get(reverse("admin:plan_casepermissionchange_add")).status_code == 403
        change = CasePermissionChange.objects.get(user=case_handler)
        assert (
            ops_client.post(
                reverse("admin:plan_casepermissionchange_delete", args=[change.pk]), {"post": "yes"}
            ).status_code
            == 403
        )


class TestAutomaticWithdrawal:
    def test_a_role_change_in_the_admin_withdraws_it(self, plan_admin_client, plan_admin, case_handler):
        response = plan_admin_client.post(
            reverse("admin:plan_user_change", args=[case_handler.pk]),
            user_form_data(case_handler, role=Role.VIEWER, departments=[]),
        )
        assert response.status_code == 302, text_of(response)[:3000]
        assert not holds_case_permission(fresh(case_handler))
        change = CasePermissionChange.objects.filter(user=case_handler).first()
        assert change.action == "revoke" and change.via == "automatic"
        assert change.reason == CASE_PERMISSION_REASON_ROLE_CHANGED == "役割の変更により自動的に取消"
        assert change.changed_by == plan_admin

    def test_unticking_active_in_the_admin_withdraws_it(self, plan_admin_client, case_handler):
        response = plan_admin_client.post(
            reverse("admin:plan_user_change", args=[case_handler.pk]),
            user_form_data(case_handler, is_active=""),
        )
        assert response.status_code == 302, text_of(response)[:3000]
        assert not holds_case_permission(fresh(case_handler))
        assert (
            CasePermissionChange.objects.filter(user=case_handler).first().reason
            == CASE_PERMISSION_REASON_DEACTIVATED
        )

    def test_the_services_withdraw_it(self, case_handler):
        user_set_role(user=case_handler, role=Role.MUNICIPAL_OFFICER)
        assert not holds_case_permission(fresh(case_handler))
        assert not can_handle_case_records(case_handler)
        assert CasePermissionChange.objects.filter(user=case_handler, via="automatic").count() == 1
        other = UserFactory(
            role=Role.BUREAU_STAFF, departments=[welfare_division()], handles_case_records=True
        )
        user_deactivate(user=other)
        change = CasePermissionChange.objects.filter(user=other).first()
        assert (change.action, change.via, change.reason) == (
            "revoke",
            "automatic",
            CASE_PERMISSION_REASON_DEACTIVATED,
        )
        assert not holds_case_permission(fresh(other))

    def test_saving_bureau_staff_again_keeps_it_and_logs_nothing(self, plan_admin_client, case_handler):
        response = plan_admin_client.post(
            reverse("admin:plan_user_change", args=[case_handler.pk]), user_form_data(case_handler)
        )
        assert response.status_code == 302, text_of(response)[:3000]
        assert can_handle_case_records(fresh(case_handler))
        assert CasePermissionChange.objects.filter(user=case_handler).count() == 1  # the grant only

    def test_a_revoked_holder_can_be_granted_again(self, system_operator, case_handler):
        case_permission_revoke(user=case_handler, revoked_by=system_operator, reason="休職")
        case_permission_grant(user=case_handler, granted_by=system_operator, reason="復職")
        assert can_handle_case_records(fresh(case_handler))


def role_field(client):
    form = client.get(reverse("admin:plan_user_add")).context["adminform"].form
    return form["role"].value(), str(form["role"])


class TestTheAddUserForm:
    def test_is_the_same_whatever_was_opened_before(self, plan_admin_client, case_handler):
        first = role_field(plan_admin_client)
        assert first[0] in (None, "")
        assert (
            plan_admin_client.get(reverse("admin:plan_user_change", args=[case_handler.pk])).status_code == 200
        )
        assert role_field(plan_admin_client) == first
        assert select_one(first[1], 'option[value="bureau_staff"]').get("selected") is None

    def test_the_change_form_still_shows_the_accounts_role(self, plan_admin_client, case_handler, viewer):
        form = (
            plan_admin_client.get(reverse("admin:plan_user_change", args=[case_handler.pk]))
            .context["adminform"]
            .form
        )
        assert form["role"].value() == Role.BUREAU_STAFF
        form = (
            plan_admin_client.get(reverse("admin:plan_user_change", args=[viewer.pk]))
            .context["adminform"]
            .form
        )
        assert form["role"].value() == Role.VIEWER


class TestWhoHoldsItIsVisible:
    def test_the_account_list_has_a_column_and_a_filter(self, plan_admin_client, case_handler, bureau_staff):
        changelist = reverse("admin:plan_user_changelist")
        page = text_of(plan_admin_client.get(changelist))
        assert "個別ケース記録の権限" in page
        holders = plan_admin_client.get(changelist, {"case_permission": "yes"}).context["cl"].result_list
        assert [user.username for user in holders] == ["center"]
        others = plan_admin_client.get(changelist, {"case_permission": "no"}).context["cl"].result_list
        assert "center" not in {user.username for user in others} and "bureau" in {
            user.username for user in others
        }

    def test_the_account_page_says_so_and_whom_to_ask(self, plan_admin_client, case_handler):
        response = plan_admin_client.get(reverse("admin:plan_user_change", args=[case_handler.pk]))
        page = text_of(response)
        assert "個別ケース記録の権限" in page and "あり" in page
        assert "システム運用者に依頼してください" in page
        assert page_url(case_handler) not in link_targets(response)

    def test_an_operator_gets_the_link(self, ops_client, case_handler):
        response = ops_client.get(reverse("admin:plan_user_change", args=[case_handler.pk]))
        assert page_url(case_handler) in link_targets(response)
