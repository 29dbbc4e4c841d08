"""Error pages in Japanese: 400, 403, 404, 500 and the refused-form (CSRF) page each say
what happened and what to do next, with a link to the home page, in the site's layout; the admin's
404s and 403s use the same pages; the 500 page renders without the database."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.decorators import login_not_required
from django.template import loader
from django.test import Client
from django.urls import path, reverse

from config import urls as project_urls
from plan.models import User
from tests.html import link_targets, select, select_one, source_of, text_of, texts_of


@login_not_required
def broken_view(request):
    raise RuntimeError("a bug")


# The project's URLs plus a view that fails, for the 500 page (see `pytest.mark.urls` below).
urlpatterns = [path("test-broken/", broken_view), *project_urls.urlpatterns]

ENGLISH = (
    "Not Found",
    "Forbidden",
    "Server Error",
    "Bad Request",
    "CSRF verification failed",
    "Page not found",
)


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False  # as in production: DEBUG shows Django's technical pages instead


def assert_error_page(response, status, heading):
    """The page's text, after checking it is the site's error page for `status`."""
    assert response.status_code == status
    assert texts_of(response, "h1") == [heading]
    assert texts_of(response, 'a.button[href="/"]') == ["ホームへ戻る"], "no link to the home page"
    assert select_one(response, "html").get("lang") == "ja" and select(response, ".site-header")  # the site's layout
    for english in ENGLISH:
        assert english not in source_of(response), english
    return text_of(response)


def has_menu(response):
    """The site's menu, as on every page for a signed-in user."""
    return bool(select(response, "nav.site-nav"))


class TestNotFound:
    def test_an_unknown_address_for_a_signed_in_user(self, client, viewer):
        client.force_login(viewer)
        response = client.get("/no-such-page/")
        assert "アドレス" in assert_error_page(response, 404, "ページが見つかりません")
        assert has_menu(response)

    def test_an_unknown_address_for_a_signed_out_user_is_a_404_too(self, db):
        # LoginRequiredMiddleware acts only on a URL that resolves to a view; an unknown address is
        # a 404 for everyone, with no menu for the signed-out.
        response = Client().get("/no-such-page/")
        assert_error_page(response, 404, "ページが見つかりません")
        assert not has_menu(response)

    def test_an_unknown_measure(self, client, viewer):
        client.force_login(viewer)
        assert_error_page(
            client.get(reverse("plan:measure_detail", args=[999])), 404, "ページが見つかりません"
        )

    def test_the_admins_404_is_the_same_page(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.get(reverse("admin:plan_measure_change", args=["abc"]))
        assert_error_page(response, 404, "ページが見つかりません")
        assert_error_page(client.get("/admin/no-such-app/"), 404, "ページが見つかりません")


class TestForbidden:
    def test_a_page_the_role_may_not_open(self, client, viewer):
        client.force_login(viewer)
        page = assert_error_page(
            client.get(reverse("plan:responsibilities")), 403, "このページを表示する権限がありません"
        )
        assert "計画事務局" in page

    def test_the_admins_403_is_the_same_page(self, client, plan_admin, viewer):
        client.force_login(plan_admin)
        response = client.get(reverse("admin:plan_user_delete", args=[viewer.pk]))
        assert_error_page(response, 403, "このページを表示する権限がありません")
        assert User.objects.filter(pk=viewer.pk).exists()


class TestBadRequest:
    def test_a_nul_character(self, client, viewer):
        client.force_login(viewer)
        page = assert_error_page(
            client.get(reverse("plan:search"), {"q": "a\x00"}), 400, "リクエストを処理できませんでした"
        )
        assert "何も保存していません" in page

    def test_a_lookup_the_admin_does_not_allow(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.get(reverse("admin:plan_area_changelist"), {"goal__plan__name": "x"})
        assert_error_page(response, 400, "リクエストを処理できませんでした")


@pytest.mark.urls(__name__)
class TestServerError:
    def test_a_failing_view_shows_the_japanese_page_even_without_the_database(self):
        # No `db` fixture: any database access in this test raises, as if the database were down.
        client = Client(raise_request_exception=False)
        page = assert_error_page(client.get("/test-broken/"), 500, "システムエラーが発生しました")
        assert "保存されていないことがあります" in page

    def test_a_signed_in_users_failing_request_shows_it_too(self, client, viewer):
        client.force_login(viewer)
        client.raise_request_exception = False
        assert_error_page(client.get("/test-broken/"), 500, "システムエラーが発生しました")

    def test_the_template_renders_with_an_empty_context_and_no_query(self, db, django_assert_num_queries):
        # Django's handler500 renders 500.html with no context and no request.
        with django_assert_num_queries(0):
            html = loader.get_template("500.html").render()
        assert "システムエラーが発生しました" in text_of(html) and "/" in link_targets(html)


class TestRefusedForm:
    def test_the_csrf_failure_view_is_ours(self):
        assert django_settings.CSRF_FAILURE_VIEW == "config.error_views.csrf_failure"

    def test_a_login_form_without_its_token(self, db):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("login"), {"username": "viewer", "password": "correct-horse-battery"})
        page = assert_error_page(response, 403, "送信を受け付けられませんでした")
        assert "何も保存していません" in page
        assert "Cookie" in page and "再読み込み" in page
        assert "_auth_user_id" not in client.session

    def test_a_signed_in_users_form_without_its_token(self, viewer):
        client = Client(enforce_csrf_checks=True)
        client.force_login(viewer)
        response = client.post(reverse("password_change"), {"old_password": "x"})
        assert_error_page(response, 403, "送信を受け付けられませんでした")
        assert has_menu(response)
