"""The secretariat records meetings in the app's own form; nobody else can, and bad input is refused
with a Japanese message next to the field and nothing saved."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, FollowUp, Meeting
from tests.html import field_errors as field_error
from tests.html import text_of, texts_of
from tests.meetings.factories import MeetingFactory, OrganizationFactory, committee, tier
from tests.meetings.helpers import meeting_post


def post_new(client, **overrides):
    return client.post(reverse("meetings:meeting_create"), meeting_post(**overrides))


class TestRecordingAMeeting:
    def test_the_secretariat_records_a_practitioners_meeting(self, client, plan_admin):
        first, second = (
            OrganizationFactory(name="NPO法人ぱっぷす"),
            OrganizationFactory(name="新宿警察署", kind="police"),
        )
        client.force_login(plan_admin)
        response = post_new(client, attending_organizations=[str(first.pk), str(second.pk)])

        meeting = Meeting.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("meetings:meeting_detail", args=[meeting.pk])
        assert (meeting.body.code, meeting.tier.code, meeting.status) == (
            "support-coordination-council",
            "practitioners",
            "held",
        )
        assert (meeting.start_time, meeting.end_time) == (datetime.time(14), datetime.time(16))
        assert set(meeting.attending_organizations.all()) == {first, second}
        assert meeting.attendee_count == 18
        assert meeting.created_by == plan_admin
        item = meeting.agenda_items.get()
        assert [m.number for m in item.measures.all()] == [9]
        follow_up = meeting.follow_ups.get()
        assert (follow_up.owner, follow_up.due_date) == ("福祉局 育成支援課", datetime.date(2026, 1, 31))
        assert [m.number for m in follow_up.measures.all()] == [9]
        assert meeting.history.latest().history_user == plan_admin

    def test_a_committee_meeting_is_planned_without_a_tier(self, client, plan_admin):
        client.force_login(plan_admin)
        response = post_new(
            client,
            body=str(committee().pk),
            tier="",
            status="planned",
            title="令和8年度 第1回 推進委員会",
            date="2026-07-30",
            mode="online",
            place="",
        )
        assert response.status_code == 302
        meeting = Meeting.objects.get()
        assert meeting.tier is None
        assert meeting.status == Meeting.Status.PLANNED

    def test_measure_numbers_may_be_typed_in_full_width_with_japanese_commas(self, client, plan_admin):
        client.force_login(plan_admin)
        post_new(client, **{"agenda-0-measure_numbers": "No.９、１０１"})
        item = AgendaItem.objects.get()
        assert sorted(m.number for m in item.measures.all()) == [9, 101]

    def test_blank_extra_rows_are_not_saved(self, client, plan_admin):
        client.force_login(plan_admin)
        data = meeting_post()
        data.update({"agenda-TOTAL_FORMS": "3", "agenda-1-title": "", "agenda-2-title": ""})
        client.post(reverse("meetings:meeting_create"), data)
        assert AgendaItem.objects.count() == 1

    def test_editing_replaces_the_agenda_and_closes_a_follow_up(self, client, plan_admin):
        client.force_login(plan_admin)
        post_new(client)
        meeting = Meeting.objects.get()
        item, follow_up = meeting.agenda_items.get(), meeting.follow_ups.get()
        data = meeting_post(
            title="令和7年度 第2回 実務者会議（修正）",
            **{
                "agenda-INITIAL_FORMS": "1",
                "agenda-0-id": str(item.pk),
                "agenda-0-measure_numbers": "9, 56",
                "followups-INITIAL_FORMS": "1",
                "followups-0-id": str(follow_up.pk),
                "followups-0-done": "on",
            },
        )
        response = client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), data)
        assert response.status_code == 302
        meeting.refresh_from_db()
        follow_up.refresh_from_db()
        assert meeting.title == "令和7年度 第2回 実務者会議（修正）"
        assert sorted(m.number for m in meeting.agenda_items.get().measures.all()) == [9, 56]
        assert follow_up.done and follow_up.done_at is not None

    def test_an_agenda_item_can_be_deleted(self, client, plan_admin):
        client.force_login(plan_admin)
        post_new(client)
        meeting = Meeting.objects.get()
        item = meeting.agenda_items.get()
        data = meeting_post(
            **{"agenda-INITIAL_FORMS": "1", "agenda-0-id": str(item.pk), "agenda-0-DELETE": "on"}
        )
        data.update({"followups-TOTAL_FORMS": "0"})
        client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), data)
        assert not AgendaItem.objects.exists()


@pytest.mark.usefixtures("plan_admin_client")
class TestBadInput:
    """Each bad answer is refused next to its field, in Japanese, and nothing at all is saved."""

    def assert_nothing_saved(self):
        assert not Meeting.objects.exists()
        assert not AgendaItem.objects.exists()
        assert not FollowUp.objects.exists()

    def test_end_time_before_start(self, client):
        response = post_new(client, start_time="16:00", end_time="14:00")
        assert response.status_code == 200
        assert field_error(response, "end_time") == ["終了時刻は開始時刻より後にしてください。"]
        self.assert_nothing_saved()

    def test_a_council_meeting_without_a_tier(self, client):
        response = post_new(client, tier="")
        assert field_error(response, "tier") == [
            "支援調整会議の会議は、階層（代表者会議・実務者会議）を選んでください。"
        ]
        self.assert_nothing_saved()

    def test_a_committee_meeting_with_a_tier(self, client):
        response = post_new(client, body=str(committee().pk))
        assert field_error(response, "tier") == [
            "計画推進委員会の会議には階層を指定できません。空欄にしてください。"
        ]
        self.assert_nothing_saved()

    def test_the_case_review_tier_is_not_offered(self, client):
        response = post_new(client, tier=str(tier("case-review").pk))
        assert "正しく選択してください。選択したものは候補にありません。" in field_error(response, "tier")
        tiers = texts_of(client.get(reverse("meetings:meeting_create")), 'select[name="tier"] option')
        assert "支援調整会議：実務者会議（担当者会）" in tiers
        assert "支援調整会議：個別ケース検討会議" not in tiers
        self.assert_nothing_saved()

    def test_an_unknown_measure_number(self, client):
        response = post_new(client, **{"agenda-0-measure_numbers": "9, 999"})
        assert field_error(response, "agenda-0-measure_numbers") == [
            "No.999 という施策はありません（施策は No.1〜No.120 です）。"
        ]
        self.assert_nothing_saved()

    def test_a_measure_number_that_is_not_a_number(self, client):
        response = post_new(client, **{"followups-0-measure_numbers": "9, 児童"})
        assert field_error(response, "followups-0-measure_numbers") == [
            "施策の番号は数字で入力してください（「児童」は番号ではありません）。"
        ]
        self.assert_nothing_saved()

    def test_held_in_the_future(self, client):
        future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        response = post_new(client, date=future)
        assert field_error(response, "status") == ["開催日より前に「開催済み」にはできません。"]
        self.assert_nothing_saved()

    def test_a_venue_meeting_without_a_place(self, client):
        response = post_new(client, place="")
        assert field_error(response, "place") == ["会場で開催するときは、会場を入力してください。"]
        self.assert_nothing_saved()

    def test_a_missing_title_and_date(self, client):
        response = post_new(client, title="", date="")
        assert field_error(response, "title") == ["このフィールドは必須です。"]
        assert field_error(response, "date") == ["このフィールドは必須です。"]
        assert "入力内容に誤りがあります" in text_of(response)
        self.assert_nothing_saved()

    def test_a_follow_up_without_an_owner(self, client):
        response = post_new(client, **{"followups-0-owner": ""})
        assert field_error(response, "followups-0-owner") == ["このフィールドは必須です。"]
        self.assert_nothing_saved()

    def test_a_bad_edit_leaves_the_meeting_as_it_was(self, client):
        meeting = MeetingFactory(title="元の会議名")
        response = client.post(
            reverse("meetings:meeting_edit", args=[meeting.pk]),
            meeting_post(title="変更後", start_time="16:00", end_time="15:00"),
        )
        assert field_error(response, "end_time")
        meeting.refresh_from_db()
        assert meeting.title == "元の会議名"


class TestOnlyTheSecretariatChangesMeetings:
    @pytest.mark.parametrize(
        "role", ["viewer", "bureau_staff", "municipal_officer", "other_officer", "case_handler"]
    )
    def test_other_roles_cannot_create(self, client, db, role, request):
        client.force_login(request.getfixturevalue(role))
        assert client.get(reverse("meetings:meeting_create")).status_code == 403
        assert post_new(client).status_code == 403
        assert not Meeting.objects.exists()

    @pytest.mark.parametrize("role", ["viewer", "municipal_officer", "other_officer", "bureau_staff"])
    def test_other_roles_cannot_edit(self, client, db, role, request):
        meeting = MeetingFactory(title="元の会議名")
        client.force_login(request.getfixturevalue(role))
        response = client.post(
            reverse("meetings:meeting_edit", args=[meeting.pk]), meeting_post(title="改ざん")
        )
        assert response.status_code == 403
        meeting.refresh_from_db()
        assert meeting.title == "元の会議名"

    def test_anonymous_is_sent_to_login_and_nothing_changes(self, client, db):
        meeting = MeetingFactory(title="元の会議名")
        for url in (reverse("meetings:meeting_create"), reverse("meetings:meeting_edit", args=[meeting.pk])):
            response = client.post(url, meeting_post(title="改ざん"))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        assert list(Meeting.objects.values_list("title", flat=True)) == ["元の会議名"]

    @pytest.mark.parametrize("role", ["viewer", "municipal_officer", "bureau_staff"])
    def test_other_roles_cannot_close_a_follow_up(self, client, db, role, request):
        from tests.meetings.factories import FollowUpFactory

        follow_up = FollowUpFactory()
        client.force_login(request.getfixturevalue(role))
        assert client.post(reverse("meetings:follow_up_done", args=[follow_up.pk])).status_code == 403
        follow_up.refresh_from_db()
        assert not follow_up.done
