"""The secretariat records a practitioners' meeting in the browser; the measure page shows it."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from plan.accounts.roles import Role
from tests.browser.conftest import log_in
from tests.factories import UserFactory
from tests.meetings.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def secretariat(reference_data):
    return UserFactory(username="secretariat", last_name="事務局", first_name="花子", role=Role.PLAN_ADMIN)


@pytest.fixture
def organizations(reference_data):
    return [
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす"),
        OrganizationFactory(name="新宿区 子ども家庭支援センター", kind="government"),
        OrganizationFactory(name="登録だけの団体"),
    ]


def test_the_secretariat_records_a_practitioners_meeting_seen_on_measure_9(
    page, live_server, secretariat, organizations
):
    log_in(page, live_server, "secretariat")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="会議", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("会議の一覧")
    page.get_by_role("link", name="会議を登録する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("会議の登録")

    page.get_by_label("会議体").select_option(label="支援調整会議")
    page.get_by_label("階層").select_option(label="支援調整会議：実務者会議（担当者会）")
    page.get_by_label("開催済み").check()
    page.get_by_label("会議名").fill("令和7年度 第2回 実務者会議")
    page.get_by_label("開催日").fill("2025-10-15")
    page.get_by_label("開始時刻").fill("14:00")
    page.get_by_label("終了時刻").fill("16:00")
    page.get_by_label("会場で開催").check()
    page.get_by_role("textbox", name="会場").fill("都庁第一本庁舎 42階 会議室")

    agenda = page.get_by_role("group", name="議題 1", exact=True)
    agenda.get_by_label("議題").fill("一時保護からの円滑な退所について")
    agenda.get_by_label("関連する施策（番号）").fill("9")

    # Organisations are found by a search, not listed one checkbox each (issue 13).
    search = page.get_by_role("combobox", name="出席した団体を名称で探す")
    found = page.get_by_role("listbox", name="見つかった団体")
    search.fill("ぱっぷす")
    found.get_by_role("option", name="特定非営利活動法人 ぱっぷす（民間団体）").click()
    search.fill("子ども家庭")
    expect(found.get_by_role("option")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.get_by_label("特定非営利活動法人 ぱっぷす（民間団体）")).to_be_checked()
    expect(page.get_by_label("新宿区 子ども家庭支援センター（行政機関）")).to_be_checked()
    page.get_by_label("出席者数").fill("14")

    follow_up = page.get_by_role("group", name="対応事項 1", exact=True)
    follow_up.get_by_label("対応事項").fill("退所支援の事例を次回までに集める")
    follow_up.get_by_label("担当").fill("福祉局 育成支援課")
    follow_up.get_by_label("期限").fill("2026-01-30")
    follow_up.get_by_label("関連する施策（番号）").fill("9")

    page.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("令和7年度 第2回 実務者会議")
    expect(page.get_by_role("status")).to_contain_text("会議「令和7年度 第2回 実務者会議」を登録しました。")
    attending = page.get_by_role("region", name="出席した関係機関・団体")
    expect(attending.get_by_role("listitem")).to_have_count(2)
    expect(attending).to_contain_text("特定非営利活動法人 ぱっぷす")
    expect(attending).not_to_contain_text("登録だけの団体")

    # The agenda links to the measure; its page shows the meeting and the follow-up.
    page.get_by_role("region", name="議題").get_by_role("link", name="No.9").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "No.9 支援調整会議を活用した関係機関の連携の強化"
    )
    section = page.get_by_role("region", name="この施策に関する会議")
    expect(section.get_by_role("link", name="令和7年度 第2回 実務者会議")).to_have_count(2)
    follow_ups = section.get_by_role("table", name="会議で決まった対応事項")
    row = follow_ups.get_by_role("row").filter(has_text="退所支援の事例を次回までに集める")
    expect(row).to_contain_text("福祉局 育成支援課")
    expect(row).to_contain_text("2026年1月30日")


def test_a_mistake_is_shown_next_to_the_field_and_nothing_is_lost(page, live_server, secretariat):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}/meetings/new/")
    page.get_by_label("会議名").fill("時刻を間違えた会議")
    page.get_by_label("開催日").fill("2025-10-15")
    page.get_by_label("開始時刻").fill("16:00")
    page.get_by_label("終了時刻").fill("14:00")
    page.get_by_role("textbox", name="会場").fill("都庁")
    page.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("alert").first).to_contain_text("保存されていません")
    expect(page.locator("#id_end_time_error")).to_have_text("終了時刻は開始時刻より後にしてください。")
    expect(page.get_by_role("textbox", name="会場")).to_have_value("都庁")
    expect(page.get_by_label("会議名")).to_have_value("時刻を間違えた会議")


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/meetings/", "会議の一覧"),
        ("/meetings/new/", "会議の登録"),
        ("/meetings/organizations/", "関係機関・団体"),
        ("/meetings/bodies/support-coordination-council/", "支援調整会議"),
    ],
)
def test_meeting_pages_have_no_serious_accessibility_violations(
    page, live_server, secretariat, path, heading
):
    log_in(page, live_server, "secretariat")
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not found, "\n".join(
        f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}" for v in found
    )
