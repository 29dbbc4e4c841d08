"""Accounts: the secretariat creates and deactivates them; users sign in, are throttled, reset passwords."""

import re

from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from municipalities.models import Municipality
from plan.accounts.roles import GROUP_NAMES, Role, role_of
from plan.models import User


class TestLogin:
    def test_a_user_signs_in_with_the_japanese_form(self, client, viewer):
        page = client.get(reverse("login")).content.decode()
        assert "ユーザー名" in page and "パスワード" in page
        response = client.post(reverse("login"), {"username": viewer.username, "password": "correct-horse-battery"})
        assert response.status_code == 302
        assert response["Location"] == reverse("home")

    def test_a_wrong_password_gets_a_japanese_message(self, client, viewer):
        response = client.post(reverse("login"), {"username": viewer.username, "password": "wrong"})
        assert response.status_code == 200
        assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()

    def test_five_failures_lock_the_username_even_with_the_right_password(self, client, viewer):
        for _ in range(5):
            client.post(reverse("login"), {"username": viewer.username, "password": "wrong"})
        response = client.post(reverse("login"), {"username": viewer.username, "password": "correct-horse-battery"})
        assert "ログインを一時停止しています" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_a_deactivated_account_cannot_sign_in(self, client, viewer):
        viewer.is_active = False
        viewer.save()
        client.post(reverse("login"), {"username": viewer.username, "password": "correct-horse-battery"})
        assert "_auth_user_id" not in client.session

    def test_signing_out_ends_the_session(self, client, viewer):
        client.force_login(viewer)
        response = client.post(reverse("logout"))
        assert response["Location"] == reverse("login")
        assert client.get(reverse("plan:tree")).status_code == 302


class TestPasswordReset:
    def test_a_user_resets_their_password_by_email(self, client, viewer):
        client.post(reverse("password_reset"), {"email": viewer.email})
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [viewer.email]
        assert "パスワード再設定" in message.subject
        assert viewer.username in message.body
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
        form_page = client.get(link, follow=True)
        assert "新しいパスワードの設定" in form_page.content.decode()
        response = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
        )
        assert response.status_code == 302
        viewer.refresh_from_db()
        assert viewer.check_password("a-new-long-passphrase")

    def test_an_unknown_address_sends_nothing_and_says_the_same(self, client, db):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.jp"}, follow=True)
        assert "メールを送信しました" in response.content.decode()
        assert mail.outbox == []

    def test_a_deactivated_account_gets_no_reset_mail(self, client, viewer):
        viewer.is_active = False
        viewer.save()
        client.post(reverse("password_reset"), {"email": viewer.email})
        assert mail.outbox == []


class TestAccountsInTheAdmin:
    def add_user(self, client, **fields):
        data = {
            "username": "tanaka",
            "last_name": "田中",
            "first_name": "花子",
            "email": "tanaka@example.jp",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
            "usable_password": "true",
            "municipal_officer-TOTAL_FORMS": "0",
            "municipal_officer-INITIAL_FORMS": "0",
            **fields,
        }
        return client.post(reverse("admin:plan_user_add"), data)

    def test_the_secretariat_creates_a_municipal_officer_for_one_municipality(self, plan_admin_client):
        shinjuku = Municipality.objects.get(name="新宿区")
        response = self.add_user(
            plan_admin_client,
            role=Role.MUNICIPAL_OFFICER,
            **{"municipal_officer-TOTAL_FORMS": "1", "municipal_officer-0-municipality": shinjuku.pk},
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        user = User.objects.get(username="tanaka")
        assert role_of(user) == Role.MUNICIPAL_OFFICER
        assert user.municipal_officer.municipality == shinjuku
        assert not user.is_staff

    def test_a_plan_administrator_account_may_open_the_admin(self, plan_admin_client, client):
        self.add_user(plan_admin_client, role=Role.PLAN_ADMIN)
        user = User.objects.get(username="tanaka")
        assert user.is_staff and role_of(user) == Role.PLAN_ADMIN

    def test_bureau_staff_need_a_department(self, plan_admin_client):
        response = self.add_user(plan_admin_client, role=Role.BUREAU_STAFF)
        assert response.status_code == 200
        assert "所管局職員には所属する所管局・所管課を1つ以上選んでください。" in response.content.decode()
        assert not User.objects.filter(username="tanaka").exists()

    def test_deactivating_keeps_the_account(self, plan_admin_client, viewer):
        response = plan_admin_client.post(
            reverse("admin:plan_user_changelist"),
            {"action": "deactivate", "_selected_action": [viewer.pk]},
        )
        assert response.status_code == 302
        viewer.refresh_from_db()
        assert viewer.is_active is False
        assert User.objects.filter(pk=viewer.pk).exists()

    def test_accounts_cannot_be_deleted(self, plan_admin_client, viewer):
        assert plan_admin_client.post(reverse("admin:plan_user_delete", args=[viewer.pk]), {"post": "yes"}).status_code == 403
        assert User.objects.filter(pk=viewer.pk).exists()

    def test_a_municipal_officer_cannot_open_the_admin(self, client, municipal_officer):
        client.force_login(municipal_officer)
        response = client.get(reverse("admin:plan_user_changelist"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_role_groups_exist_with_their_japanese_names(db):
    names = set(Group.objects.values_list("name", flat=True))
    assert set(GROUP_NAMES.values()) <= names
