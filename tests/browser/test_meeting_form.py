"""The meeting form in the browser (issues 13 and 15): one empty row per list, 「行を追加」 by
keyboard with the focus on the new row, organisations chosen through a combobox by keyboard, and the
same form without JavaScript."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from meetings.models import Meeting
from plan.accounts.roles import Role
from tests.browser.conftest import PASSWORD, VIEWPORT, log_in
from tests.factories import UserFactory
from tests.meetings.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def secretariat(reference_data):
    return UserFactory(username="secretariat", last_name="事務局", first_name="花子", role=Role.PLAN_ADMIN)


@pytest.fixture
def organizations(reference_data):
    return {
        "papps": OrganizationFactory(name="特定非営利活動法人 ぱっぷす"),
        "bond": OrganizationFactory(name="一般社団法人 BOND プロジェクト"),
        "police": OrganizationFactory(name="新宿警察署", kind="police"),
    }


def fill_the_basics(page, title):
    page.get_by_label("会議体").select_option(label="支援調整会議")
    page.get_by_label("階層").select_option(label="支援調整会議：実務者会議（担当者会）")
    page.get_by_label("開催済み").check()
    page.get_by_label("会議名").fill(title)
    page.get_by_label("開催日").fill("2025-10-15")
    page.get_by_label("会場で開催").check()
    page.get_by_role("textbox", name="会場").fill("都庁第一本庁舎")


def test_rows_are_added_by_keyboard_and_saved(page, live_server, secretariat):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/meetings/new/")
    # One empty row per list to start with (the form had blocks of three and two).
    expect(page.get_by_role("group", name="議題 1", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="議題 2", exact=True)).to_have_count(0)
    expect(page.get_by_role("group", name="対応事項 1", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="対応事項 2", exact=True)).to_have_count(0)
    fill_the_basics(page, "行を追加した会議")
    page.get_by_role("group", name="議題 1", exact=True).get_by_label("議題").fill("一つ目の議題")

    add_agenda = page.get_by_role("button", name="議題の行を追加", exact=True)
    add_agenda.focus()
    page.keyboard.press("Enter")
    second = page.get_by_role("group", name="議題 2", exact=True)
    expect(second.get_by_label("議題")).to_be_focused()
    expect(page.locator('[data-formset-prefix="agenda"] [role="status"]')).to_have_text(
        "議題 2 の行を追加しました。"
    )
    page.keyboard.type("二つ目の議題")
    page.keyboard.press("Tab")
    page.keyboard.type("9")

    add_agenda.focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("group", name="議題 3", exact=True).get_by_label("議題")).to_be_focused()
    page.keyboard.type("三つ目の議題")

    first_follow_up = page.get_by_role("group", name="対応事項 1", exact=True)
    first_follow_up.get_by_label("対応事項").fill("事例を集める")
    first_follow_up.get_by_label("担当").fill("福祉局 育成支援課")
    page.get_by_role("button", name="対応事項の行を追加", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="対応事項 2", exact=True).get_by_label("対応事項")).to_be_focused()
    page.keyboard.type("日程を調整する")
    page.keyboard.press("Tab")
    page.keyboard.type("事務局")

    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("行を追加した会議")
    meeting = Meeting.objects.get(title="行を追加した会議")
    assert list(meeting.agenda_items.order_by("position").values_list("title", flat=True)) == [
        "一つ目の議題",
        "二つ目の議題",
        "三つ目の議題",
    ]
    assert [m.number for m in meeting.agenda_items.get(position=2).measures.all()] == [9]
    assert sorted(meeting.follow_ups.values_list("description", flat=True)) == [
        "事例を集める",
        "日程を調整する",
    ]


def test_organisations_are_chosen_in_a_combobox_by_keyboard(page, live_server, secretariat, organizations):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/meetings/new/")
    fill_the_basics(page, "団体を選んだ会議")
    # No checkbox per registered organisation: none until one is chosen.
    attending = page.get_by_role("group", name="出席した関係機関・団体")
    expect(attending.get_by_role("checkbox")).to_have_count(0)

    search = page.get_by_role("combobox", name="出席した団体を名称で探す")
    expect(search).to_have_attribute("aria-expanded", "false")
    search.focus()
    page.keyboard.type("ﾎﾞﾝﾄﾞ")  # half-width katakana: nothing found, and said so
    expect(page.locator(".organization-search [role=status]")).to_have_text(
        "該当する団体は見つかりませんでした。"
    )
    search.fill("")
    page.keyboard.type("bond")
    listbox = page.get_by_role("listbox", name="見つかった団体")
    expect(listbox).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    option = listbox.get_by_role("option", name="一般社団法人 BOND プロジェクト（民間団体）")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.keyboard.press("Enter")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    expect(
        attending.get_by_role("checkbox", name="一般社団法人 BOND プロジェクト（民間団体）")
    ).to_be_checked()
    expect(page.locator(".organization-search [role=status]")).to_contain_text("出席に加えました")

    page.keyboard.type("署")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.type("ぱっぷす")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(attending.get_by_role("checkbox")).to_have_count(3)
    # Unticking takes one out again.
    attending.get_by_role("checkbox", name="新宿警察署（警察）").uncheck()

    # Enter in the search field never saves the form.
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("会議の登録")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("団体を選んだ会議")
    meeting = Meeting.objects.get(title="団体を選んだ会議")
    assert set(meeting.attending_organizations.all()) == {organizations["bond"], organizations["papps"]}


def test_without_javascript_rows_are_added_and_organisations_searched(
    browser, live_server, secretariat, organizations
):
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, "secretariat")
        page.goto(f"{live_server.url}/meetings/new/")
        fill_the_basics(page, "スクリプトなしの会議")
        page.get_by_role("group", name="議題 1", exact=True).get_by_label("議題").fill("一つ目の議題")
        page.get_by_role("button", name="議題の行を追加して再表示").click()

        expect(page.get_by_role("status").filter(has_text="まだ保存されていません")).to_be_visible()
        expect(page.get_by_role("group", name="議題 1", exact=True).get_by_label("議題")).to_have_value(
            "一つ目の議題"
        )
        expect(page.get_by_role("group", name="議題 2", exact=True).get_by_label("議題")).to_be_focused()
        page.get_by_role("group", name="議題 2", exact=True).get_by_label("議題").fill("二つ目の議題")
        assert Meeting.objects.count() == 0

        page.get_by_role("textbox", name="出席した団体を名称で探す").fill("ぱっぷす")
        page.get_by_role("button", name="検索して再表示").click()
        expect(page.get_by_label("会議名")).to_have_value("スクリプトなしの会議")
        page.get_by_label("特定非営利活動法人 ぱっぷす（民間団体）").check()
        page.get_by_role("button", name="保存する").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("スクリプトなしの会議")
        meeting = Meeting.objects.get()
        assert list(meeting.agenda_items.values_list("title", flat=True)) == ["一つ目の議題", "二つ目の議題"]
        assert list(meeting.attending_organizations.all()) == [organizations["papps"]]
    finally:
        context.close()


def serious_violations(page):
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return "\n".join(f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}" for v in found)


def test_the_open_combobox_and_the_month_calendar_have_no_serious_accessibility_violations(
    page, live_server, secretariat, organizations
):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/meetings/new/")
    search = page.get_by_role("combobox", name="出席した団体を名称で探す")
    search.focus()
    page.keyboard.type("法人")
    listbox = page.get_by_role("listbox", name="見つかった団体")
    expect(listbox.get_by_role("option")).to_have_count(2)
    page.keyboard.press("ArrowDown")
    assert not serious_violations(page)

    page.goto(f"{live_server.url}/meetings/calendar/?month=2025-10")
    expect(page.get_by_role("heading", level=1)).to_have_text("年間の予定と実績 2025年10月")
    assert not serious_violations(page)


def test_added_rows_and_chosen_organisations_come_back_after_an_expired_session(
    page, live_server, secretariat, organizations
):
    """keep-typed.js puts typed answers back after logging in again: the rows added and the
    organisations chosen here are added back first, so that nothing typed is lost (issue 15)."""
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/meetings/new/")
    fill_the_basics(page, "期限切れをまたいだ会議")
    page.get_by_role("group", name="議題 1", exact=True).get_by_label("議題").fill("一つ目の議題")
    page.get_by_role("button", name="議題の行を追加", exact=True).click()
    page.get_by_role("group", name="議題 2", exact=True).get_by_label("議題").fill("二つ目の議題")
    search = page.get_by_role("combobox", name="出席した団体を名称で探す")
    search.fill("bond")
    page.get_by_role("listbox", name="見つかった団体").get_by_role("option").first.click()

    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.get_by_label("ユーザー名").fill("secretariat")
    page.get_by_label("パスワード").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()

    assert Meeting.objects.count() == 0
    page.get_by_role("button", name="入力していた内容を戻す").click()
    expect(page.get_by_role("group", name="議題 2", exact=True).get_by_label("議題")).to_have_value(
        "二つ目の議題"
    )
    expect(page.get_by_label("一般社団法人 BOND プロジェクト（民間団体）")).to_be_checked()
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("期限切れをまたいだ会議")
    meeting = Meeting.objects.get()
    assert list(meeting.agenda_items.order_by("position").values_list("title", flat=True)) == [
        "一つ目の議題",
        "二つ目の議題",
    ]
    assert list(meeting.attending_organizations.all()) == [organizations["bond"]]
