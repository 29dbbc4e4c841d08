"""Nothing typed is lost (issue 15, item 5): a session that expires while someone types a year's
progress (or a meeting, or an organisation) sends the save to the login page; after logging in again the form
offers what was typed, and saving it then saves it (static/js/keep-typed.js). A form saved once
offers nothing afterwards, even a form for a new record, which has no version to tell it by."""

import re

import pytest
from playwright.sync_api import expect

from meetings.models import Organization
from plan.accounts.roles import Role
from plan.models import MeasureProgress, Plan
from plan.progress.services import progress_year_start
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import UserFactory
from tests.meetings.factories import MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]

ACHIEVEMENTS = "相談保護管理システムの要件定義を完了した。\n二行目の実績。"
ISSUES = "区市町村との連携の調整に時間を要した。"
NOTICE = "保存されていない入力があります"


@pytest.fixture
def year_2025(reference_data):
    plan = Plan.objects.current()
    plan.reporting_fiscal_year = 2025
    plan.save()
    progress_year_start(plan=plan, fiscal_year=2025, user=None)


@pytest.fixture
def secretariat_user(reference_data):
    return UserFactory(username="jimukyoku", role=Role.PLAN_ADMIN)


def sign_in_on_login_page(page, username):
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()


def name_field(page):
    return page.get_by_label(re.compile(r"^名称\s*（必須）$"))


def kind_field(page):
    return page.get_by_label(re.compile(r"^種別\s*（必須）$"))


def record_86():
    return MeasureProgress.objects.get(measure__number=86, fiscal_year=2025)


def test_typed_progress_comes_back_after_the_session_expired(page, live_server, bureau_user, year_2025):
    edit_url = f"{live_server.url}/plan/progress/2025/86/edit/"
    log_in(page, live_server, "bureau")
    page.goto(edit_url)
    notice = page.get_by_role("region", name=NOTICE)
    expect(notice).to_be_hidden()
    page.get_by_role("radio", name="順調", exact=True).check()
    page.get_by_role("radio", name="継続").check()
    page.get_by_label("実績").fill(ACHIEVEMENTS)
    page.get_by_label("課題").fill(ISSUES)

    # The session ends while they type; then they save, and are asked to log in.
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="保存する").click()
    sign_in_on_login_page(page, "bureau")

    # Back on the form: nothing was saved, and what they typed is offered back.
    assert page.url.startswith(edit_url)
    assert record_86().achievements == ""
    expect(notice).to_be_visible()
    expect(page.get_by_label("実績")).to_have_value("")
    notice.get_by_role("button", name="入力していた内容を戻す").click()
    expect(notice).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="戻しました")).to_contain_text("「保存する」を押してください")
    expect(page.get_by_label("実績")).to_have_value(ACHIEVEMENTS)
    expect(page.get_by_label("課題")).to_have_value(ISSUES)
    expect(page.get_by_role("radio", name="順調", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="継続")).to_be_checked()

    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status").first).to_contain_text("No.86 の令和7年度の進捗を保存しました")
    saved = record_86()
    assert (saved.assessment, saved.direction, saved.achievements, saved.issues) == (
        "on_track",
        "continue",
        ACHIEVEMENTS,
        ISSUES,
    )
    # Saved (a new version): the form offers nothing any more.
    page.goto(edit_url)
    expect(page.get_by_label("実績")).to_have_value(ACHIEVEMENTS)
    expect(notice).to_be_hidden()


def test_progress_typed_and_left_can_be_discarded(page, live_server, bureau_user, year_2025):
    edit_url = f"{live_server.url}/plan/progress/2025/86/edit/"
    log_in(page, live_server, "bureau")
    page.goto(edit_url)
    page.get_by_label("実績").fill(ACHIEVEMENTS)
    page.reload()
    notice = page.get_by_role("region", name=NOTICE)
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="破棄する").click()
    expect(notice).to_be_hidden()
    page.reload()
    expect(notice).to_be_hidden()
    expect(page.get_by_label("実績")).to_have_value("")


def test_a_new_organisation_typed_through_an_expired_session_and_then_saved(page, live_server, secretariat_user):
    new_url = f"{live_server.url}/meetings/organizations/new/"
    name = "NPO法人 かもめ相談室"
    log_in(page, live_server, "jimukyoku")
    page.goto(new_url)
    name_field(page).fill(name)
    kind_field(page).select_option(label="民間団体")

    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="保存する").click()
    sign_in_on_login_page(page, "jimukyoku")

    assert page.url.startswith(new_url)
    assert not Organization.objects.filter(name=name).exists()
    notice = page.get_by_role("region", name=NOTICE)
    notice.get_by_role("button", name="入力していた内容を戻す").click()
    expect(name_field(page)).to_have_value(name)
    expect(kind_field(page)).to_have_value("private")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("かもめ相談室")
    assert Organization.objects.filter(name=name).count() == 1

    # The copy went with the save: the next new organisation starts empty, with nothing offered.
    page.goto(new_url)
    expect(name_field(page)).to_have_value("")
    expect(notice).to_be_hidden()


def test_minutes_typed_into_a_meeting_through_an_expired_session_come_back(page, live_server, secretariat_user):
    meeting = MeetingFactory(title="令和7年度 第2回 実務者会議")
    edit_url = f"{live_server.url}/meetings/{meeting.pk}/edit/"
    minutes = "各機関から取組状況を報告した。\n次回は2月に開催する。"
    log_in(page, live_server, "jimukyoku")
    page.goto(edit_url)
    page.get_by_label(re.compile(r"^議事録（要旨）")).fill(minutes)

    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="保存する").click()
    sign_in_on_login_page(page, "jimukyoku")

    assert page.url.startswith(edit_url)
    meeting.refresh_from_db()
    assert meeting.minutes == ""
    notice = page.get_by_role("region", name=NOTICE)
    notice.get_by_role("button", name="入力していた内容を戻す").click()
    expect(page.get_by_label(re.compile(r"^議事録（要旨）"))).to_have_value(minutes)
    expect(page.get_by_label(re.compile(r"^会議名"))).to_have_value("令和7年度 第2回 実務者会議")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第2回 実務者会議")
    meeting.refresh_from_db()
    assert meeting.minutes.replace("\r\n", "\n") == minutes  # as the browser sends line ends
    page.goto(edit_url)
    expect(notice).to_be_hidden()
