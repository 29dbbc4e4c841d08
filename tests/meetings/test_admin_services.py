"""The admin writes through meetings.services, as the app's pages do: the same rules, the same
files kept or deleted, the same history."""

import datetime
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from meetings import services
from meetings.models import CommitteeMember, FollowUp, Meeting, Organization
from tests.html import text_of
from tests.meetings.factories import (
    CommitteeMemberFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganizationFactory,
    committee,
    council,
    tier,
)
from tests.meetings.helpers import formset_management

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The meeting as both forms send it (the page's form and the admin's), but for the formsets.
MEETING_FIELDS = {
    "status": "held",
    "title": "令和7年度 第2回 実務者会議",
    "date": "2025-10-15",
    "start_time": "14:00",
    "end_time": "16:00",
    "mode": "in_person",
    "place": "都庁第一本庁舎",
    "openness": "closed",
    "attendee_count": "18",
    "minutes": "一時保護からの退所先について意見交換を行った。",
    "decisions": "退所支援の事例を次回共有する。",
}


def a_meeting(**kwargs):
    """A meeting stored with MEETING_FIELDS' values."""
    return MeetingFactory(
        title=MEETING_FIELDS["title"],
        start_time=datetime.time(14),
        end_time=datetime.time(16),
        attendee_count=18,
        minutes=MEETING_FIELDS["minutes"],
        decisions=MEETING_FIELDS["decisions"],
        **kwargs,
    )


def admin_data(meeting, follow_ups=(), **overrides):
    """What the admin's change form sends for `meeting`, its follow-ups as inline rows."""
    data = {
        "body": str(meeting.body_id),
        "tier": str(meeting.tier_id or ""),
        **MEETING_FIELDS,
        **formset_management("agenda_items", 0),
        **formset_management("follow_ups", len(follow_ups), len(follow_ups)),
    }
    for index, follow_up in enumerate(follow_ups):
        data |= {
            f"follow_ups-{index}-id": str(follow_up.pk),
            f"follow_ups-{index}-meeting": str(meeting.pk),
            f"follow_ups-{index}-description": follow_up.description,
            f"follow_ups-{index}-owner": follow_up.owner,
            f"follow_ups-{index}-due_date": "",
        }
    return data | overrides


def page_data(meeting, follow_ups=(), **overrides):
    """What the app's meeting form sends for `meeting`."""
    data = {
        "body": str(meeting.body_id),
        "tier": str(meeting.tier_id or ""),
        **MEETING_FIELDS,
        **formset_management("agenda", 0),
        **formset_management("followups", len(follow_ups), len(follow_ups)),
    }
    for index, follow_up in enumerate(follow_ups):
        data |= {
            f"followups-{index}-id": str(follow_up.pk),
            f"followups-{index}-description": follow_up.description,
            f"followups-{index}-owner": follow_up.owner,
            f"followups-{index}-due_date": "",
        }
    return data | overrides


def change_url(obj):
    return reverse(f"admin:meetings_{obj._meta.model_name}_change", args=[obj.pk])


def post_admin(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 302, text_of(response)
    return response


# --- the minutes file ------------------------------------------------------------------------------


class TestMinutesFileInTheAdmin:
    @pytest.fixture
    def meeting_with_file(self, plan_admin_client, media_root, django_capture_on_commit_callbacks):
        meeting = a_meeting()
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(
                plan_admin_client,
                change_url(meeting),
                admin_data(meeting, minutes_file=SimpleUploadedFile("第1版.pdf", PDF)),
            )
        meeting.refresh_from_db()
        assert meeting.minutes_file_name == "第1版.pdf"
        assert (media_root / meeting.minutes_file.name).exists()
        return meeting

    def test_replacing_the_file_deletes_the_old_one(
        self, plan_admin_client, meeting_with_file, media_root, django_capture_on_commit_callbacks
    ):
        first = media_root / meeting_with_file.minutes_file.name
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(
                plan_admin_client,
                change_url(meeting_with_file),
                admin_data(meeting_with_file, minutes_file=SimpleUploadedFile("第2版.pdf", PDF + b"%v2")),
            )
        meeting_with_file.refresh_from_db()
        assert meeting_with_file.minutes_file_name == "第2版.pdf"
        assert (media_root / meeting_with_file.minutes_file.name).read_bytes() == PDF + b"%v2"
        assert not first.exists()

    def test_clearing_the_file_deletes_it(
        self, plan_admin_client, meeting_with_file, media_root, django_capture_on_commit_callbacks
    ):
        stored = media_root / meeting_with_file.minutes_file.name
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(
                plan_admin_client,
                change_url(meeting_with_file),
                admin_data(meeting_with_file, **{"minutes_file-clear": "on"}),
            )
        meeting_with_file.refresh_from_db()
        assert not meeting_with_file.minutes_file
        assert meeting_with_file.minutes_file_name == ""
        assert not stored.exists()

    def test_saving_without_touching_the_file_keeps_it(
        self, plan_admin_client, meeting_with_file, media_root, django_capture_on_commit_callbacks
    ):
        stored = media_root / meeting_with_file.minutes_file.name
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(plan_admin_client, change_url(meeting_with_file), admin_data(meeting_with_file, title="改題"))
        meeting_with_file.refresh_from_db()
        assert (meeting_with_file.title, meeting_with_file.minutes_file_name) == ("改題", "第1版.pdf")
        assert stored.exists()

    def test_deleting_the_meeting_deletes_its_file(
        self, plan_admin_client, meeting_with_file, media_root, plan_admin, django_capture_on_commit_callbacks
    ):
        stored = media_root / meeting_with_file.minutes_file.name
        url = reverse("admin:meetings_meeting_delete", args=[meeting_with_file.pk])
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(plan_admin_client, url, {"post": "yes"})
        assert not Meeting.objects.filter(pk=meeting_with_file.pk).exists()
        assert not stored.exists()
        assert meeting_with_file.history.latest().history_user == plan_admin

    def test_deleting_selected_meetings_deletes_their_files(
        self, plan_admin_client, meeting_with_file, media_root, django_capture_on_commit_callbacks
    ):
        stored = media_root / meeting_with_file.minutes_file.name
        other = a_meeting()
        with django_capture_on_commit_callbacks(execute=True):
            post_admin(
                plan_admin_client,
                reverse("admin:meetings_meeting_changelist"),
                {
                    "action": "delete_selected",
                    "_selected_action": [meeting_with_file.pk, other.pk],
                    "post": "yes",
                },
            )
        assert not Meeting.objects.exists()
        assert not stored.exists()

    def test_a_new_meeting_with_a_file_keeps_the_original_name_and_its_creator(
        self, plan_admin_client, plan_admin, media_root
    ):
        post_admin(
            plan_admin_client,
            reverse("admin:meetings_meeting_add"),
            {
                "body": str(committee().pk),
                "tier": "",
                **MEETING_FIELDS,
                "minutes_file": SimpleUploadedFile("folder/議事録.pdf", PDF),
                **formset_management("agenda_items", 0),
                **formset_management("follow_ups", 0),
            },
        )
        meeting = Meeting.objects.get()
        assert (meeting.minutes_file_name, meeting.created_by) == ("議事録.pdf", plan_admin)
        assert "議事録" not in meeting.minutes_file.name  # stored under a random name


# --- follow-ups ------------------------------------------------------------------------------------


def follow_up_admin_data(follow_up, **overrides):
    return {
        "meeting": str(follow_up.meeting_id),
        "description": follow_up.description,
        "owner": follow_up.owner,
        "due_date": "",
    } | overrides


class TestFollowUpsDoneInTheAdmin:
    def test_marking_one_done_sets_when_and_unmarking_clears_it(self, plan_admin_client):
        follow_up = FollowUpFactory()
        post_admin(plan_admin_client, change_url(follow_up), follow_up_admin_data(follow_up, done="on"))
        follow_up.refresh_from_db()
        assert follow_up.done and follow_up.done_at is not None

        post_admin(plan_admin_client, change_url(follow_up), follow_up_admin_data(follow_up))
        follow_up.refresh_from_db()
        assert not follow_up.done and follow_up.done_at is None
        reasons = list(follow_up.meeting.history.values_list("history_change_reason", flat=True)[:2])
        assert reasons == [
            f"対応事項を未完了に戻す：{follow_up.description}",
            f"対応事項を完了：{follow_up.description}",
        ]

    def test_marking_one_done_among_the_meetings_rows_sets_when(self, plan_admin_client):
        meeting = a_meeting()
        follow_up = FollowUpFactory(meeting=meeting)
        post_admin(
            plan_admin_client, change_url(meeting), admin_data(meeting, [follow_up], **{"follow_ups-0-done": "on"})
        )
        follow_up.refresh_from_db()
        assert follow_up.done and follow_up.done_at is not None

        post_admin(plan_admin_client, change_url(meeting), admin_data(meeting, [follow_up]))
        follow_up.refresh_from_db()
        assert not follow_up.done and follow_up.done_at is None

    def test_a_follow_up_added_done_has_its_time(self, plan_admin_client):
        meeting = a_meeting()
        post_admin(
            plan_admin_client,
            reverse("admin:meetings_followup_add"),
            {"meeting": str(meeting.pk), "description": "事例を集める", "owner": "福祉局", "done": "on"},
        )
        follow_up = FollowUp.objects.get()
        assert follow_up.done_at is not None
        assert meeting.history.latest().history_change_reason == "対応事項を追加：事例を集める"


# --- the same history entry whichever way ------------------------------------------------------------


def history_entry(meeting):
    """The meeting's latest history record: its kind, who, why, and the (editable) fields changed."""
    record = meeting.history.latest()
    changed = sorted(record.diff_against(record.prev_record).changed_fields)
    return record.history_type, record.history_user, record.history_change_reason, changed


class TestSameHistoryEitherWay:
    def test_a_meeting_edit(self, plan_admin_client, plan_admin):
        on_the_page, in_the_admin = a_meeting(), a_meeting()
        response = plan_admin_client.post(
            reverse("meetings:meeting_edit", args=[on_the_page.pk]), page_data(on_the_page, title="改題")
        )
        assert response.status_code == 302, text_of(response)
        post_admin(plan_admin_client, change_url(in_the_admin), admin_data(in_the_admin, title="改題"))

        assert history_entry(on_the_page) == history_entry(in_the_admin) == ("~", plan_admin, None, ["title"])

    def test_a_follow_up_done(self, plan_admin_client, plan_admin):
        on_the_page = FollowUpFactory(meeting=a_meeting(), description="事例を集める")
        in_the_admin = FollowUpFactory(meeting=a_meeting(), description="事例を集める")
        plan_admin_client.post(reverse("meetings:follow_up_done", args=[on_the_page.pk]))
        post_admin(plan_admin_client, change_url(in_the_admin), follow_up_admin_data(in_the_admin, done="on"))

        assert (
            history_entry(on_the_page.meeting)
            == history_entry(in_the_admin.meeting)
            == ("~", plan_admin, "対応事項を完了：事例を集める", [])  # the meeting's fields as they were
        )
        for follow_up in (on_the_page, in_the_admin):
            follow_up.refresh_from_db()
            assert follow_up.done and follow_up.done_at is not None

    def test_a_follow_up_done_with_the_meetings_form(self, plan_admin_client, plan_admin):
        on_the_page, in_the_admin = a_meeting(), a_meeting()
        page_row, admin_row = FollowUpFactory(meeting=on_the_page), FollowUpFactory(meeting=in_the_admin)
        response = plan_admin_client.post(
            reverse("meetings:meeting_edit", args=[on_the_page.pk]),
            page_data(on_the_page, [page_row], **{"followups-0-done": "on"}),
        )
        assert response.status_code == 302, text_of(response)
        post_admin(
            plan_admin_client,
            change_url(in_the_admin),
            admin_data(in_the_admin, [admin_row], **{"follow_ups-0-done": "on"}),
        )

        assert history_entry(on_the_page) == history_entry(in_the_admin) == ("~", plan_admin, None, [])
        for follow_up in (page_row, admin_row):
            follow_up.refresh_from_db()
            assert follow_up.done and follow_up.done_at is not None


# --- every admin write goes through its service ------------------------------------------------------


def _body_data(body):
    return {
        "code": body.code,
        "name": body.name,
        "short_name": body.short_name,
        "kind": body.kind,
        "position": str(body.position),
        **formset_management("tiers", 0),
        **formset_management("members", 0),
    }


def _tier_data(row):
    return {"body": str(row.body_id), "code": row.code, "name": row.name, "position": str(row.position)}


def _member_data(member):
    return {
        "body": str(member.body_id),
        "position": "1",
        "name": member.name,
        "term_start": member.term_start.isoformat(),
    }


def _organization_data(organization):
    return {"name": organization.name, "kind": organization.kind, **formset_management("roles", 0)}


def _meeting_add():
    data = {
        "body": str(committee().pk),
        "tier": "",
        **MEETING_FIELDS,
        **formset_management("agenda_items", 0),
        **formset_management("follow_ups", 0),
    }
    return reverse("admin:meetings_meeting_add"), data


def _meeting_change():
    meeting = a_meeting()
    return change_url(meeting), admin_data(meeting)


def _follow_up_add():
    data = {"meeting": str(a_meeting().pk), "description": "新しい対応事項", "owner": "福祉局"}
    return reverse("admin:meetings_followup_add"), data


def _follow_up_change():
    follow_up = FollowUpFactory()
    return change_url(follow_up), follow_up_admin_data(follow_up)


def _organization_add():
    return reverse("admin:meetings_organization_add"), _organization_data(
        Organization(name="新しい団体", kind="private")
    )


def _organization_change():
    organization = OrganizationFactory()
    return change_url(organization), _organization_data(organization)


def _member_add():
    member = CommitteeMember(body=committee(), name="新委員", term_start=datetime.date(2024, 7, 1))
    return reverse("admin:meetings_committeemember_add"), _member_data(member)


def _member_change():
    member = CommitteeMemberFactory()
    return change_url(member), _member_data(member)


def _tier_change():
    return change_url(tier("practitioners")), _tier_data(tier("practitioners"))


def _body_change():
    return change_url(council()), _body_data(council())


# The service each admin page's save calls, and how to make that page's request.
WRITES = {
    "meeting_create": _meeting_add,
    "meeting_update": _meeting_change,
    "follow_up_create": _follow_up_add,
    "follow_up_update": _follow_up_change,
    "organization_create": _organization_add,
    "organization_update": _organization_change,
    "committee_member_create": _member_add,
    "committee_member_update": _member_change,
    "tier_update": _tier_change,
    "body_update": _body_change,
}

DELETES = {
    "meeting_delete": lambda: ("meeting", a_meeting()),
    "follow_up_delete": lambda: ("followup", FollowUpFactory()),
    "organization_delete": lambda: ("organization", OrganizationFactory()),
    "committee_member_delete": lambda: ("committeemember", CommitteeMemberFactory()),
}


class TestEveryAdminWriteGoesThroughItsService:
    @pytest.mark.parametrize("service", WRITES)
    def test_saving(self, plan_admin_client, service):
        url, data = WRITES[service]()
        with mock.patch.object(services, service, wraps=getattr(services, service)) as called:
            post_admin(plan_admin_client, url, data)
        assert called.call_count == 1
        assert called.call_args.kwargs["user"].username == "secretariat"

    @pytest.mark.parametrize("service", DELETES)
    @pytest.mark.parametrize("way", ["delete page", "delete action"])
    def test_deleting(self, plan_admin_client, service, way):
        model_name, obj = DELETES[service]()
        with mock.patch.object(services, service, wraps=getattr(services, service)) as called:
            if way == "delete page":
                url = reverse(f"admin:meetings_{model_name}_delete", args=[obj.pk])
                post_admin(plan_admin_client, url, {"post": "yes"})
            else:
                post_admin(
                    plan_admin_client,
                    reverse(f"admin:meetings_{model_name}_changelist"),
                    {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
                )
        assert called.call_count == 1
        assert not type(obj).objects.filter(pk=obj.pk).exists()

    def test_a_rule_of_the_model_still_refuses_in_the_admin(self, plan_admin_client):
        meeting = a_meeting()
        response = plan_admin_client.post(
            change_url(meeting), admin_data(meeting, start_time="16:00", end_time="15:00")
        )
        assert response.status_code == 200
        assert "終了時刻は開始時刻より後にしてください。" in text_of(response)
