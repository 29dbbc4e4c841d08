"""A password reset through the e-mailed link lifts a login lock, as the lock page says it does."""

import re

from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse

NEW_PASSWORD = "a-new-long-passphrase"


def fail_five_times(client, username):
    for _ in range(5):
        client.post(reverse("login"), {"username": username, "password": "wrong"})


def reset_by_email(client, user):
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )


def log_in(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password}, follow=True)


class TestPasswordResetLiftsTheLock:
    def test_the_lock_page_offers_the_reset_as_the_way_out(self, client, viewer):
        fail_five_times(client, viewer.username)
        page = log_in(client, viewer, "correct-horse-battery").content.decode()
        assert "ログインを一時停止しています" in page
        assert reverse("password_reset") in page
        assert "停止は解除されます" in page

    def test_a_locked_user_signs_in_with_the_new_password(self, client, viewer):
        fail_five_times(client, viewer.username)
        assert (
            "ログインを一時停止しています" in log_in(client, viewer, "correct-horse-battery").content.decode()
        )

        done = reset_by_email(client, viewer)
        assert "停止も解除しました" in done.content.decode()
        assert not AccessAttempt.objects.filter(username=viewer.username).exists()

        response = log_in(client, viewer, NEW_PASSWORD)
        assert "ログインを一時停止しています" not in response.content.decode()
        assert int(client.session["_auth_user_id"]) == viewer.pk

    def test_the_lock_is_lifted_from_every_address(self, viewer):
        # Locked at the office; the reset link is opened at home.
        office = Client(REMOTE_ADDR="192.0.2.10")
        fail_five_times(office, viewer.username)
        reset_by_email(Client(REMOTE_ADDR="198.51.100.20"), viewer)
        log_in(office, viewer, NEW_PASSWORD)
        assert int(office.session["_auth_user_id"]) == viewer.pk

    def test_other_users_locks_stay(self, client, viewer, municipal_officer):
        fail_five_times(client, municipal_officer.username)
        reset_by_email(client, viewer)
        response = log_in(Client(), municipal_officer, "correct-horse-battery")
        assert "ログインを一時停止しています" in response.content.decode()

    def test_a_failed_reset_lifts_nothing(self, client, viewer):
        fail_five_times(client, viewer.username)
        client.post(reverse("password_reset"), {"email": viewer.email})
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
        form_page = client.get(link, follow=True)
        response = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": "something-else-1"},
        )
        assert response.status_code == 200  # the form again, with its error
        assert AccessAttempt.objects.filter(username=viewer.username).exists()
