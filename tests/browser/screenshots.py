"""Screenshots for the README (not a test). Run against a running server with the demo users:

    .venv/bin/python manage.py runserver 127.0.0.1:8765 &
    .venv/bin/python -m tests.browser.screenshots --url http://127.0.0.1:8765

writes docs/screenshots/plan-tree.png, measure-86.png (as bureau staff), home-admin.png,
returns-round.png, returns-matrix.png, indicators.png (as the plan administrator) and returns-officer.png (as 新宿区's
officer), at 1366×768, the first screenful only.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, VIEWPORT, launch_chromium

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PASSWORD = "demo-pass-2024"


def log_in(page, url, username, password):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def shoot(browser, url, username, password, shots, out):
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    try:
        page = context.new_page()
        log_in(page, url, username, password)
        for path, heading, filename in shots:
            page.goto(f"{url}{path}")
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            page.screenshot(path=out / filename, full_page=False)
            print(f"{out / filename}")
    finally:
        context.close()


def shoot_officer_return(browser, url, username, password, out):
    """The officer's return form, reached as the officer reaches it: from the home page's card."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    try:
        page = context.new_page()
        log_in(page, url, username, password)
        page.get_by_role("region", name="取組状況の報告").get_by_role("link", name="報告を入力する").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("取組状況の報告")
        page.screenshot(path=out / "returns-officer.png", full_page=False)
        print(f"{out / 'returns-officer.png'}")
    finally:
        context.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="README 用のスクリーンショットを撮ります。")
    parser.add_argument("--url", default="http://127.0.0.1:8765", help="起動中のサーバーの URL")
    parser.add_argument("--bureau", default="bureau", help="所管局職員のユーザー名")
    parser.add_argument("--admin", default="admin", help="計画管理者のユーザー名")
    parser.add_argument("--officer", default="officer", help="区市町村担当者のユーザー名")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="両ユーザーのパスワード")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} がありません。Debian の chromium をインストールしてください（make browser）。")
    url = args.url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            shoot(
                browser,
                url,
                args.bureau,
                args.password,
                [
                    ("/plan/", "計画の体系", "plan-tree.png"),
                    ("/plan/measures/86/", "No.86 女性相談支援センターのDX", "measure-86.png"),
                ],
                args.out,
            )
            shoot(
                browser,
                url,
                args.admin,
                args.password,
                [
                    ("/", "ホーム", "home-admin.png"),
                    ("/returns/rounds/2025/", "令和7年度（2025年度）の取組状況の報告", "returns-round.png"),
                    ("/returns/rounds/2025/matrix/", "区市町村の状況一覧 令和7年度（2025年度）末時点", "returns-matrix.png"),
                    ("/indicators/", "指標の進捗", "indicators.png"),
                ],
                args.out,
            )
            shoot_officer_return(browser, url, args.officer, args.password, args.out)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
