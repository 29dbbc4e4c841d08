"""ウェブアクセシビリティ方針 (issue 14 item 8): public, linked from every page's footer, stating the
target level honestly, the scope, the method and the date the checks were set — and listing exactly
the pages the browser tests check."""

import pytest

from config.accessibility_views import CHECKED_PAGES, CHECKS_REVISED_ON, REFLOW_PAGES, REFLOW_WIDTHS
from tests.browser import test_accessibility, test_reflow
from tests.html import link_targets, parse, rows_of, section, select_one, text_of, texts_of

pytestmark = pytest.mark.django_db


def test_anyone_reads_it_without_signing_in(client):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    page = parse(response.content)
    assert text_of(select_one(page, "h1")) == "ウェブアクセシビリティ方針"
    level = text_of(section(page, "目標とする適合レベル"))
    assert "JIS X 8341-3:2016 の適合レベル AA に準拠することを目標とします（AA準拠を目標）" in level
    # Automated checks are not a conformance test, and the page says so rather than claiming one.
    assert "人による試験）はまだ行っていません" in level
    assert "「準拠」「一部準拠」とは表記していません" in level
    assert "このシステムの画面" in text_of(section(page, "対象とする範囲"))
    method = text_of(section(page, "確認の方法"))
    assert "axe-core" in method
    assert "キーボードだけ" in method
    assert "768・640・320 ピクセル" in method
    revised = text_of(section(page, "確認の対象と方法を定めた日"))
    assert f"{CHECKS_REVISED_ON.year}年{CHECKS_REVISED_ON.month}月{CHECKS_REVISED_ON.day}日" in revised


def test_it_lists_the_pages_checked(client):
    page = parse(client.get("/accessibility/").content)
    rows = rows_of(select_one(page, "table#checked-pages"))
    assert rows[0] == ["画面", "ログインする役割"]
    assert rows[1:] == [[label, roles] for _, label, roles in CHECKED_PAGES]
    assert texts_of(page, "#reflow-pages li") == [label for _, label in REFLOW_PAGES]


def test_the_published_lists_are_the_pages_the_browser_tests_check():
    """The page may claim only what the tests do: every listed page has its check, and no check is
    left off the list."""
    assert set(test_accessibility.CHECKED) == {key for key, _, _ in CHECKED_PAGES}
    assert set(test_reflow.LIST_PAGES) == {key for key, _ in REFLOW_PAGES}
    assert test_reflow.WIDTHS == REFLOW_WIDTHS


def footer_links(response):
    return link_targets(select_one(parse(response.content), "footer"), "ウェブアクセシビリティ方針")


def test_every_page_links_to_it(client, viewer):
    assert footer_links(client.get("/accounts/login/")) == ["/accessibility/"]
    client.force_login(viewer)
    assert footer_links(client.get("/")) == ["/accessibility/"]
    assert footer_links(client.get("/plan/")) == ["/accessibility/"]


def test_signed_in_it_is_the_same_page(client, municipal_officer):
    client.force_login(municipal_officer)
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "AA準拠を目標" in text_of(parse(response.content))


def test_it_only_reads(client):
    assert client.post("/accessibility/").status_code == 405
