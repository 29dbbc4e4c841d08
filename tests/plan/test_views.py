import pytest
from django.urls import reverse

from plan.models import Area, Goal, Listing, Measure, Plan
from tests.html import field_errors, link_targets, select, select_one, text_of, texts_of


def add_measures(count):
    """A goal of `count` extra measures, each also re-listed, to grow the pages' data."""
    plan = Plan.objects.current()
    goal = Goal.objects.create(plan=plan, number=90, title="試験用の基本目標")
    area = Area.objects.create(goal=goal, position=1, letter="ア", title="試験用の施策の方向")
    other = Area.objects.create(goal=goal, position=2, letter="イ", title="試験用の再掲先")
    for index in range(count):
        measure = Measure.objects.create(plan=plan, number=500 + index, heading="試験用", content="試験用の内容")
        Listing.objects.create(measure=measure, area=area, position=index + 1)
        Listing.objects.create(measure=measure, area=other, position=index + 1, relisted=True)


class TestPlanTree:
    def test_it_shows_goals_areas_and_measures_in_plan_order(self, client, viewer):
        client.force_login(viewer)
        response = client.get(reverse("plan:tree"))
        goals = [heading.split()[0] for heading in texts_of(response, "section.goal > h2")]
        assert goals == [f"基本目標{number}" for number in range(1, 6)]
        assert "ア 相談体制の整備等による対象者の早期の把握" in texts_of(select(response, "section.goal")[0], "h3")[0]
        assert "女性相談支援センターのDX" in text_of(response)

    def test_it_counts_measures_and_relistings_per_goal(self, client, viewer):
        client.force_login(viewer)
        contents = texts_of(client.get(reverse("plan:tree")), "nav.toc li")
        for goal in Goal.objects.all():
            originals = Listing.objects.filter(area__goal=goal, relisted=False).count()
            relisted = Listing.objects.filter(area__goal=goal, relisted=True).count()
            assert f"{goal.label}（施策 {originals}・再掲 {relisted}）" in contents

    def test_relistings_are_marked_and_link_to_the_original(self, client, viewer):
        client.force_login(viewer)
        response = client.get(reverse("plan:tree"))
        assert texts_of(response, "tr.relisted .badge-relisted") == ["再掲"] * 18
        url = reverse("plan:measure_detail", args=[6])
        relisted_links = {text_of(link): link.get("href") for link in select(response, "a.relisted-link")}
        assert relisted_links["（No.6 の再掲）"] == url
        assert "一時保護委託先の確保" in text_of(response)  # No. 6's own heading where it is re-listed

    def test_it_runs_the_same_queries_whatever_the_size(self, client, viewer, django_assert_max_num_queries):
        client.force_login(viewer)
        client.get(reverse("plan:tree"))  # warm the session
        with django_assert_max_num_queries(10) as small:
            client.get(reverse("plan:tree"))
        add_measures(60)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(reverse("plan:tree"))
        assert "試験用の再掲先" in text_of(response)


class TestMeasureDetail:
    def test_it_shows_number_heading_content_goal_and_area(self, client, municipal_officer):
        client.force_login(municipal_officer)
        response = client.get(reverse("plan:measure_detail", args=[86]))
        assert text_of(select_one(response, "h1")) == "No.86 女性相談支援センターのDX"
        page = text_of(response)
        assert "相談保護管理システムを再構築し" in page
        assert "基本目標5" in page
        assert "ア 女性相談支援センターの体制強化・機能強化" in page

    def test_it_lists_every_relisting_with_the_wording_there(self, client, viewer):
        client.force_login(viewer)
        page = text_of(client.get(reverse("plan:measure_detail", args=[6])))
        assert "基本目標3 ウ 母子同一の場所での一時保護" in page
        assert "一時保護委託先の確保" in page
        assert "再掲先独自の事項" in page
        assert "中学生以上の男子についても" in page

    def test_a_relisting_with_the_same_wording_says_so(self, client, viewer):
        client.force_login(viewer)
        page = text_of(client.get(reverse("plan:measure_detail", args=[14])))
        assert "基本目標1 オ" in page
        assert "元の施策と同じ事項・文言で再掲されています。" in page

    def test_an_inferred_heading_is_flagged(self, client, viewer):
        client.force_login(viewer)
        page = text_of(client.get(reverse("plan:measure_detail", args=[85])))
        assert "女性相談支援センターのDX" in page
        assert "推定しています" in page

    def test_an_unknown_number_is_404(self, client, viewer):
        client.force_login(viewer)
        assert client.get(reverse("plan:measure_detail", args=[121])).status_code == 404


class TestSearch:
    def search(self, client, text):
        return client.get(reverse("plan:search"), {"q": text})

    def found_numbers(self, response):
        return [int(text_of(link)) for link in select(response, "td.col-number > a")]

    def test_toyoko_finds_measures_76_to_78(self, client, viewer):
        client.force_login(viewer)
        assert self.found_numbers(self.search(client, "トー横")) == [76, 77, 78]

    def test_words_split_by_a_line_wrap_in_the_source_are_found(self, client, viewer):
        client.force_login(viewer)
        assert self.found_numbers(self.search(client, "ワンストップ支援事業の実施")) == [15]

    def test_all_words_must_match(self, client, viewer):
        client.force_login(viewer)
        found = self.found_numbers(self.search(client, "一時保護　妊婦"))
        assert found and all(
            "妊婦" in (m.heading + m.content) and "一時保護" in (m.heading + m.content)
            for m in Measure.objects.filter(number__in=found)
        )

    def test_a_measure_number_goes_straight_to_the_measure(self, client, viewer):
        client.force_login(viewer)
        response = self.search(client, "86")
        assert response.status_code == 302
        assert response["Location"] == reverse("plan:measure_detail", args=[86])

    def test_nothing_found_says_so(self, client, viewer):
        client.force_login(viewer)
        assert "該当する施策はありません。" in text_of(self.search(client, "存在しない語句xyz"))

    def test_too_long_a_query_gets_a_japanese_message(self, client, viewer):
        client.force_login(viewer)
        errors = texts_of(self.search(client, "あ" * 101), "form p.error")
        assert any("この値は 100 文字以下でなければなりません" in error for error in errors)

    def test_it_runs_the_same_queries_whatever_the_size(self, client, viewer, django_assert_max_num_queries):
        client.force_login(viewer)
        self.search(client, "試験用")
        with django_assert_max_num_queries(10) as small:
            self.search(client, "内容")
        add_measures(40)
        with django_assert_max_num_queries(len(small.captured_queries)):
            self.search(client, "内容")


class TestInferredHeadings:
    def test_plan_admin_sees_every_inferred_heading(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.get(reverse("plan:inferred_headings"))
        inferred = Measure.objects.filter(heading_inferred=True)
        assert inferred.count() > 0
        for measure in inferred:
            assert reverse("plan:inferred_heading_review", args=[measure.number]) in link_targets(response)
        assert texts_of(response, "td > strong") == ["未確認"] * inferred.count()

    def test_plan_admin_confirms_a_heading_and_history_records_it(self, client, plan_admin):
        client.force_login(plan_admin)
        url = reverse("plan:inferred_heading_review", args=[85])
        # A space typed between Japanese words is dropped, as in the loaded plan text.
        response = client.post(url, {"heading": "女性相談支援センターの DX化"})
        assert response.status_code == 302
        measure = Measure.objects.get(number=85)
        assert measure.heading == "女性相談支援センターのDX化"
        assert measure.heading_reviewed_by == plan_admin
        last = measure.history.latest()
        assert last.history_user == plan_admin
        assert last.heading == "女性相談支援センターのDX化"
        assert "確認済" in text_of(client.get(reverse("plan:inferred_headings")))

    def test_an_empty_heading_is_refused_next_to_the_field_and_nothing_is_saved(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("plan:inferred_heading_review", args=[85]), {"heading": "  "})
        assert response.status_code == 200
        assert field_errors(response, "heading") == ["このフィールドは必須です。"]
        measure = Measure.objects.get(number=85)
        assert measure.heading == "女性相談支援センターのDX"
        assert measure.heading_reviewed_at is None

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "municipal_officer", "case_handler"])
    def test_other_roles_cannot_change_a_heading(self, client, db, role, request):
        client.force_login(request.getfixturevalue(role))
        response = client.post(reverse("plan:inferred_heading_review", args=[85]), {"heading": "改ざん"})
        assert response.status_code == 403
        assert Measure.objects.get(number=85).heading == "女性相談支援センターのDX"

    def test_anonymous_post_goes_to_login_and_changes_nothing(self, client, db):
        response = client.post(reverse("plan:inferred_heading_review", args=[85]), {"heading": "改ざん"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert Measure.objects.get(number=85).heading == "女性相談支援センターのDX"

    def test_a_heading_written_in_the_source_is_not_offered_for_review(self, client, plan_admin):
        client.force_login(plan_admin)
        assert client.get(reverse("plan:inferred_heading_review", args=[86])).status_code == 404


class TestHeader:
    def test_a_municipal_officer_sees_their_municipality(self, client, municipal_officer):
        client.force_login(municipal_officer)
        assert "新宿区（区市町村担当者）" in text_of(client.get(reverse("home")))

    def test_bureau_staff_see_their_role_and_no_admin_link(self, client, bureau_staff):
        client.force_login(bureau_staff)
        response = client.get(reverse("home"))
        assert "所管局職員" in text_of(response)
        assert reverse("admin:index") not in link_targets(response)

    def test_plan_admin_is_told_how_many_headings_await_review(self, client, plan_admin):
        client.force_login(plan_admin)
        count = Measure.objects.filter(heading_inferred=True).count()
        assert f"推定した事項が {count} 件 未確認です。" in text_of(client.get(reverse("home")))

    def test_a_user_without_a_role_sees_nothing(self, client, django_user_model):
        user = django_user_model.objects.create_user("norole", password="x-long-password")
        client.force_login(user)
        assert client.get(reverse("plan:tree")).status_code == 403
