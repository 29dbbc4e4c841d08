"""A whole return round trip in a real browser, both sides at their own desks: the officer fills in,
saves and submits; the secretariat sends it back with a comment; the officer reads the comment,
corrects and submits again; the secretariat accepts, and the status matrix's totals change.
Every page on the way is checked with axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from municipalities.models import AnnualReturn, ReturnState
from municipalities.services import return_round_open
from plan.accounts.roles import Role
from tests.browser.conftest import VIEWPORT, log_in
from tests.factories import UserFactory, municipality
from tests.municipalities.factories import deadline_for

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

SEND_BACK_COMMENT = "実務者会議の開催回数が空欄です。開催した回数をご記入ください。"


def assert_accessible(page):
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not found, f"{page.url}\n" + "\n".join(
        f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}" for v in found
    )


@pytest.fixture
def people(reference_data):
    officer = UserFactory(
        username="shinjuku", last_name="新宿", first_name="花子", role=Role.MUNICIPAL_OFFICER,
        municipality=municipality("新宿区"),
    )
    secretariat = UserFactory(username="jimukyoku", last_name="事務局", first_name="太郎", role=Role.PLAN_ADMIN)
    return officer, secretariat


@pytest.fixture
def round_(people):
    _, secretariat = people
    return return_round_open(fiscal_year=2025, deadline=deadline_for(2025), message="ご報告ください。", user=secretariat)


@pytest.fixture
def secretariat_page(browser):
    """The secretariat's own browser (its own cookies), beside the officer's `page`."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def matrix_total(page, row_name):
    return page.locator("#matrix-totals").get_by_role("row", name=row_name).get_by_role("cell")


def test_submit_send_back_resubmit_accept(page, secretariat_page, live_server, people, round_):
    shinjuku = AnnualReturn.objects.get(round=round_, municipality__name="新宿区")
    log_in(secretariat_page, live_server, "jimukyoku")
    secretariat_page.goto(f"{live_server.url}/returns/rounds/2025/matrix/")
    expect(matrix_total(secretariat_page, "受理された報告がある団体")).to_have_text("0/62")
    expect(matrix_total(secretariat_page, "基本計画を策定している団体（一体的な策定を含む）")).to_have_text("0")
    assert_accessible(secretariat_page)

    # The officer: one click from the home page, a draft, then a submission.
    log_in(page, live_server, "shinjuku")
    assert_accessible(page)
    page.get_by_role("region", name="取組状況の報告").get_by_role("link", name="報告を入力する").click()
    plan = page.get_by_role("group", name="市町村基本計画")
    plan.get_by_role("radio", name="策定済み").check()
    plan.get_by_label("策定日", exact=True).fill("2025-03-01")
    plan.get_by_label("計画の名称", exact=True).fill("新宿区困難女性支援基本計画")
    page.get_by_role("button", name="一時保存").click()
    expect(page.get_by_role("status")).to_contain_text("一時保存しました")
    council = page.get_by_role("group", name="支援調整会議", exact=True)
    council.get_by_role("radio", name="設置済み").check()
    council.get_by_role("checkbox", name="実務者会議を設けている").check()
    council.get_by_role("radio", name="いいえ").check()
    workers = page.get_by_role("group", name="女性相談支援員")
    workers.get_by_role("radio", name="配置あり").check()
    workers.get_by_role("textbox", name="常勤の人数（年度末時点）", exact=True).fill("1")
    workers.get_by_role("textbox", name="非常勤の人数（年度末時点）", exact=True).fill("2")
    workers.get_by_role("textbox", name="女性相談支援センターの研修を受講した支援員の実人数（年度内）", exact=True).fill("2")
    assert_accessible(page)
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_role("status")).to_contain_text("提出しました")
    assert_accessible(page)

    # The secretariat finds it on the round page and sends it back with a comment.
    secretariat_page.goto(f"{live_server.url}/returns/rounds/2025/")
    assert_accessible(secretariat_page)
    # The municipality is visually hidden text: a space in the accessible name.
    secretariat_page.get_by_role("link", name=re.compile(r"^確認する\s*（新宿区）$")).click()
    expect(secretariat_page.get_by_role("heading", level=1)).to_contain_text("新宿区の報告")
    assert_accessible(secretariat_page)
    secretariat_page.get_by_label("差戻しの理由").fill(SEND_BACK_COMMENT)
    secretariat_page.get_by_role("button", name="差し戻す").click()
    expect(secretariat_page.get_by_role("status")).to_contain_text("差し戻しました")
    assert AnnualReturn.objects.get(pk=shinjuku.pk).state == ReturnState.SENT_BACK

    # The officer sees the comment on the home page's card and on the return, corrects, resubmits.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("region", name="取組状況の報告")).to_contain_text("差戻し")
    page.get_by_role("region", name="取組状況の報告").get_by_role("link", name="報告を入力する").click()
    expect(page.locator("#sent-back")).to_contain_text(SEND_BACK_COMMENT)
    council = page.get_by_role("group", name="支援調整会議", exact=True)
    council.get_by_role("textbox", name="実務者会議の開催回数（年度内）", exact=True).fill("４")
    assert_accessible(page)
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_role("status")).to_contain_text("提出しました")
    assert AnnualReturn.objects.get(pk=shinjuku.pk).council_practitioners_meetings == 4

    # The secretariat accepts; the matrix counts 新宿区 now.
    secretariat_page.goto(f"{live_server.url}/returns/review/{shinjuku.pk}/")
    expect(secretariat_page.get_by_role("region", name="状態の変更記録")).to_contain_text(SEND_BACK_COMMENT)
    secretariat_page.get_by_role("button", name="受理する").click()
    expect(secretariat_page.get_by_role("status")).to_contain_text("受理しました")
    secretariat_page.goto(f"{live_server.url}/returns/rounds/2025/matrix/")
    expect(matrix_total(secretariat_page, "受理された報告がある団体")).to_have_text("1/62")
    expect(matrix_total(secretariat_page, "基本計画を策定している団体（一体的な策定を含む）")).to_have_text("1")
    expect(matrix_total(secretariat_page, "支援調整会議を設置している団体（既存の会議の活用を含む）")).to_have_text("1")
    expect(matrix_total(secretariat_page, "センターの研修を受講した支援員（実人数）")).to_contain_text("2")

    # The officer's return is accepted and locked.
    page.goto(f"{live_server.url}/returns/{shinjuku.pk}/")
    expect(page.get_by_role("button", name="提出する")).to_have_count(0)
    expect(page.get_by_role("region", name="これまでの経過")).to_contain_text("受理")
    assert AnnualReturn.objects.get(pk=shinjuku.pk).state == ReturnState.ACCEPTED
