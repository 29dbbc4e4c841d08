"""A municipal officer fills in their municipality's return in a real browser: one click from the
home page, a draft saved, a submission refused with the errors beside the fields and then made,
the read-only page with the reason, and a withdrawal."""

import pytest
from playwright.sync_api import expect

from municipalities.models import AnnualReturn, ReturnState
from plan.accounts.roles import Role
from tests.browser.conftest import log_in
from tests.factories import UserFactory, municipality
from tests.municipalities.factories import AnnualReturnFactory, ReturnRoundFactory, secretariat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def officer(reference_data):
    return UserFactory(
        username="shinjuku",
        last_name="新宿",
        first_name="花子",
        role=Role.MUNICIPAL_OFFICER,
        municipality=municipality("新宿区"),
    )


@pytest.fixture
def draft(reference_data):
    """新宿区's draft of the 令和7年度 round."""
    return AnnualReturnFactory(round=ReturnRoundFactory(opened_by=secretariat()))


def test_an_officer_fills_in_saves_and_submits_their_return(page, live_server, officer, draft):
    log_in(page, live_server, "shinjuku")
    card = page.get_by_role("region", name="取組状況の報告")
    expect(card).to_contain_text("令和7年度（2025年度）の報告")
    expect(card).to_contain_text("作成中")
    card.get_by_role("link", name="報告を入力する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新宿区 令和7年度（2025年度）の取組状況の報告")

    # Part of the answers, full-width digits as typed in Excel, then a draft.
    plan = page.get_by_role("group", name="市町村基本計画")
    plan.get_by_role("radio", name="策定済み").check()
    plan.get_by_label("計画の名称", exact=True).fill("新宿区困難女性支援基本計画")
    plan.get_by_role("textbox", name="計画期間（開始年度）").fill("２０２５")
    plan.get_by_role("textbox", name="計画期間（終了年度）").fill("令和11")
    workers = page.get_by_role("group", name="女性相談支援員")
    workers.get_by_role("radio", name="配置あり").check()
    workers.get_by_role("textbox", name="常勤の人数（年度末時点）", exact=True).fill("２")
    workers.get_by_role("textbox", name="非常勤の人数（年度末時点）", exact=True).fill("0")
    workers.get_by_role(
        "checkbox", name="不明 （女性相談支援センターの研修を受講した支援員の実人数（年度内））"
    ).check()
    page.get_by_role("button", name="一時保存").click()
    expect(page.get_by_role("status")).to_contain_text("令和7年度の報告を一時保存しました")
    saved = AnnualReturn.objects.get(pk=draft.pk)
    assert (saved.plan_period_start, saved.plan_period_end) == (2025, 2029)
    assert (saved.workers_full_time, saved.workers_part_time, saved.workers_trained) == (2, 0, None)

    # Submitting without the plan's date or the council: refused, the errors beside the fields.
    page.get_by_role("button", name="提出する").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("提出していません")
    expect(summary).to_contain_text("何も保存していません")
    summary.get_by_role("link", name="策定日：「策定済み」の場合は策定日を入力してください。").click()
    expect(page.get_by_label("策定日", exact=True)).to_be_focused()
    expect(page.locator("#id_plan_made_on_error")).to_have_text(
        "「策定済み」の場合は策定日を入力してください。"
    )
    expect(plan.get_by_label("計画の名称", exact=True)).to_have_value("新宿区困難女性支援基本計画")
    assert AnnualReturn.objects.get(pk=draft.pk).state == ReturnState.DRAFT

    # Completed and submitted.
    page.get_by_label("策定日", exact=True).fill("2025-03-01")
    council = page.get_by_role("group", name="支援調整会議", exact=True)
    council.get_by_role("radio", name="設置済み").check()
    council.get_by_role("checkbox", name="実務者会議を設けている").check()
    council.get_by_role("textbox", name="実務者会議の開催回数（年度内）", exact=True).fill("４")
    council.get_by_role("radio", name="いいえ").check()
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_role("status")).to_contain_text("提出しました")
    readonly = page.get_by_role("region", name="この報告は編集できません（提出済み・事務局の確認待ち）")
    expect(readonly).to_contain_text("事務局が確認を始める前に取下げてください")
    expect(page.get_by_role("button", name="提出する")).to_have_count(0)
    expect(page.get_by_role("region", name="これまでの経過")).to_contain_text("新宿 花子")
    answers = page.get_by_role("region", name="女性相談支援員")
    expect(answers.get_by_role("row", name="常勤の人数（年度末時点） 2人", exact=True)).to_be_visible()
    expect(
        answers.get_by_role("row", name="非常勤の人数（年度末時点） 0人", exact=True)
    ).to_be_visible()  # 0, not 不明
    expect(
        answers.get_by_role(
            "row", name="女性相談支援センターの研修を受講した支援員の実人数（年度内） 不明", exact=True
        )
    ).to_be_visible()

    # Withdrawn after the confirmation: a draft again.
    readonly.get_by_role("button", name="提出を取下げる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提出を取下げますか")
    page.get_by_role("button", name="取下げる").click()
    expect(page.get_by_role("status")).to_contain_text("提出を取下げました")
    expect(page.get_by_role("button", name="提出する")).to_be_visible()
    assert AnnualReturn.objects.get(pk=draft.pk).state == ReturnState.DRAFT
