"""Search finds what Japanese users type (issue 15, item 2): full-width letters and digits,
half-width katakana and either case find the same text, in every search and in the comparison of
organisation names, through one function (plan.common.text.search_key / fold)."""

import pytest
from django.urls import reverse

from meetings.names import names_are_similar, organization_name_key
from plan.common.text import fold, measure_number_in, search_key, search_words
from plan.models import Measure
from tests.html import select, text_of, texts_of
from tests.meetings.factories import FollowUpFactory, MeetingFactory, OrganizationFactory, provider


class TestTheOneFunction:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("ＤＶ", "DV"),
            ("dv", "DV"),
            ("ﾄｰ横", "トー横"),
            ("ト一横", "トー横"),  # the PDF's kanji 一 for the long-vowel mark
            ("８６", "86"),
            ("ＳＮＳ", "sns"),
            ("ﾊﾟｯﾌﾟｽ", "パップス"),
        ],
    )
    def test_typed_and_stored_forms_compare_equal(self, typed, stored):
        assert search_key(typed) == search_key(stored)
        assert fold(typed) in fold(f"…{stored}…") or typed == "ト一横"

    def test_words_are_split_before_normalising(self):
        assert search_words("一時保護　妊婦") == ["一時保護", "妊婦"]
        assert search_words("  ") == []

    @pytest.mark.parametrize("typed", ["86", "８６", "「８６」", "No. 86", "No.86", "ＮＯ．８６", "#86", "(86)"])
    def test_a_measure_number_is_read_however_it_is_typed(self, typed):
        assert measure_number_in(typed) == 86

    @pytest.mark.parametrize("typed", ["DV", "86 支援", "一時保護", ""])
    def test_words_are_not_a_number(self, typed):
        assert measure_number_in(typed) is None


@pytest.mark.django_db
class TestPlanSearch:
    def found(self, client, text):
        response = client.get(reverse("plan:search"), {"q": text})
        return response, [int(text_of(link)) for link in select(response, "td.col-number > a")]

    def test_full_width_dv_finds_what_dv_finds(self, client, viewer):
        client.force_login(viewer)
        _, latin = self.found(client, "DV")
        _, wide = self.found(client, "ＤＶ")
        _, lower = self.found(client, "dv")
        expected = sorted(m.number for m in Measure.objects.all() if "DV" in m.heading + m.content)
        assert latin == wide == lower == expected
        assert expected  # the plan speaks of DV

    def test_half_width_katakana_finds_toyoko(self, client, viewer):
        client.force_login(viewer)
        assert self.found(client, "ﾄｰ横")[1] == [76, 77, 78]

    @pytest.mark.parametrize("typed", ["「８６」", "８６", "No. 86"])
    def test_a_full_width_number_goes_to_the_measure(self, client, viewer, typed):
        client.force_login(viewer)
        response, _ = self.found(client, typed)
        assert response.status_code == 302
        assert response["Location"] == reverse("plan:measure_detail", args=[86])

    def test_the_progress_list_filter_uses_the_same_search(self, client, viewer):
        client.force_login(viewer)
        response = client.get(reverse("plan:progress_list"), {"q": "ﾄｰ横"})
        page = text_of(response)
        for number in (76, 77, 78):
            assert Measure.objects.get(number=number).heading[:8] in page
        assert Measure.objects.get(number=1).heading not in page


@pytest.mark.django_db
class TestMeetingSearch:
    def test_full_width_and_half_width_find_the_meeting(self, client, plan_admin):
        MeetingFactory(title="デートDV防止に関する検討", date="2025-06-10")
        MeetingFactory(title="関係のない会議", date="2025-06-11")
        client.force_login(plan_admin)
        for typed in ("ＤＶ", "dv", "ﾃﾞｰﾄ"):
            response = client.get(reverse("meetings:meeting_list"), {"q": typed, "year": 2025})
            titles = texts_of(response, "table.meetings td a")
            assert titles == ["デートDV防止に関する検討"], typed

    def test_follow_ups_are_searched_the_same_way(self, client, plan_admin):
        follow_up = FollowUpFactory(description="ＳＮＳ相談の周知", meeting__date="2025-07-01")
        client.force_login(plan_admin)
        response = client.get(reverse("meetings:meeting_list"), {"q": "sns", "year": 2025})
        assert texts_of(response, "table.meetings td a") == [follow_up.meeting.title]


@pytest.mark.django_db
class TestOrganizationSearch:
    def names(self, client, typed):
        response = client.get(reverse("meetings:organization_list"), {"q": typed})
        return texts_of(response, "table.organizations td a")

    def test_width_and_case_do_not_matter(self, client, viewer):
        OrganizationFactory(name="NPO法人 虹色サポートSAKURA（デモ）")
        OrganizationFactory(name="一般社団法人 ひまわり相談室（デモ）")
        client.force_login(viewer)
        for typed in ("ＳＡＫＵＲＡ", "sakura", "ｻﾎﾟｰﾄ", "虹色"):
            assert self.names(client, typed) == ["NPO法人 虹色サポートSAKURA（デモ）"], typed

    def test_a_provider_is_still_not_found_by_a_viewer(self, client, viewer, plan_admin):
        provider(name="シェルターすずらん")
        client.force_login(viewer)
        assert self.names(client, "ｼｪﾙﾀｰ") == []
        client.force_login(plan_admin)
        assert self.names(client, "ｼｪﾙﾀｰ") == ["シェルターすずらん"]


class TestNameComparison:
    def test_width_case_and_legal_form_do_not_make_two_names(self):
        assert organization_name_key("ＮＰＯ法人　ぱっぷす") == organization_name_key("npo法人ぱっぷす")
        assert organization_name_key("特定非営利活動法人 Ｓａｋｕｒａ") == "sakura"
        assert names_are_similar("ﾊﾟｯﾌﾟｽ相談室", "パップス相談室")
        assert not names_are_similar("ひまわり相談室", "すずらんの家")
