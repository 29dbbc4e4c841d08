"""A temporary-protection provider's name typed into free text — minutes, decisions, titles, agenda
items, follow-ups, notes — is masked like the structured fields for everyone but the secretariat and
case-permission holders: on every page, in downloads, in search and in the admin; and whoever types
one is warned after saving."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Meeting, Organization
from meetings.names import NameMatcher
from meetings.provider_names import ProviderNames, mask_provider_names
from meetings.reports import case_review_sheet
from meetings.services import organization_merge
from plan.models import Measure
from tests.factories import UserFactory
from tests.html import form_value, source_of, text_of
from tests.meetings.factories import (
    FollowUpFactory,
    MeetingFactory,
    OrganizationFactory,
    case_review,
    committee,
    provider,
)
from tests.meetings.helpers import meeting_post

MASK = "一時保護委託先（非公開）"
SECRET = "シェルターさくら"
FORMER = "旧さくらハウス"  # the provider's name before it was renamed
MERGED = "さくらの家本部"  # a duplicate record merged into the provider
# Every way the names are typed below: none may reach a reader who may not see them.
TYPED = [SECRET, "ｼｪﾙﾀｰ", "シェルター さくら", "シェルター　さくら", FORMER, "旧さくら ハウス", "さくらの家"]
CANNOT_SEE = ["viewer", "bureau_staff", "municipal_officer"]
CAN_SEE = ["plan_admin", "case_handler"]


def assert_masked(response, where=""):
    """No spelling of the names anywhere in the page (attributes included); the mask shown instead."""
    for spelling in TYPED:
        assert spelling not in source_of(response), (where, spelling)
    assert MASK in text_of(response), where


@pytest.fixture
def shelter(db):
    """A provider renamed from FORMER to SECRET, into which a duplicate record MERGED was folded."""
    shelter = provider(FORMER)
    shelter.name = SECRET
    shelter.save()
    duplicate = OrganizationFactory(name=MERGED)
    organization_merge(keep=shelter, remove=duplicate, user=UserFactory(username="merger"))
    return shelter


@pytest.fixture
def meeting(shelter):
    """An open meeting (municipal officers read its content too) that names the provider throughout."""
    meeting = MeetingFactory(
        title=f"{SECRET}との意見交換",
        openness=Meeting.Openness.OPEN,
        place="シェルター さくら 会議室",
        minutes=f"ｼｪﾙﾀｰ　さくら（{FORMER}）から受入れ状況の報告があった。",
        decisions="さくらの家 本部と連携して退所支援を進める。",
    )
    item = AgendaItem.objects.create(meeting=meeting, title="シェルター　さくらの受入れ状況")
    item.measures.add(Measure.objects.get(number=9))
    follow_up = FollowUpFactory(
        meeting=meeting, description=f"{SECRET}に事例を依頼する", owner="旧さくら ハウス"
    )
    follow_up.measures.add(Measure.objects.get(number=9))
    return meeting


def pages(meeting):
    return {
        "meeting": meeting.get_absolute_url(),
        "list": f"{reverse('meetings:meeting_list')}?year=2025",
        "calendar": f"{reverse('meetings:meeting_calendar')}?year=2025",
        "follow-ups": reverse("meetings:follow_up_list"),
        "measure": reverse("plan:measure_detail", args=[9]),
        "body": reverse("meetings:body_detail", args=["support-coordination-council"]),
    }


class TestPages:
    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_every_page_masks_the_names_typed_in_free_text(self, client, meeting, role, request):
        client.force_login(request.getfixturevalue(role))
        for where, url in pages(meeting).items():
            response = client.get(url)
            assert_masked(response, where)
            assert "との意見交換" in text_of(response), where  # the rest of the text is shown as typed
        detail = text_of(client.get(meeting.get_absolute_url()))
        assert f"{MASK}との意見交換" in detail
        assert "から受入れ状況の報告があった。" in detail and "と連携して退所支援を進める。" in detail
        assert f"{MASK}に事例を依頼する" in detail

    @pytest.mark.parametrize("role", CAN_SEE)
    def test_the_secretariat_and_case_holders_read_and_find_them_as_typed(
        self, client, meeting, role, request
    ):
        client.force_login(request.getfixturevalue(role))
        detail = client.get(meeting.get_absolute_url())
        # (text_of turns every run of spaces, full-width ones too, into one space)
        for spelling in (SECRET, "ｼｪﾙﾀｰ さくら", FORMER, "さくらの家 本部", "シェルター さくらの受入れ状況"):
            assert spelling in text_of(detail), spelling
        assert MASK not in source_of(detail)
        measure_page = client.get(reverse("plan:measure_detail", args=[9]))
        assert SECRET in text_of(measure_page) and MASK not in source_of(measure_page)
        # … and find the meeting by the names, however typed.
        url = reverse("meetings:meeting_list")
        for query in (SECRET, "ｼｪﾙﾀｰ さくら", FORMER):
            page = text_of(client.get(url, {"year": 2025, "q": query}))
            assert f"{SECRET}との意見交換" in page, query
        assert "該当する会議はありません。" in text_of(
            client.get(url, {"year": 2025, "q": "どこにもない言葉"})
        )

    def test_an_organisations_note_is_masked_too(self, client, shelter, viewer):
        partner = OrganizationFactory(name="NPO法人ぱっぷす", note=f"{SECRET}と連携している。")
        client.force_login(viewer)
        page = client.get(partner.get_absolute_url())
        assert SECRET not in source_of(page) and f"{MASK}と連携している。" in text_of(page)

    def test_the_list_costs_the_same_queries_with_more_providers_and_meetings(
        self, client, viewer, django_assert_max_num_queries
    ):
        def add(count, start):
            for n in range(start, start + count):
                provider(f"一時保護施設{n:03d}")
                MeetingFactory(title=f"一時保護施設{n:03d}の見学", date=datetime.date(2025, 5, 1))

        add(2, 0)
        client.force_login(viewer)
        url = reverse("meetings:meeting_list")
        client.get(url, {"year": 2025})
        with django_assert_max_num_queries(20) as small:
            client.get(url, {"year": 2025})
        add(30, 2)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(url, {"year": 2025})
        assert text_of(page).count(f"{MASK}の見学") == 32
        assert "一時保護施設0" not in source_of(page)


class TestDownloads:
    def test_the_case_review_sheet_goes_through_the_same_rule(self, client, shelter, viewer, case_handler):
        from plan.common.spreadsheets import read_xlsx_rows

        review = case_review(
            organizations=[shelter],
            woman_attended=False,
            absence_reason="other",
            absence_note=f"{SECRET}に入所中",
        )
        # Built only for holders of the case permission; were it built for anyone else, it would mask.
        row = list(case_review_sheet([review], title="t", user=viewer).rows)[0]
        assert (row[4], row[5]) == (f"{MASK}に入所中", MASK)
        client.force_login(case_handler)
        response = client.get(reverse("meetings:case_review_download"), {"year": 2025})
        rows = [values for _, values in read_xlsx_rows(response.content)]
        assert (rows[1][4], rows[1][5]) == (f"{SECRET}に入所中", SECRET)


class TestSearch:
    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_a_name_or_a_part_of_it_finds_nothing_for_those_who_may_not_see_it(
        self, client, meeting, role, request
    ):
        client.force_login(request.getfixturevalue(role))
        url = reverse("meetings:meeting_list")
        for query in (SECRET, "ｼｪﾙﾀｰｻｸﾗ", "ルターさ", "シェ", FORMER, "さくらの家"):
            page = text_of(client.get(url, {"year": 2025, "q": query}))
            assert "該当する会議はありません。" in page, query
        # The search itself works: words outside the names find the meeting.
        page = text_of(client.get(url, {"year": 2025, "q": "意見交換 受入れ"}))
        assert f"{MASK}との意見交換" in page

    def test_closed_meetings_minutes_are_not_searched_for_municipal_officers(self, client, municipal_officer):
        MeetingFactory(title="非公開の会議", minutes="議事録だけにある言葉")
        client.force_login(municipal_officer)
        page = text_of(
            client.get(reverse("meetings:meeting_list"), {"year": 2025, "q": "議事録だけにある言葉"})
        )
        assert "該当する会議はありません。" in page

    def test_the_registry_search_does_not_match_inside_a_providers_name(
        self, client, shelter, viewer, plan_admin
    ):
        OrganizationFactory(name=f"{SECRET}支援の会")
        OrganizationFactory(name="さくら支援の会")
        client.force_login(viewer)
        page = text_of(client.get(reverse("meetings:organization_list"), {"q": SECRET}))
        assert "該当する団体はありません。" in page
        response = client.get(reverse("meetings:organization_list"), {"q": "支援の会"})
        page = text_of(response)
        assert "さくら支援の会" in page  # an ordinary search still finds both …
        assert f"{MASK}支援の会" in page and SECRET not in source_of(response)  # (a name inside a name is masked too)
        client.force_login(plan_admin)
        page = text_of(client.get(reverse("meetings:organization_list"), {"q": SECRET}))
        assert f"{SECRET}支援の会" in page  # … and the secretariat finds it by the name


class TestWarningOnSave:
    def test_the_secretariat_is_warned_and_the_text_kept(self, client, shelter, plan_admin):
        client.force_login(plan_admin)
        page = text_of(client.post(reverse("meetings:meeting_create"), meeting_post(), follow=True))
        assert "一時保護委託先の名称" not in page  # nothing to warn about
        response = client.post(
            reverse("meetings:meeting_create"),
            meeting_post(minutes=f"ｼｪﾙﾀｰ さくらから報告。{FORMER}の件。", **{"followups-0-owner": MERGED}),
            follow=True,
        )
        page = text_of(response)
        assert (
            f"入力した文に一時保護委託先の名称（ｼｪﾙﾀｰ さくら、{FORMER}、{MERGED}）が含まれています。"
            "閲覧権限のない利用者には伏せ字で表示されます。"
        ) in page
        meeting = Meeting.objects.latest("id")
        assert meeting.minutes == f"ｼｪﾙﾀｰ さくらから報告。{FORMER}の件。"
        assert meeting.follow_ups.get().owner == MERGED

    def test_an_organisations_note_warns_too(self, client, shelter, plan_admin):
        client.force_login(plan_admin)
        data = {
            "name": "NPO法人ぱっぷす",
            "kind": "private",
            "note": f"{SECRET}と連携",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
        }
        page = text_of(client.post(reverse("meetings:organization_create"), data, follow=True))
        assert f"一時保護委託先の名称（{SECRET}）が含まれています" in page

    def test_in_the_admin_a_superuser_who_may_not_see_is_warned_without_the_name(
        self, client, shelter, system_operator
    ):
        client.force_login(system_operator)
        response = client.post(
            reverse("admin:meetings_meeting_add"),
            {
                "body": committee().pk,
                "status": "planned",
                "title": f"{SECRET}の見学",
                "date": "2026-12-01",
                "mode": "online",
                "openness": "closed",
                "agenda_items-TOTAL_FORMS": "0",
                "agenda_items-INITIAL_FORMS": "0",
                "follow_ups-TOTAL_FORMS": "0",
                "follow_ups-INITIAL_FORMS": "0",
            },
            follow=True,
        )
        assert "入力した文に一時保護委託先の名称が含まれています。" in text_of(response)
        assert SECRET not in source_of(response)
        assert Meeting.objects.get().title == f"{SECRET}の見学"


class TestAdmin:
    def test_the_merge_log_is_masked_in_its_list_page_and_history(
        self, client, shelter, system_operator, plan_admin
    ):
        from meetings.models import OrganizationMerge

        record = OrganizationMerge.objects.get()
        client.force_login(system_operator)
        for url in (
            reverse("admin:meetings_organizationmerge_changelist"),
            reverse("admin:meetings_organizationmerge_change", args=[record.pk]),
            reverse("admin:meetings_organizationmerge_history", args=[record.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET not in source_of(response) and MERGED not in source_of(response), url
            assert MASK in text_of(response), url
        page = text_of(client.get(reverse("admin:meetings_organizationmerge_changelist"), {"q": "さくら"}))
        assert MASK not in page  # the name finds nothing
        client.force_login(plan_admin)
        page = text_of(client.get(reverse("admin:meetings_organizationmerge_changelist"), {"q": "さくら"}))
        assert SECRET in page and MERGED in page

    def test_a_merged_away_providers_history_is_closed_and_a_history_naming_one_is_masked(
        self, client, shelter, system_operator
    ):
        from meetings.models import OrganizationMerge

        removed_pk = OrganizationMerge.objects.get().removed_pk
        partner = OrganizationFactory(name="NPO法人ぱっぷす", note="")
        partner.note = f"{SECRET}と連携"
        partner.save()
        client.force_login(system_operator)
        assert (
            client.get(reverse("admin:meetings_organization_history", args=[removed_pk])).status_code == 403
        )
        page = client.get(reverse("admin:meetings_organization_history", args=[partner.pk]))
        assert SECRET not in source_of(page) and MASK in text_of(page)

    def test_the_meeting_admin_masks_free_text_everywhere(self, client, meeting, system_operator, plan_admin):
        client.force_login(system_operator)
        change = reverse("admin:meetings_meeting_change", args=[meeting.pk])
        for url in (
            reverse("admin:meetings_meeting_changelist"),
            change,
            reverse("admin:meetings_meeting_history", args=[meeting.pk]),
            reverse("admin:meetings_meeting_delete", args=[meeting.pk]),
            reverse("admin:meetings_followup_changelist"),
            reverse("admin:meetings_followup_change", args=[meeting.follow_ups.get().pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert_masked(response, url)
        page = text_of(client.get(reverse("admin:meetings_meeting_changelist"), {"q": SECRET}))
        assert f"{MASK}との意見交換" not in page
        # Saving the page keeps the text as typed (the masked fields are read-only).
        response = client.post(
            change,
            {
                "body": meeting.body_id,
                "tier": meeting.tier_id,
                "status": "held",
                "date": "2025-10-15",
                "mode": "in_person",
                "openness": "open",
                "attendee_count": "12",
                "agenda_items-TOTAL_FORMS": "1",
                "agenda_items-INITIAL_FORMS": "1",
                "agenda_items-0-id": meeting.agenda_items.get().pk,
                "agenda_items-0-meeting": meeting.pk,
                "agenda_items-0-position": "1",
                "follow_ups-TOTAL_FORMS": "1",
                "follow_ups-INITIAL_FORMS": "1",
                "follow_ups-0-id": meeting.follow_ups.get().pk,
                "follow_ups-0-meeting": meeting.pk,
                "follow_ups-0-due_date": "",
            },
        )
        assert response.status_code == 302, text_of(response)
        meeting.refresh_from_db()
        assert meeting.attendee_count == 12
        assert meeting.title == f"{SECRET}との意見交換" and meeting.minutes.startswith("ｼｪﾙﾀｰ")
        assert meeting.agenda_items.get().title == "シェルター　さくらの受入れ状況"
        client.force_login(plan_admin)
        page = client.get(change)
        assert form_value(page, "title") == f"{SECRET}との意見交換" and FORMER in form_value(page, "minutes")
        assert f"{SECRET}との意見交換" in text_of(
            client.get(reverse("admin:meetings_meeting_changelist"), {"q": SECRET})
        )


class TestTheNames:
    def test_width_space_case_and_legal_form_do_not_matter(self):
        matcher = NameMatcher(["特定非営利活動法人 シェルターさくら", "NPO ABC"])
        assert matcher.replace("ｼｪﾙﾀｰ　さくら・シェルターさくら・npo abc", "■") == "■・■・■"
        assert matcher.replace("さくら公園", "■") == "さくら公園"

    def test_former_names_and_merged_records_count(self, shelter):
        assert {SECRET, FORMER, MERGED} <= ProviderNames.load().names

    def test_a_role_removed_as_a_correction_unmasks_but_a_deleted_provider_stays_masked(self, db, viewer):
        corrected = provider("誤登録の団体")
        corrected.roles.get().delete()
        deleted = provider("閉鎖した施設")
        deleted.delete()
        names = ProviderNames.load().names
        assert "誤登録の団体" not in names and "閉鎖した施設" in names
        assert mask_provider_names("閉鎖した施設の跡地", viewer) == f"{MASK}の跡地"

    def test_str_of_a_provider_loaded_without_its_reader_is_masked(self, shelter):
        assert str(Organization.objects.get(pk=shelter.pk)) == MASK
        assert Organization.objects.get(pk=shelter.pk).name == SECRET
