"""ウェブアクセシビリティ方針 (issue 14 item 8): the page Japanese public bodies publish, stating the
target level, the scope, how the pages are checked and when the checks were last set.

What it lists as checked is what the browser tests check: tests/browser/test_accessibility.py and
tests/browser/test_reflow.py take every page below by its key, and tests/test_accessibility_page.py
fails when the two lists part. The page claims no more than those automated checks show: axe-core
finds only part of what JIS X 8341-3 asks, so the level is a target (「AA準拠を目標」), not a claim
of conformance, and no manual test is reported that was not made."""

import datetime

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

# When the list of checked pages or the way they are checked last changed. Change it together with
# CHECKED_PAGES, REFLOW_WIDTHS or the tests named above; the checks themselves run on every change (CI).
CHECKS_REVISED_ON = datetime.date(2026, 11, 29)

# (key, page, as whom): the pages axe-core checks in a real browser with the demo data loaded.
CHECKED_PAGES = [
    ("login", "ログイン画面（入力の誤りを表示した状態を含む）", "ログイン前"),
    ("accessibility", "ウェブアクセシビリティ方針（このページ）", "ログイン前"),
    ("dashboard", "ホーム（役割ごとの画面）", "事務局・所管局職員・区市町村担当者・閲覧者"),
    ("plan_tree", "計画の体系", "事務局"),
    ("measure", "施策のページ", "事務局"),
    ("progress_list", "施策の進捗の一覧", "事務局・所管局職員"),
    ("progress_form", "施策の進捗の入力画面（入力の誤りを表示した状態を含む）", "所管局職員"),
    ("return_form", "年次報告の入力画面（入力の誤りを表示した状態を含む）", "区市町村担当者"),
    ("round", "年次報告の受付状況", "事務局"),
    ("matrix", "区市町村の状況一覧", "事務局"),
    ("indicator_overview", "指標の一覧", "事務局"),
    ("indicator_detail", "指標の内訳", "事務局"),
    ("meeting_list", "会議の一覧", "事務局"),
    ("meeting_detail", "会議の記録", "事務局"),
    ("meeting_form", "会議の登録画面", "事務局"),
    ("organization_list", "関係機関・団体の一覧", "事務局"),
]

# The list pages shown at these widths must not scroll sideways (JIS X 8341-3 reflow): a tablet,
# 1280 px at 200% zoom, and 320 px (1280 px at 400%).
REFLOW_WIDTHS = (768, 640, 320)
REFLOW_PAGES = [
    ("dashboard", "ホーム（役割ごと）"),
    ("plan_tree", "計画の体系"),
    ("progress_list", "施策の進捗の一覧"),
    ("round", "年次報告の受付状況"),
    ("matrix", "区市町村の状況一覧"),
    ("indicator_overview", "指標の一覧"),
    ("meeting_list", "会議の一覧"),
    ("meeting_counts", "会議の開催回数"),
    ("organization_list", "関係機関・団体の一覧"),
]


@require_GET
@login_not_required
def accessibility_policy(request):
    """Public: the policy is for anyone, before signing in too (as on every public body's site)."""
    return render(
        request,
        "accessibility.html",
        {
            "checks_revised_on": CHECKS_REVISED_ON,
            "checked_pages": CHECKED_PAGES,
            "reflow_widths": REFLOW_WIDTHS,
            "reflow_pages": REFLOW_PAGES,
        },
    )
