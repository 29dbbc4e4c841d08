"""A session that expires while an officer types their return loses nothing: the save is sent to
the login page, and after logging in again the form offers the typed answers back
(static/js/keep-typed.js). Logging out leaves nothing behind in the tab."""

import pytest
from playwright.sync_api import expect

from municipalities.models import AnnualReturn
from plan.accounts.roles import Role
from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory, municipality
from tests.municipalities.factories import AnnualReturnFactory, ReturnRoundFactory, secretariat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

PLAN_NAME = "新宿区困難女性支援基本計画"
REQUESTS = "研修を夜間にも開いてほしい。\n二行目の要望。"


@pytest.fixture
def draft(reference_data):
    UserFactory(username="shinjuku", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区"))
    return AnnualReturnFactory(round=ReturnRoundFactory(opened_by=secretariat()))


def sign_in_on_login_page(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.get_by_label("ユーザー名").fill("shinjuku")
    page.get_by_label("パスワード").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()


def type_answers(page):
    plan = page.get_by_role("group", name="市町村基本計画")
    plan.get_by_role("radio", name="策定済み").check()
    plan.get_by_label("計画の名称", exact=True).fill(PLAN_NAME)
    page.get_by_label("課題・都への要望").fill(REQUESTS)


def test_typed_answers_come_back_after_the_session_expired(page, live_server, draft):
    page.goto(f"{live_server.url}/returns/{draft.pk}/")
    sign_in_on_login_page(page)
    notice = page.get_by_role("region", name="保存されていない入力があります")
    expect(notice).to_be_hidden()
    type_answers(page)

    # The session ends (timeout, or the server forgot it) while the officer types; then they save.
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="一時保存").click()
    sign_in_on_login_page(page)

    # Back on the return, nothing was saved, and the typed answers are offered back.
    assert page.url.endswith(f"/returns/{draft.pk}/")
    assert AnnualReturn.objects.get(pk=draft.pk).plan_name == ""
    expect(notice).to_be_visible()
    expect(page.get_by_label("計画の名称", exact=True)).to_have_value("")
    notice.get_by_role("button", name="入力していた内容を戻す").click()
    expect(notice).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="戻しました")).to_contain_text("まだ保存されていません")
    expect(page.get_by_label("計画の名称", exact=True)).to_have_value(PLAN_NAME)
    expect(page.get_by_role("radio", name="策定済み")).to_be_checked()
    expect(page.get_by_label("課題・都への要望")).to_have_value(REQUESTS)

    page.get_by_role("button", name="一時保存").click()
    expect(page.get_by_role("status").first).to_contain_text("一時保存しました")
    saved = AnnualReturn.objects.get(pk=draft.pk)
    assert (saved.plan_status, saved.plan_name, saved.requests_to_metro) == ("made", PLAN_NAME, REQUESTS)
    # Saved: the next visit offers nothing.
    page.reload()
    expect(notice).to_be_hidden()


def test_the_typed_copy_can_be_discarded(page, live_server, draft):
    page.goto(f"{live_server.url}/returns/{draft.pk}/")
    sign_in_on_login_page(page)
    type_answers(page)
    page.reload()
    notice = page.get_by_role("region", name="保存されていない入力があります")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="破棄する").click()
    expect(notice).to_be_hidden()
    page.reload()
    expect(notice).to_be_hidden()
    expect(page.get_by_label("計画の名称", exact=True)).to_have_value("")


def test_logging_out_leaves_nothing_typed_in_the_tab(page, live_server, draft):
    page.goto(f"{live_server.url}/returns/{draft.pk}/")
    sign_in_on_login_page(page)
    type_answers(page)
    page.get_by_role("button", name="ログアウト").click()
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('keep-typed:')).length") == 0
    page.goto(f"{live_server.url}/returns/{draft.pk}/")
    sign_in_on_login_page(page)
    expect(page.get_by_role("region", name="保存されていない入力があります")).to_be_hidden()
