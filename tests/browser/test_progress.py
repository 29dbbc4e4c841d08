"""Bureau staff record a measure's progress in a real browser, and a stale save is refused."""

import re

import pytest
from playwright.sync_api import expect

from plan.accounts.roles import Role
from plan.models import MeasureProgress, Plan
from plan.progress.services import progress_year_start
from tests.browser.conftest import VIEWPORT, log_in
from tests.factories import UserFactory, welfare_division

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def year_2025(reference_data):
    plan = Plan.objects.current()
    plan.reporting_fiscal_year = 2025
    plan.save()
    progress_year_start(plan=plan, fiscal_year=2025, user=None)


@pytest.fixture
def colleague(reference_data):
    return UserFactory(
        username="colleague", last_name="福祉局", first_name="二郎", role=Role.BUREAU_STAFF, departments=[welfare_division()]
    )


def measure_row(page, number):
    return page.locator(f"tr#measure-{number}")


def test_bureau_staff_update_a_measure_and_a_stale_save_is_refused(browser, page, live_server, bureau_user, colleague, year_2025):
    # A colleague opened No. 86's form first, and is still typing.
    other_context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    other = other_context.new_page()
    try:
        log_in(other, live_server, "colleague")
        other.goto(f"{live_server.url}/plan/progress/2025/86/edit/")
        expect(other.get_by_role("heading", level=1)).to_contain_text("女性相談支援センターのDX")

        # Bureau staff go to their department's measures not yet updated, in one click.
        log_in(page, live_server, "bureau")
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="自分の所管の未更新").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("施策の進捗 令和7年度（2025年度）")
        expect(page.get_by_label("今年度未更新のみ")).to_be_checked()
        expect(measure_row(page, 86)).to_contain_text("未更新")
        expect(measure_row(page, 111)).to_have_count(0)  # 教育庁's measure is not theirs

        measure_row(page, 86).get_by_role("link", name="編集").click()
        expect(page.get_by_role("heading", name="前年度（令和6年度）の記録")).to_be_visible()
        page.get_by_role("radio", name="順調", exact=True).check()
        page.get_by_role("radio", name="継続").check()
        page.get_by_label("実績").fill("相談保護管理システムの要件定義を完了した。")
        page.get_by_role("button", name="保存する").click()

        expect(page.get_by_role("status")).to_contain_text("No.86 の令和7年度の進捗を保存しました")
        # Back on the "not yet updated" list, which no longer has No. 86.
        expect(measure_row(page, 86)).to_have_count(0)

        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="施策の進捗").click()
        row = measure_row(page, 86)
        expect(row.locator(".badge-progress")).to_have_text(re.compile(r"順調$"))
        expect(row).to_contain_text("継続")
        expect(row).not_to_contain_text("未更新")

        row.get_by_role("link", name="86", exact=True).click()
        history = page.locator("ol.history li").first
        expect(history).to_contain_text("福祉局 一郎")
        expect(history).to_contain_text("画面から更新")
        expect(history.get_by_role("row", name=re.compile("進捗状況"))).to_contain_text("順調")
        expect(history.get_by_role("row", name=re.compile("実績"))).to_contain_text("要件定義を完了した")

        # The colleague saves the form loaded before that change: refused, nothing overwritten.
        other.get_by_role("radio", name="遅れ").check()
        other.get_by_role("radio", name="見直し・改善").check()
        other.get_by_label("実績").fill("二郎が入力した実績")
        other.get_by_role("button", name="保存する").click()
        alert = other.get_by_role("alert")
        expect(alert).to_contain_text("保存しませんでした")
        expect(alert).to_contain_text("福祉局 一郎")
        expect(alert.get_by_role("row", name=re.compile("実績"))).to_contain_text("要件定義を完了した")
        expect(other.get_by_label("実績")).to_have_value("二郎が入力した実績")
        expect(other.get_by_role("radio", name="遅れ")).to_be_checked()
    finally:
        other_context.close()

    saved = MeasureProgress.objects.get(measure__number=86, fiscal_year=2025)
    assert saved.assessment == "on_track" and saved.achievements == "相談保護管理システムの要件定義を完了した。"
    assert saved.updated_by == bureau_user
