"""The meeting form grows by 「行を追加」 and chooses organisations by a search (issues 13 and 15):
one empty row per list; without JavaScript the add-row and search buttons show the form again,
saving nothing and keeping what was typed; the page stays small whatever the registry's size."""

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, FollowUp, Meeting, Organization
from tests.html import form_value, select, text_of, texts_of
from tests.meetings.factories import MeetingFactory, OrganizationFactory, provider
from tests.meetings.helpers import meeting_post
from tests.queries import count_queries

ORGANIZATION_BOXES = 'input[type="checkbox"][name="attending_organizations"]'


def legends(response):
    return texts_of(response, "form.meeting-form > fieldset.section > legend")


def rows(response, prefix):
    return select(response, f'[data-formset-prefix="{prefix}"] [data-formset-rows] > fieldset.formset-row')


class TestTheEmptyForm:
    def test_the_fields_come_in_the_order_a_secretary_records_a_meeting(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.get(reverse("meetings:meeting_create"))
        assert legends(response) == ["会議の基本情報", "出席", "議題", "決定事項・フォローアップ", "議事録"]

    def test_each_list_starts_with_one_empty_row_and_an_add_row_button(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.get(reverse("meetings:meeting_create"))
        assert len(rows(response, "agenda")) == 1
        assert len(rows(response, "followups")) == 1
        assert form_value(response, "agenda-TOTAL_FORMS") == "1"
        assert form_value(response, "followups-TOTAL_FORMS") == "1"
        buttons = texts_of(response, "button[data-formset-add]")
        assert buttons == ["議題の行を追加して再表示", "対応事項の行を追加して再表示"]
        # The script's copy of an empty row, in a <template>, and no inline script (the CSP).
        assert select(response, 'template[data-formset-empty-row] input[name="agenda-__prefix__-title"]')
        assert not [s for s in select(response, "script") if not s.get("src")]

    def test_an_edited_meeting_shows_its_rows_and_one_empty_row(self, client, plan_admin):
        meeting = MeetingFactory()
        for position in (1, 2):
            AgendaItem.objects.create(meeting=meeting, title=f"議題{position}", position=position)
        client.force_login(plan_admin)
        response = client.get(reverse("meetings:meeting_edit", args=[meeting.pk]))
        assert len(rows(response, "agenda")) == 3
        assert len(rows(response, "followups")) == 1


class TestAddingARowWithoutJavaScript:
    def test_it_shows_one_more_row_keeps_what_was_typed_and_saves_nothing(self, client, plan_admin):
        papps = OrganizationFactory(name="NPO法人ぱっぷす")
        client.force_login(plan_admin)
        data = meeting_post(add_row_agenda="1", attending_organizations=[str(papps.pk)], title="")
        response = client.post(reverse("meetings:meeting_create"), data)

        assert response.status_code == 200
        assert Meeting.objects.count() == 0 and AgendaItem.objects.count() == 0
        assert len(rows(response, "agenda")) == 2
        assert len(rows(response, "followups")) == 1
        assert form_value(response, "agenda-TOTAL_FORMS") == "2"
        assert form_value(response, "agenda-0-title") == "一時保護からの円滑な退所について"
        assert form_value(response, "agenda-0-measure_numbers") == "9"
        assert form_value(response, "agenda-1-title") in (None, "")  # the new row is empty
        assert form_value(response, "followups-0-description") == "退所支援の事例を集める"
        assert form_value(response, "place") == "都庁第一本庁舎"
        assert [
            box.get("value") for box in select(response, ORGANIZATION_BOXES) if "checked" in box.attrs
        ] == [str(papps.pk)]
        # Not an error: the title left empty is not complained about yet.
        assert not select(response, ".error-summary") and not select(response, "p.error")
        assert "入力した内容はまだ保存されていません" in text_of(response)
        new_title = select(response, 'input[name="agenda-1-title"]')[0]
        assert "autofocus" in new_title.attrs

    def test_the_added_row_is_saved_with_the_rest(self, client, plan_admin):
        client.force_login(plan_admin)
        data = meeting_post(add_row_followups="1")
        client.post(reverse("meetings:meeting_create"), data)
        data.pop("add_row_followups")
        data.update(
            {
                "followups-TOTAL_FORMS": "2",
                "followups-1-description": "次回の日程を調整する",
                "followups-1-owner": "事務局",
            }
        )
        response = client.post(reverse("meetings:meeting_create"), data)
        assert response.status_code == 302
        assert sorted(FollowUp.objects.values_list("description", flat=True)) == [
            "次回の日程を調整する",
            "退所支援の事例を集める",
        ]

    def test_editing_saves_nothing_either(self, client, plan_admin):
        meeting = MeetingFactory(title="元の会議名")
        client.force_login(plan_admin)
        data = meeting_post(title="変えた会議名", add_row_agenda="1")
        response = client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), data)
        assert response.status_code == 200
        meeting.refresh_from_db()
        assert meeting.title == "元の会議名" and not meeting.agenda_items.exists()
        assert form_value(response, "title") == "変えた会議名"

    def test_the_rows_stop_at_the_lists_maximum(self, client, plan_admin):
        client.force_login(plan_admin)
        data = meeting_post(add_row_agenda="1", **{"agenda-TOTAL_FORMS": "50"})
        response = client.post(reverse("meetings:meeting_create"), data)
        assert form_value(response, "agenda-TOTAL_FORMS") == "50"


class TestChoosingOrganisations:
    def test_the_form_lists_only_the_chosen_organisations(self, client, plan_admin):
        chosen = OrganizationFactory(name="NPO法人ぱっぷす")
        OrganizationFactory(name="登録だけの団体")
        meeting = MeetingFactory()
        meeting.attending_organizations.add(chosen)
        client.force_login(plan_admin)
        response = client.get(reverse("meetings:meeting_edit", args=[meeting.pk]))
        boxes = select(response, ORGANIZATION_BOXES)
        assert [(box.get("value"), "checked" in box.attrs) for box in boxes] == [(str(chosen.pk), True)]
        assert "NPO法人ぱっぷす（民間団体）" in text_of(response)
        assert "登録だけの団体" not in text_of(response)

    def test_a_search_without_javascript_shows_the_matches_as_checkboxes(self, client, plan_admin):
        papps = OrganizationFactory(name="NPO法人ぱっぷす")
        colabo = OrganizationFactory(name="一般社団法人Colabo")
        OrganizationFactory(name="新宿警察署", kind="police")
        client.force_login(plan_admin)
        data = meeting_post(
            organization_search="1", organization_q="ＣＯＬＡＢＯ", attending_organizations=[str(papps.pk)]
        )
        response = client.post(reverse("meetings:meeting_create"), data)

        assert response.status_code == 200 and Meeting.objects.count() == 0
        found = select(response, f".organizations-found {ORGANIZATION_BOXES}")
        assert [(box.get("value"), "checked" in box.attrs) for box in found] == [(str(colabo.pk), False)]
        chosen = select(response, f"[data-chosen] {ORGANIZATION_BOXES}")
        assert [(box.get("value"), "checked" in box.attrs) for box in chosen] == [(str(papps.pk), True)]
        assert "新宿警察署" not in text_of(response)
        assert form_value(response, "organization_q") == "ＣＯＬＡＢＯ"

        # Ticked and saved: both attend.
        data.pop("organization_search")
        data["attending_organizations"] = [str(papps.pk), str(colabo.pk)]
        assert client.post(reverse("meetings:meeting_create"), data).status_code == 302
        assert set(Meeting.objects.get().attending_organizations.all()) == {papps, colabo}

    def test_a_search_shows_at_most_twenty_matches(self, client, plan_admin):
        Organization.objects.bulk_create(
            Organization(name=f"相談支援団体{n:03d}", kind=Organization.Kind.PRIVATE) for n in range(30)
        )
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:meeting_create"),
            meeting_post(organization_search="1", organization_q="相談支援"),
        )
        assert len(select(response, f".organizations-found {ORGANIZATION_BOXES}")) == 20

    def test_an_organisation_the_user_cannot_see_is_refused(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:meeting_create"), meeting_post(attending_organizations=["999999"])
        )
        assert response.status_code == 200 and Meeting.objects.count() == 0


@pytest.mark.parametrize("editing", [False, True])
def test_the_form_stays_the_same_size_whatever_the_registry(
    client, plan_admin, django_assert_max_num_queries, editing
):
    """Inputs for organisations and queries do not grow with the registry (issue 13: 20,000
    organisations made the page 2.4 MB)."""
    meeting = MeetingFactory()
    meeting.attending_organizations.add(*OrganizationFactory.create_batch(2), provider())
    address = (
        reverse("meetings:meeting_edit", args=[meeting.pk]) if editing else reverse("meetings:meeting_create")
    )
    client.force_login(plan_admin)
    client.get(address)  # warm the session

    def organization_inputs():
        return len(select(client.get(address), ORGANIZATION_BOXES))

    small_inputs = organization_inputs()
    small_queries = count_queries(client, address, django_assert_max_num_queries, 40)
    Organization.objects.bulk_create(
        Organization(name=f"団体{n:04d}", kind=Organization.Kind.PRIVATE) for n in range(1000)
    )
    assert organization_inputs() == small_inputs == (3 if editing else 0)
    assert count_queries(client, address, django_assert_max_num_queries, small_queries) <= small_queries
