"""The progress list for a fiscal year: order, re-listings, filters, counts, and its queries."""

import pytest
from django.urls import reverse

from plan.models import Area, Department, Goal, Listing, Measure, MeasureProgress
from plan.progress.services import progress_update, progress_year_start
from tests.html import definition_of, link_targets, row_of, rows_of, select, select_one, text_of, texts_of
from tests.queries import count_queries

GOOD = {"assessment": "on_track", "direction": "continue", "achievements": "実施した"}


def record(number, year=2025):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=year)


def assess(user, number, assessment, year=2025):
    current = record(number, year)
    progress_update(progress=current, expected_version=current.version, values=GOOD | {"assessment": assessment}, user=user)


def listed(client, **params):
    response = client.get(reverse("plan:progress_list"), {"year": 2025, **params})
    assert response.status_code == 200
    return response


def row_numbers(page):
    """The measure numbers of the list's rows, in order; re-listings as "6*"."""
    return [
        text_of(select(row, "td.col-number > a")[0]) + ("*" if "relisted" in row.classes else "")
        for row in select(page, "table.progress-table > tbody > tr")
    ]


class TestTheList:
    def test_all_measures_in_plan_order_with_relistings_where_the_plan_lists_them(self, client, viewer, year_2025):
        client.force_login(viewer)
        rows = row_numbers(listed(client))
        assert len(rows) == 138 and len([r for r in rows if not r.endswith("*")]) == 120
        assert [r for r in rows if not r.endswith("*")] == [str(n) for n in range(1, 121)]
        assert rows.index("6*") > rows.index("67")  # No. 6 re-listed under goal 3 ウ, after No. 67
        assert rows[rows.index("79") + 1] == "47*"

    def test_goals_and_areas_head_their_rows(self, client, viewer, year_2025):
        client.force_login(viewer)
        page = listed(client)
        goals = select(page, "section.goal > h3")
        assert [heading.get("id") for heading in goals] == [f"progress-goal-{n}" for n in range(1, 6)]
        assert [text.split()[0] for text in texts_of(page, "section.goal > h3")] == [f"基本目標{n}" for n in range(1, 6)]
        assert "ウ 母子同一の場所での一時保護" in texts_of(select_one(page, 'section[aria-labelledby="progress-goal-3"]'), "h4")

    def test_a_relisting_shows_the_originals_record_and_points_to_it(self, client, viewer, plan_admin, year_2025):
        assess(plan_admin, 6, "delayed")
        client.force_login(viewer)
        page = listed(client, goal=3)
        relisted_row = select(page, "tr.relisted")[0]
        assert select(relisted_row, ".badge-relisted") and "遅れ" in text_of(relisted_row)
        assert link_targets(relisted_row, "No.6 の記録（再掲元）") == ["/plan/measures/6/#progress"]

    def test_the_reporting_year_is_the_default_and_a_year_not_started_says_so(self, client, viewer, plan, year_2025):
        plan.reporting_fiscal_year = 2025
        plan.save()
        client.force_login(viewer)
        page = client.get(reverse("plan:progress_list"))
        assert "令和7年度（2025年度）" in text_of(page) and len(row_numbers(page)) == 138
        page = client.get(reverse("plan:progress_list"), {"year": 2026})
        assert "令和8年度（2026年度）の進捗の記録はまだありません" in text_of(page)
        assert text_of(page).count("記録なし") == 138

    def test_not_yet_updated_is_shown_until_someone_records_the_year(self, client, viewer, plan_admin, year_2025):
        assess(plan_admin, 1, "on_track")
        client.force_login(viewer)
        page = listed(client, goal=1)
        row_1, row_2 = select_one(page, "tr#measure-1"), select_one(page, "tr#measure-2")
        assert "未更新" not in text_of(row_1) and "未更新" in text_of(row_2)


class TestFilters:
    def test_by_goal_area_department_assessment_and_word(self, client, viewer, plan_admin, year_2025):
        assess(plan_admin, 86, "delayed")
        assess(plan_admin, 111, "completed")
        client.force_login(viewer)
        assert set(row_numbers(listed(client, goal=2))) == {str(n) for n in range(53, 63)}
        area = Area.objects.get(goal__number=4, letter="ウ")
        assert row_numbers(listed(client, area=area.pk)) == ["76", "77", "78"]
        police = Department.objects.get(name="警視庁")
        assert row_numbers(listed(client, department=police.pk)) == ["112", "113", "119", "120"]
        assert row_numbers(listed(client, assessment="delayed")) == ["86"]
        assert row_numbers(listed(client, assessment="completed")) == ["111"]
        assert "86" not in row_numbers(listed(client, not_updated="on"))
        assert len(row_numbers(listed(client, not_updated="on"))) == 138 - 2
        assert row_numbers(listed(client, q="トー横")) == ["76", "77", "78"]

    def test_a_bureau_department_includes_its_divisions(self, client, viewer, plan_admin, year_2025):
        from plan.progress.services import responsibility_confirm
        from tests.factories import welfare_division

        responsibility_confirm(responsibility=record(86).measure.responsibility, departments=[welfare_division()], user=plan_admin)
        client.force_login(viewer)
        welfare = Department.objects.get(name="福祉局")
        assert "86" in row_numbers(listed(client, department=welfare.pk))
        # A division takes its own measure and its bureau's measures recorded at bureau level only
        # (marked 局単位); another division of the bureau no longer takes No. 86.
        page = listed(client, department=welfare_division().pk)
        assert "86" in row_numbers(page) and "111" not in row_numbers(page)
        assert "局単位" not in text_of(select_one(page, "tr#measure-86")) and "局単位" in text_of(select_one(page, "tr#measure-1"))
        other = Department.objects.create(name="生活福祉部 計画課", parent=welfare, level="division", position=9)
        numbers = row_numbers(listed(client, department=other.pk))
        assert "86" not in numbers and "1" in numbers

    def test_one_click_to_my_departments_measures_not_yet_updated(self, client, bureau_staff, plan_admin, year_2025):
        assess(plan_admin, 1, "on_track")
        client.force_login(bureau_staff)
        page = listed(client)
        [link] = link_targets(page, "自分の所管の未更新の施策")
        assert "mine=1" in link and "not_updated=1" in link
        [nav_link] = link_targets(select_one(page, "nav.site-nav"), "自分の所管の未更新")
        numbers = {r.rstrip("*") for r in row_numbers(client.get(link))}
        assert "1" not in numbers and "86" in numbers and "111" not in numbers and "17" not in numbers
        assert numbers == {r.rstrip("*") for r in row_numbers(client.get(nav_link))}

    def test_the_nav_link_is_for_bureau_staff_only(self, client, viewer, year_2025):
        client.force_login(viewer)
        assert "自分の所管の未更新" not in text_of(listed(client))


class TestCounts:
    def test_counts_per_assessment_for_each_goal_count_each_measure_once(self, client, viewer, plan_admin, year_2025):
        for number, assessment in [(1, "on_track"), (2, "on_track"), (5, "delayed"), (6, "completed"), (86, "delayed")]:
            assess(plan_admin, number, assessment)
        client.force_login(viewer)
        page = listed(client)
        table = select_one(page, "table.counts-table")
        assert rows_of(table)[0] == ["基本目標", "順調", "概ね順調", "遅れ", "未着手", "完了", "未評価", "未更新", "施策数"]
        # No. 6 is re-listed under goal 3: counted once, under goal 1.
        assert row_of(table, "基本目標1")[1:] == ["2", "0", "1", "0", "1", "48", "48", "52"]
        assert row_of(table, "基本目標5")[1:4] == ["0", "0", "1"]


def add_measures(plan, count, years):
    """More measures (each re-listed once) with records in the given years, to grow the data."""
    goal = Goal.objects.create(plan=plan, number=90, title="試験用の基本目標")
    area = Area.objects.create(goal=goal, position=1, letter="ア", title="試験用の施策の方向")
    other = Area.objects.create(goal=goal, position=2, letter="イ", title="試験用の再掲先")
    welfare = Department.objects.get(name="福祉局")
    for index in range(count):
        measure = Measure.objects.create(plan=plan, number=500 + index, heading="試験用", content="試験用の内容")
        Listing.objects.create(measure=measure, area=area, position=index + 1)
        Listing.objects.create(measure=measure, area=other, position=index + 1, relisted=True)
        for year in years:
            progress = MeasureProgress.objects.create(measure=measure, fiscal_year=year)
            progress.departments.add(welfare)


class TestQueries:
    def queries_for(self, client, django_assert_max_num_queries, limit, **params):
        with django_assert_max_num_queries(limit) as captured:
            listed(client, **params)
        return len(captured.captured_queries)

    @pytest.mark.parametrize("params", [{}, {"mine": "on", "not_updated": "on", "q": "支援"}])
    def test_the_same_number_of_queries_with_one_or_five_years_and_more_measures(
        self, client, plan, bureau_staff, plan_admin, django_assert_max_num_queries, params
    ):
        progress_year_start(plan=plan, fiscal_year=2025, user=None)
        assess(plan_admin, 86, "on_track")
        client.force_login(bureau_staff)
        listed(client, **params)  # warm the session
        one_year = self.queries_for(client, django_assert_max_num_queries, 25, **params)
        for year in (2024, 2026, 2027, 2028):
            progress_year_start(plan=plan, fiscal_year=year, user=None)
            assess(plan_admin, 86, "delayed", year=year)
        assert self.queries_for(client, django_assert_max_num_queries, one_year, **params) == one_year
        add_measures(plan, 40, years=[2024, 2025, 2026])
        assert self.queries_for(client, django_assert_max_num_queries, one_year, **params) == one_year
        if not params:
            assert "試験用の再掲先" in text_of(listed(client))  # the added measures are really on the page


LONG = (
    "女性相談支援センターにおいて、SNS相談の受付時間を拡大し、夜間の相談にも対応できる体制を整えた。"
    "あわせて区市町村の女性相談支援員との連携会議を年4回開催し、支援の引継ぎの手順を共有した。"
    "年度末には民間団体との協働による巡回相談を新たに2地域で開始した（最後の一文）。"
)


def write_achievements(user, number, text, year=2025, **extra):
    current = record(number, year)
    values = GOOD | {"achievements": text, **extra}
    progress_update(progress=current, expected_version=current.version, values=values, user=user)


class TestFullAchievements:
    def test_a_long_achievement_is_cut_in_the_list_and_a_viewer_reads_it_in_full(self, client, viewer, plan_admin, year_2025):
        assert len(LONG) > 80
        write_achievements(plan_admin, 86, LONG)
        client.force_login(viewer)
        row = select_one(listed(client), "tr#measure-86")
        assert LONG[:40] in text_of(row) and "最後の一文" not in text_of(row)
        [link] = link_targets(row, "全文（No.86 の令和7年度の実績）")
        assert link == "/plan/measures/86/#progress-2025"
        page = client.get(link)
        assert page.status_code == 200
        card = select_one(page, "#progress-2025")
        assert LONG in text_of(definition_of(card, "実績"))

    def test_a_short_achievement_is_shown_whole_without_a_link(self, client, viewer, plan_admin, year_2025):
        write_achievements(plan_admin, 86, "相談窓口を周知した。")
        client.force_login(viewer)
        row = select_one(listed(client), "tr#measure-86")
        assert "相談窓口を周知した。" in text_of(row) and not link_targets(row, "全文（No.86 の令和7年度の実績）")

    def test_the_measure_page_shows_every_years_full_texts(self, client, viewer, plan, plan_admin, year_2025):
        progress_year_start(plan=plan, fiscal_year=2024, user=None)
        write_achievements(plan_admin, 86, LONG.replace("最後の一文", "令和6年度の最後"), year=2024)
        write_achievements(plan_admin, 86, LONG, issues=LONG + "課題", next_steps=LONG + "今後")
        client.force_login(viewer)
        page = client.get(reverse("plan:measure_detail", args=[86]))
        previous, current = select_one(page, "#progress-2024"), select_one(page, "#progress-2025")
        assert "令和6年度の最後" in text_of(definition_of(previous, "実績"))
        assert LONG in text_of(definition_of(current, "実績"))
        assert LONG + "課題" in text_of(definition_of(current, "課題"))
        assert LONG + "今後" in text_of(definition_of(current, "今後の取組"))

    def test_the_list_runs_the_same_queries_with_one_or_many_long_achievements(
        self, client, viewer, plan_admin, django_assert_max_num_queries, year_2025
    ):
        write_achievements(plan_admin, 86, LONG)
        client.force_login(viewer)
        address = reverse("plan:progress_list") + "?year=2025"
        client.get(address)  # warm the session
        one = count_queries(client, address, django_assert_max_num_queries, 25)
        for number in range(1, 41):
            write_achievements(plan_admin, number, LONG)
        assert count_queries(client, address, django_assert_max_num_queries, one) == one
        # Each measure's row once: a re-listing links to the original's record instead.
        assert len(select(listed(client), "a.fulltext-link")) == 41
