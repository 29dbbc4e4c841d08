"""Counts of meetings per body and tier per fiscal year, on the page and in the download — the
same for everyone, including users who may not see case details."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Meeting
from meetings.reports import meeting_count_rows
from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import read_xlsx_rows
from tests.html import link_targets, row_of, select_one, source_of
from tests.meetings.factories import MeetingFactory, case_review, committee_meeting, tier

FY2024, FY2025 = FiscalYear(2024), FiscalYear(2025)


@pytest.fixture
def meetings(db):
    # FY2024: committee ×2; FY2025: committee ×1 held + 1 planned, representatives ×1, practitioners ×3.
    committee_meeting(date=datetime.date(2024, 7, 30))
    committee_meeting(date=datetime.date(2025, 1, 31))
    committee_meeting(date=datetime.date(2025, 7, 30))
    committee_meeting(date=datetime.date(2026, 2, 5), status=Meeting.Status.PLANNED)
    MeetingFactory(tier=tier("representatives"), date=datetime.date(2025, 11, 10))
    for day in (datetime.date(2025, 4, 1), datetime.date(2025, 9, 1), datetime.date(2026, 3, 31)):
        MeetingFactory(tier=tier("practitioners"), date=day)
    MeetingFactory(tier=tier("practitioners"), date=datetime.date(2026, 4, 1))  # FY2026
    # Case reviews: FY2024 ×1 (she took part); FY2025 ×3 (two with her).
    case_review(date=datetime.date(2025, 3, 15))
    case_review(date=datetime.date(2025, 5, 1))
    case_review(date=datetime.date(2025, 8, 1))
    case_review(date=datetime.date(2025, 12, 1), woman_attended=False, absence_reason="health")


EXPECTED = {
    "計画推進委員会": {2024: (2, 0), 2025: (1, 1)},
    "支援調整会議 代表者会議（課長会）": {2024: (0, 0), 2025: (1, 0)},
    "支援調整会議 実務者会議（担当者会）": {2024: (0, 0), 2025: (3, 0)},
    "支援調整会議 個別ケース検討会議（ケース検討会）": {2024: (1, 0), 2025: (3, 0)},
    "うち本人が参加（指標①）": {2024: (1, 0), 2025: (2, 0)},
}


def test_the_rows_count_each_body_and_tier_per_fiscal_year(meetings, viewer):
    rows = meeting_count_rows([FY2024, FY2025], user=viewer)
    got = {
        row.label.strip("　"): dict(zip([2024, 2025], row.cells([FY2024, FY2025]), strict=True))
        for row in rows
    }
    assert got == EXPECTED


@pytest.mark.parametrize(
    "role", ["municipal_officer", "viewer", "bureau_staff", "plan_admin", "case_handler"]
)
def test_everyone_sees_the_same_counts_on_the_page(client, meetings, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("meetings:meeting_counts"))
    table = select_one(response, "table.counts-table")
    assert row_of(table, "支援調整会議 個別ケース検討会議（ケース検討会）")[1:3] == ["1", "3"]  # 令和6年度, 令和7年度
    assert row_of(table, "計画推進委員会")[2] == "1 （予定 1）"  # 令和7年度: one held, one planned
    assert "C-" not in source_of(response)  # never a case code


def test_only_holders_get_a_link_to_the_records(client, meetings, plan_admin, case_handler):
    link = reverse("meetings:case_review_list")
    client.force_login(plan_admin)
    assert link not in link_targets(client.get(reverse("meetings:meeting_counts")))
    client.force_login(case_handler)
    assert link in link_targets(client.get(reverse("meetings:meeting_counts")))


def test_the_download_has_the_same_counts(client, meetings, municipal_officer):
    client.force_login(municipal_officer)
    response = client.get(reverse("meetings:meeting_counts_download"))
    assert response.status_code == 200
    rows = [values for _, values in read_xlsx_rows(response.content)]
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    fy2024, fy2025 = header.index("令和6年度（2024年度） 開催"), header.index("令和7年度（2025年度） 開催")
    for label, counts in EXPECTED.items():
        assert (body[label][fy2024], body[label][fy2025]) == (counts[2024][0], counts[2025][0]), label
    assert body["計画推進委員会"][header.index("令和7年度（2025年度） 予定")] == 1
