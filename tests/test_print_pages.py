"""Printing from the pages (issue 12 item 4), as far as the server decides it: the filters in force
stated in words on every printed list, the measure page's print summary, and the briefing's print
view with who may open it. What the paper looks like is in tests/browser/test_print.py."""

import datetime

import pytest
from django.urls import reverse

from config.briefing import briefing_summary
from plan.models import MeasureProgress, Plan
from plan.progress.services import progress_update, progress_year_start
from tests.html import link_targets, rows_of, select, select_one, text_of
from tests.meetings.factories import MeetingFactory

YEAR = 2025


def print_filters(response) -> str:
    return text_of(select_one(response, ".print-filters"))


# --- the filters in force, in words ----------------------------------------------------------------


def test_the_progress_list_states_its_filters(client, plan_admin):
    client.force_login(plan_admin)
    response = client.get(
        reverse("plan:progress_list"),
        {"year": YEAR, "goal": 1, "assessment": "delayed", "not_updated": "on", "q": "ＤＶ"},
    )
    line = print_filters(response)
    assert line.startswith("絞り込み条件：")
    assert "年度 令和7年度（2025年度）" in line
    assert "基本目標 基本目標1" in line and "進捗状況 遅れ" in line and "今年度未更新のみ はい" in line
    assert "キーワード・施策番号 " in line
    assert "所管" not in line  # not asked for, not stated


def test_an_unfiltered_list_states_its_default_year_only(client, viewer):
    client.force_login(viewer)
    year = Plan.objects.current().current_reporting_year()
    line = print_filters(client.get(reverse("plan:progress_list")))
    assert line == f"絞り込み条件：年度 {year.label}"


def test_the_filters_line_is_for_print_only(client, viewer):
    client.force_login(viewer)
    element = select_one(client.get(reverse("plan:progress_list")), ".print-filters")
    assert "hidden" in element.attrs and "print-only" in element.attrs["class"]


def test_the_meetings_list_states_its_filters_and_search(client, plan_admin):
    client.force_login(plan_admin)
    MeetingFactory(title="連絡会議", date=datetime.date(2025, 6, 1))
    line = print_filters(client.get(reverse("meetings:meeting_list"), {"year": "all", "q": "連絡"}))
    assert line == "絞り込み条件：年度 すべての年度、キーワード 連絡"


def test_the_organisations_list_and_the_round_page_state_theirs(client, plan_admin):
    from tests.municipalities.samples import ensure_return_samples

    client.force_login(plan_admin)
    line = print_filters(
        client.get(reverse("meetings:organization_list"), {"kind": "private", "q": "すみれ"})
    )
    assert line == "絞り込み条件：名称 すみれ、種別 民間団体"
    samples = ensure_return_samples()
    round_url = reverse("municipalities:review_round", kwargs={"year": samples["round"].fiscal_year})
    line = print_filters(client.get(round_url, {"region": "区部", "state": "submitted"}))
    assert line == "絞り込み条件：地域 区部、状態 提出済み"
    assert print_filters(client.get(round_url)) == "絞り込み条件：なし（すべて）"


def test_a_refused_filter_is_not_stated(client, plan_admin):
    """The page ignores a form with an unknown value, so the paper must not claim it."""
    from tests.municipalities.samples import ensure_return_samples

    client.force_login(plan_admin)
    samples = ensure_return_samples()
    round_url = reverse("municipalities:review_round", kwargs={"year": samples["round"].fiscal_year})
    assert print_filters(client.get(round_url, {"region": "nowhere"})) == "絞り込み条件：なし（すべて）"


def test_the_lists_without_filters_say_they_are_complete(client, plan_admin):
    client.force_login(plan_admin)
    assert (
        print_filters(client.get(reverse("indicators:overview")))
        == "絞り込み条件：なし（すべて）（6つの指標すべて）"
    )


# --- the measure page -------------------------------------------------------------------------------


@pytest.fixture
def measure_with_history(plan_admin):
    plan = Plan.objects.current()
    progress_year_start(plan=plan, fiscal_year=2024, user=None)
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    for fiscal_year, text in [(2024, "前年度の実績"), (YEAR, "一回目の実績"), (YEAR, "最後の実績")]:
        record = MeasureProgress.objects.get(measure__number=86, fiscal_year=fiscal_year)
        progress_update(
            progress=record,
            expected_version=record.version,
            values={"assessment": "on_track", "direction": "continue", "achievements": text},
            user=plan_admin,
        )
    plan.reporting_fiscal_year = YEAR
    plan.save(update_fields=["reporting_fiscal_year"])
    return plan


def test_the_measure_page_prints_the_year_and_the_last_change(client, plan_admin, measure_with_history):
    client.force_login(plan_admin)
    response = client.get(reverse("plan:measure_detail", kwargs={"number": 86}))
    section = select_one(response, "#progress")
    assert "print-summary" in section.attrs["class"]
    other_years = select(section, ".progress-card-other-year")
    assert [element.attrs["id"] for element in other_years] == ["progress-2024"]
    last = select_one(section, ".print-last-change")
    assert "最後の実績" in text_of(last) and "前年度の実績" not in text_of(last)
    assert "?print=full" in " ".join(link_targets(section))


def test_print_full_prints_every_year_and_change(client, plan_admin, measure_with_history):
    client.force_login(plan_admin)
    response = client.get(reverse("plan:measure_detail", kwargs={"number": 86}), {"print": "full"})
    section = select_one(response, "#progress")
    assert "print-full" in section.attrs["class"] and "print-summary" not in section.attrs["class"]
    assert select(section, ".print-last-change") == []
    assert "前年度の実績" in text_of(select_one(section, ".progress-history-full"))


# --- the briefing's print view ----------------------------------------------------------------------


def print_url(year=YEAR):
    return reverse("briefing_print", kwargs={"year": year})


def test_the_summary_is_the_workbooks_overview_and_indicators(db):
    summary = briefing_summary(fiscal_year=YEAR, form="public", as_of=datetime.date(2026, 7, 1))
    assert summary.title.endswith("推進委員会資料 令和7年度（2025年度）（公表用）")
    assert summary.overview.headers == ["区分", "項目", "値", "備考"]
    assert [figures.indicator.number for figures in summary.figures] == [1, 2, 3, 4, 5, 6]
    assert summary.figures[0].years[-1].fiscal_year == YEAR


def test_the_secretariat_gets_the_members_form(client, plan_admin):
    client.force_login(plan_admin)
    response = client.get(print_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "（委員用）" in text_of(select_one(response, "h1"))
    assert "概要" in text_of(response) and "指標" in text_of(response)
    indicator_rows = rows_of(select_one(response, "table.briefing-indicators"))
    assert len(indicator_rows) == 1 + 6  # the header and the six indicators
    assert len(select(response, ".indicator-charts svg")) == 6
    public = client.get(print_url(), {"form": "public"})
    assert "（公表用）" in text_of(select_one(public, "h1"))


def test_a_viewer_gets_the_public_form_only(client, viewer):
    client.force_login(viewer)
    response = client.get(print_url())
    assert response.status_code == 200 and "（公表用）" in text_of(select_one(response, "h1"))
    assert client.get(print_url(), {"form": "members"}).status_code == 403


def test_anonymous_goes_to_the_login(client, db):
    response = client.get(print_url())
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "who", ["bureau_staff", "municipal_officer", "other_officer", "case_handler", "no_role"]
)
def test_everyone_else_is_refused(db, client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(print_url()).status_code == 403
    assert client.get(print_url(), {"form": "public"}).status_code == 403


def test_a_year_outside_the_plan_is_not_found(client, plan_admin):
    client.force_login(plan_admin)
    assert client.get(print_url(2035)).status_code == 404


def test_the_dashboards_link_the_print_view(client, plan_admin, viewer):
    year = Plan.objects.current().current_reporting_year().year
    for user in (plan_admin, viewer):
        client.force_login(user)
        assert print_url(year) in link_targets(client.get(reverse("home")))


def test_the_print_view_runs_a_fixed_number_of_queries(client, plan_admin, django_assert_max_num_queries):
    from tests.indicators.helpers import accept

    client.force_login(plan_admin)
    accept(YEAR, "新宿区")
    with django_assert_max_num_queries(40) as small:
        assert client.get(print_url()).status_code == 200
    for name in ("港区", "台東区", "町田市", "八王子市"):
        accept(YEAR, name)
    for number in range(5):
        MeetingFactory(title=f"追加の会議{number}", date=datetime.date(2025, 9, 1 + number))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(print_url()).status_code == 200
