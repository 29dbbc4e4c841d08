"""The indicators' pages: the overview of the six and the page of each with its drill-down.

What a reader checks: 未設定 and データなし where nothing is known (never 0), which figure is
computed, entered or frozen (and when a recomputed figure differs), the drill-down adding up to the
figure shown, and who sees case records and providers' names (nobody but the case permission and,
for names, the secretariat)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators import services
from indicators.models import Indicator
from meetings.access import HIDDEN_PROVIDER_NAME
from tests.html import definition_of, rows_of, section, select, select_one, source_of, text_of
from tests.indicators.helpers import accept, metro_partner, provider
from tests.meetings.factories import CaseReviewFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("indicators:overview")
PLAN_YEARS = [
    "令和6年度（2024年度）",
    "令和7年度（2025年度）",
    "令和8年度（2026年度）",
    "令和9年度（2027年度）",
    "令和10年度（2028年度）",
]
NO_PLAN = {
    "plan_status": "not_planned",
    "plan_made_on": None,
    "plan_not_planned_reason": "人員不足のため",
}


def detail(number, year=2025):
    return f"{reverse('indicators:detail', args=[number])}?year={year}"


def heading(number):
    indicator = Indicator.objects.get(number=number)
    return f"{indicator.symbol} {indicator.name}"


def year_rows(response, number):
    """{year label: [value, kind, grade, progress]} of the indicator's table on the overview."""
    table = select_one(section(response, heading(number)), "table")
    return {row[0]: row[1:] for row in rows_of(table)[1:]}


TODAY = datetime.date(2026, 11, 29)  # FY2026 under way: FY2024–2025 ended, FY2027–2028 not begun


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The pages tell past, current and future years apart: the tests fix the day they run on."""
    original = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else original(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


# --- the overview -------------------------------------------------------------------------------------


def test_without_data_everything_reads_not_set_or_no_data_never_zero(viewer_client):
    response = viewer_client.get(OVERVIEW)
    assert response.status_code == 200
    for number in range(1, 7):
        part = section(response, heading(number))
        assert text_of(definition_of(part, "基準値")) == "未設定"
        assert text_of(definition_of(part, "目標値")) == "未設定"
        rows = year_rows(response, number)
        assert list(rows) == PLAN_YEARS
        for year in PLAN_YEARS[:2]:
            assert rows[year] == ["データなし", "システムで算出", "未設定", "未設定"]
        assert rows[PLAN_YEARS[2]] == [
            "データなし",
            "システムで算出 （年度途中：現時点の記録による）",
            "未設定",
            "未設定",
        ]
        for year in PLAN_YEARS[3:]:
            assert rows[year] == ["未到来", "—", "—", "—"]
    cells = [text_of(cell) for cell in select(response, "td")]
    assert not [cell for cell in cells if cell.startswith("0 ") or cell.startswith("0％")]


def test_each_indicator_has_a_chart_and_a_link_to_its_drill_down(viewer_client):
    response = viewer_client.get(OVERVIEW)
    for number in range(1, 7):
        part = section(response, heading(number))
        charts = select(part, "svg[role=img]")
        assert len(charts) == 1
        assert charts[0].get("aria-label").startswith(f"{heading(number)}の推移：2024年度 データなし")
        links = [a.get("href") for a in select(part, "a")]
        assert any(href.startswith(reverse("indicators:detail", args=[number])) for href in links)
    assert "<script" not in source_of(response).split("</head>")[1]


def test_it_says_which_figure_is_entered_computed_or_frozen(viewer_client, plan_admin):
    accept(2024, "新宿区")
    services.indicator_value_enter(
        indicator=Indicator.objects.get(number=2),
        fiscal_year=2025,
        value=7,
        source="事業概要",
        user=plan_admin,
    )
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    accept(2025, "新宿区")
    response = viewer_client.get(OVERVIEW)
    value, kind, _, _ = year_rows(response, 5)["令和6年度（2024年度）"]
    assert value == "1 区市町村"
    assert kind.startswith("確定値（令和") and "に締め・システムで算出" in kind
    assert "再計算値が異なります" not in kind
    assert year_rows(response, 5)["令和7年度（2025年度）"][:2] == ["1 区市町村", "システムで算出"]
    assert year_rows(response, 2)["令和7年度（2025年度）"][:2] == ["7 箇所", "入力値（出典：事業概要）"]


def test_a_recomputed_figure_that_differs_is_shown_beside_the_frozen_one(viewer_client, plan_admin):
    accept(2024, "新宿区")
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    accept(2024, "港区")  # accepted after the closing
    value, kind, _, _ = year_rows(viewer_client.get(OVERVIEW), 5)["令和6年度（2024年度）"]
    assert value == "1 区市町村"
    assert "再計算値が異なります（確定値 1 区市町村／再計算値 2 区市町村）" in kind


def test_baseline_target_grade_and_progress(viewer_client, plan_admin):
    services.indicator_set_target(
        indicator=Indicator.objects.get(number=2),
        baseline_value=50,
        baseline_fiscal_year=2023,
        target_value=100,
        target_fiscal_year=2028,
        user=plan_admin,
    )
    services.indicator_value_enter(
        indicator=Indicator.objects.get(number=2),
        fiscal_year=2025,
        value=70,
        source="事業概要",
        user=plan_admin,
    )
    response = viewer_client.get(OVERVIEW)
    part = section(response, heading(2))
    assert text_of(definition_of(part, "基準値")) == "50 箇所（令和5年度（2023年度））"
    assert text_of(definition_of(part, "目標値")) == "100 箇所（令和10年度（2028年度））"
    rows = year_rows(response, 2)
    value, _, grade, progress = rows["令和7年度（2025年度）"]
    assert (value, progress) == ("70 箇所", "40.0％")
    assert grade.startswith("A（達成）") and "A：100.0％以上／B：80.0％以上／C：80.0％未満" in grade
    # A year without a figure, with a target set: no data, never 0％.
    assert rows["令和8年度（2026年度）"][2:] == ["データなし", "データなし"]
    target_lines = [line for line in select(part, "line") if line.get("class") == "target"]
    assert len(target_lines) == 1


def test_the_overview_runs_the_same_queries_with_one_and_five_years_of_data(
    client, plan_admin, django_assert_max_num_queries
):
    client.force_login(plan_admin)
    provider(name="委託先A")
    accept(2024, "新宿区")
    CaseReviewFactory(date=datetime.date(2024, 6, 1))
    services.metro_trained_workers_set(
        fiscal_year=2024, center_workers=5, welfare_office_workers=1, source_note="名簿", user=plan_admin
    )
    services.fiscal_year_close(fiscal_year=2024, user=plan_admin)
    one_year = count_queries(client, OVERVIEW, django_assert_max_num_queries, 40)
    for year in range(2025, 2029):
        provider(name=f"委託先{year}", start=datetime.date(year, 4, 1))
        metro_partner(name=f"協働団体{year}", start=datetime.date(year, 4, 1))
        CaseReviewFactory(date=datetime.date(year, 6, 1), woman_attended=False, absence_reason="health")
        services.metro_trained_workers_set(
            fiscal_year=year, center_workers=5, welfare_office_workers=1, source_note="名簿", user=plan_admin
        )
        services.indicator_value_enter(
            indicator=Indicator.objects.get(number=6),
            fiscal_year=year,
            value=3,
            source="調査",
            user=plan_admin,
        )
    accept(2025, "港区")
    services.fiscal_year_close(fiscal_year=2025, user=plan_admin)
    five_years = count_queries(client, OVERVIEW, django_assert_max_num_queries, 40)
    assert five_years == one_year
    rows = year_rows(client.get(OVERVIEW), 3)
    # The center's 6 each year, 新宿区's 4 in FY2024 and 港区's 4 in FY2025; FY2027– not begun.
    assert [row[0] for row in rows.values()] == ["10 人", "10 人", "6 人", "未到来", "未到来"]


# --- the drill-down ------------------------------------------------------------------------------------


def test_municipalities_counted_and_not_counted_add_up_to_the_figure(viewer_client):
    accept(2024, "新宿区")
    accept(2025, "港区", **NO_PLAN)
    accept(2025, "八王子市")
    response = viewer_client.get(detail(5))
    assert text_of(definition_of(response, "値")) == "2 区市町村"
    assert text_of(definition_of(response, "内訳の合計（システムの記録から算出）")) == "2 区市町村"
    counted = rows_of(select_one(response, "table.counted"))[1:]
    assert counted == [["新宿区", "令和6年度（2024年度）"], ["八王子市", "令和7年度（2025年度）"]]
    not_counted = {row[0]: row[1:] for row in rows_of(select_one(response, "table.not-counted"))[1:]}
    assert not_counted["港区"] == ["基本計画を策定していない", "令和7年度（2025年度）"]
    assert not_counted["渋谷区"] == ["受理済みの情報なし", "—"]
    assert len(counted) + len(not_counted) == 62


def test_trained_workers_by_municipality_and_the_secretariats_figures(viewer_client, plan_admin):
    accept(2025, "新宿区", workers_trained=4)
    accept(2025, "港区", workers_trained=2)
    services.metro_trained_workers_set(
        fiscal_year=2025,
        center_workers=12,
        welfare_office_workers=3,
        source_note="研修受講者名簿",
        user=plan_admin,
    )
    response = viewer_client.get(detail(3))
    assert text_of(definition_of(response, "値")) == "21 人"
    assert text_of(definition_of(response, "内訳の合計（システムの記録から算出）")) == "21 人"
    rows = rows_of(select_one(response, "table.trained-workers"))[1:]
    assert rows == [["港区", "2 人"], ["新宿区", "4 人"]]  # local-government-code order
    assert text_of(definition_of(response, "女性相談支援センターの女性相談支援員")) == "12 人"
    assert text_of(definition_of(response, "都の福祉事務所（町村部）の女性相談支援員")) == "3 人"


def test_an_entered_figure_says_its_drill_down_total_differs(viewer_client, plan_admin):
    provider(name="委託先")
    services.indicator_value_enter(
        indicator=Indicator.objects.get(number=2),
        fiscal_year=2025,
        value=7,
        source="事業概要",
        user=plan_admin,
    )
    response = viewer_client.get(detail(2))
    assert text_of(definition_of(response, "値")) == "7 箇所"
    assert text_of(definition_of(response, "内訳の合計（システムの記録から算出）")) == "1 箇所"
    assert "事務局が入力した値です" in text_of(response)


def test_partners_are_grouped_by_who_works_with_them(viewer_client):
    both = metro_partner(name="あおば会")
    accept(2025, "新宿区", collaboration_organizations=[both])
    hidden = metro_partner(name="シェルターさくら")
    provider_role_for(hidden)
    response = viewer_client.get(detail(4))
    assert text_of(definition_of(response, "値")) == "2 団体"
    groups = {
        text_of(h3): [text_of(li) for li in h3.following_siblings()[0].elements]
        for h3 in select(response, "h3")
    }
    assert groups["都と協働（2 団体）"] == ["あおば会", HIDDEN_PROVIDER_NAME]
    assert groups["新宿区と協働（1 団体）"] == ["あおば会 （令和7年度（2025年度）の年次報告）"]
    assert "シェルターさくら" not in source_of(response)


def provider_role_for(organization):
    from meetings.models import OrganizationRole
    from tests.meetings.factories import OrganizationRoleFactory

    OrganizationRoleFactory(
        organization=organization,
        role=OrganizationRole.Kind.TEMPORARY_PROTECTION,
        start_date=datetime.date(2024, 4, 1),
    )


# --- privacy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["viewer", "bureau_staff", "municipal_officer"])
def test_providers_names_are_not_shown_to_others(client, request, reader):
    provider(name="シェルターすみれ")
    client.force_login(request.getfixturevalue(reader))
    response = client.get(detail(2))
    assert "シェルターすみれ" not in source_of(response)
    assert "一時保護委託先 1 箇所" in text_of(select_one(response, ".drill-down-summary"))
    assert text_of(definition_of(response, "値")) == "1 箇所"


@pytest.mark.parametrize("reader", ["plan_admin", "case_handler"])
def test_the_secretariat_and_the_case_permission_see_providers_names(client, request, reader):
    provider(name="シェルターすみれ")
    client.force_login(request.getfixturevalue(reader))
    response = client.get(detail(2))
    assert [text_of(li) for li in select(response, "ul.providers li")] == ["シェルターすみれ"]


@pytest.fixture
def case_reviews():
    CaseReviewFactory(case_code="C-7001", date=datetime.date(2025, 6, 10), woman_attended=True)
    CaseReviewFactory(
        case_code="C-7002", date=datetime.date(2025, 6, 24), woman_attended=False, absence_reason="health"
    )
    CaseReviewFactory(
        case_code="C-7003", date=datetime.date(2025, 9, 2), woman_attended=False, absence_reason="health"
    )
    CaseReviewFactory(case_code="C-6999", date=datetime.date(2024, 9, 2), woman_attended=True)  # another year


@pytest.mark.parametrize("reader", ["viewer", "plan_admin", "bureau_staff", "municipal_officer"])
def test_without_the_case_permission_case_reviews_are_counts_only(client, request, case_reviews, reader):
    client.force_login(request.getfixturevalue(reader))
    response = client.get(detail(1))
    page = source_of(response)
    assert "C-70" not in page and "C-6999" not in page
    assert "不参加" not in page
    assert text_of(definition_of(response, "値")) == "33.3 ％"
    assert (
        text_of(select_one(response, ".drill-down-summary"))
        == "本人が参加した会議 1 件／開催 3 件（割合 33.3 ％）"
    )
    # Counts and dates: the days meetings were held, never who took part in which.
    days = rows_of(select_one(response, "table.case-review-dates"))[1:]
    assert days == [
        ["令和7年（2025年）6月10日", "1 件"],
        ["令和7年（2025年）6月24日", "1 件"],
        ["令和7年（2025年）9月2日", "1 件"],
    ]
    assert select(response, "table.case-reviews") == []


def test_the_case_permission_sees_each_case_review(client, case_handler, case_reviews):
    client.force_login(case_handler)
    response = client.get(detail(1))
    rows = rows_of(select_one(response, "table.case-reviews"))[1:]
    assert rows == [
        ["令和7年（2025年）6月10日", "C-7001", "参加"],
        ["令和7年（2025年）6月24日", "C-7002", "不参加"],
        ["令和7年（2025年）9月2日", "C-7003", "不参加"],
    ]
    assert text_of(definition_of(response, "内訳の合計（システムの記録から算出）")) == "33.3 ％"


def test_no_case_review_is_no_data_not_zero_percent(viewer_client):
    response = viewer_client.get(detail(1))
    assert text_of(definition_of(response, "値")) == "データなし"
    assert "この年度の個別ケース検討会議の記録はありません。" in text_of(response)


# --- the year, and who may open the pages ------------------------------------------------------------


def test_the_year_is_chosen_among_the_plans_years(viewer_client):
    response = viewer_client.get(detail(5, year=2026))
    assert text_of(select(response, "h2")[0]) == "令和8年度（2026年度）の値"
    assert select_one(response, "label[for=id_year]") is not None
    assert "令和8年度（2026年度）は年度途中です。" in text_of(response)
    options = [text_of(option) for option in select(response, "#id_year option")]
    assert options == PLAN_YEARS[:3]  # the years begun
    # Outside the plan, not begun, or not a year: the default (reporting) year, not an error.
    for bad in ("2019", "2027", "abc", "99999999999999999999"):
        response = viewer_client.get(f"{reverse('indicators:detail', args=[5])}?year={bad}")
        assert text_of(select(response, "h2")[0]) == "令和7年度（2025年度）の値"


def test_an_unknown_indicator_is_not_found(viewer_client):
    assert viewer_client.get(reverse("indicators:detail", args=[7])).status_code == 404


@pytest.mark.parametrize("address", [OVERVIEW, "/indicators/2/"])
def test_anonymous_users_go_to_login(client, address):
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("address", [OVERVIEW, "/indicators/2/"])
def test_an_account_without_a_role_is_refused(client, no_role, address):
    client.force_login(no_role)
    assert client.get(address).status_code == 403


@pytest.mark.parametrize(
    "reader", ["viewer", "bureau_staff", "municipal_officer", "other_officer", "plan_admin", "case_handler"]
)
def test_every_role_reads_both_pages(client, request, reader):
    client.force_login(request.getfixturevalue(reader))
    assert client.get(OVERVIEW).status_code == 200
    assert client.get(detail(4)).status_code == 200


def test_the_menu_has_one_entry_for_the_indicators(viewer_client):
    response = viewer_client.get(reverse("home"))
    links = [a for a in select(response, "nav.site-nav a") if a.get("href") == OVERVIEW]
    assert [text_of(a) for a in links] == ["指標"]
    current = select(viewer_client.get(OVERVIEW), "nav.site-nav a[aria-current]")
    assert [text_of(a) for a in current] == ["指標"]


@pytest.mark.parametrize("number", [1, 2, 4, 5])
def test_a_drill_down_runs_the_same_queries_whatever_its_rows(
    client, case_handler, number, django_assert_max_num_queries
):
    client.force_login(case_handler)
    hidden = metro_partner(name="協働団体0")
    provider_role_for(hidden)
    CaseReviewFactory(date=datetime.date(2025, 6, 1))
    accept(2025, "新宿区", collaboration_organizations=[hidden])
    few = count_queries(client, detail(number), django_assert_max_num_queries, 40)
    for index in range(1, 4):
        organization = metro_partner(name=f"協働団体{index}")
        provider_role_for(organization)
        CaseReviewFactory(date=datetime.date(2025, 7, index))
    accept(2025, "港区", collaboration_organizations=[organization])
    assert count_queries(client, detail(number), django_assert_max_num_queries, 40) == few
