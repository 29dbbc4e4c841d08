"""The dashboard and the indicator pages in a real browser, as a committee member (viewer) and as
the secretariat reach them: from the home page's indicator card to the overview and a drill-down,
checked with axe on every page."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from plan.accounts.roles import Role
from plan.models import Plan
from plan.progress.services import plan_set_reporting_year
from tests.browser.conftest import log_in
from tests.factories import UserFactory, municipality
from tests.municipalities.factories import AnnualReturnFactory, ReturnRoundFactory, accepted, secretariat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reference_data")]


def assert_accessible(page):
    results = Axe().run(page)
    found = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not found, f"{page.url}\n" + "\n".join(
        f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']]}" for v in found
    )


@pytest.fixture
def data(reference_data):
    plan_set_reporting_year(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    admin = secretariat()
    officer = UserFactory(username="shinjuku", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区"))
    round_ = ReturnRoundFactory(fiscal_year=2025, opened_by=admin)
    accepted(AnnualReturnFactory(round=round_, municipality=municipality("新宿区")), officer, admin)
    UserFactory(username="member", role=Role.VIEWER)
    UserFactory(username="jimukyoku", role=Role.PLAN_ADMIN)


@pytest.mark.parametrize("username", ["member", "jimukyoku"])
def test_from_the_dashboard_to_an_indicators_drill_down(page, live_server, data, username):
    log_in(page, live_server, username)
    card = page.get_by_role("region", name="指標の状況 令和7年度（2025年度）")
    expect(card.get_by_role("row")).to_have_count(7)  # the header and the six
    expect(card.get_by_role("row", name="⑤")).to_contain_text("1 区市町村")
    expect(card.get_by_role("row", name="①")).to_contain_text("データなし")
    assert_accessible(page)

    card.get_by_role("link", name="指標の一覧（年度ごとの推移）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("指標の進捗")
    # Each indicator's chart is an image with a text alternative, drawn on the server.
    expect(page.get_by_role("img").first).to_have_attribute("aria-label", re.compile(r"\S"))
    assert_accessible(page)

    page.goto(f"{live_server.url}/")
    page.get_by_role("region", name="指標の状況 令和7年度（2025年度）").get_by_role(
        "link", name="⑤ 法に基づく基本計画を策定している区市町村数"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("⑤ 法に基づく基本計画を策定している区市町村数")
    expect(page.get_by_text("新宿区").first).to_be_visible()
    assert_accessible(page)
