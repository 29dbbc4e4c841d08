"""The organisation form, when the typed name is already registered: one message beside the name,
naming (and linking to) the organisation it matches, with the choices — open it, merge into it
when editing, or register anyway after confirming — and never a provider's name to someone who may
not see it."""

import pytest
from django.urls import reverse

from meetings.forms import similar_organizations_message
from meetings.models import Organization
from tests.html import field_errors, link_targets, parse, select, select_one, text_of
from tests.meetings.factories import OrganizationFactory, provider
from tests.meetings.test_organizations import organization_post

pytestmark = pytest.mark.django_db


def post_new(client, **overrides):
    return client.post(reverse("meetings:organization_create"), organization_post(**overrides))


class TestOneMessage:
    def test_the_same_name_gives_one_message_naming_and_linking_the_match(self, client, plan_admin):
        existing = OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = post_new(client, name="特定非営利活動法人 ぱっぷす")

        errors = field_errors(response, "name")
        # Before: the similar-name warning and 「名称を入力してください。」 under it.
        assert len(errors) == 1
        assert errors[0].startswith("同じ名称の団体が登録されています：特定非営利活動法人 ぱっぷす。")
        assert "名称を入力してください" not in text_of(response)
        error = select_one(response, "#id_name_error")
        assert link_targets(error, "特定非営利活動法人 ぱっぷす") == [existing.get_absolute_url()]
        # The name field is still described by the message, and the confirmation is offered.
        assert "id_name_error" in select_one(response, "#id_name").get("aria-describedby")
        assert select(response, 'input[type="checkbox"][name="confirm_similar"]')
        assert Organization.objects.count() == 1

    def test_a_similar_name_says_similar(self, client, plan_admin):
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = post_new(client, name="NPO法人ぱっぷす")
        # The legal form differs: the key is the same, so it counts as the same name.
        assert field_errors(response, "name")[0].startswith("同じ名称の団体が登録されています：")

        response = post_new(client, name="ぱっぷす東京")
        errors = field_errors(response, "name")
        assert len(errors) == 1
        assert errors[0].startswith("似た名称の団体が登録されています：特定非営利活動法人 ぱっぷす。")

    def test_registering_anyway_after_confirming(self, client, plan_admin):
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = post_new(client, name="特定非営利活動法人 ぱっぷす", confirm_similar="on")
        assert response.status_code == 302
        assert Organization.objects.filter(name="特定非営利活動法人 ぱっぷす").count() == 2

    def test_an_empty_name_still_gets_its_own_single_message(self, client, plan_admin):
        client.force_login(plan_admin)
        response = post_new(client, name="　")
        assert field_errors(response, "name") == ["名称を入力してください。"]

    def test_a_new_record_is_not_offered_a_merge(self, client, plan_admin):
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = post_new(client, name="特定非営利活動法人 ぱっぷす")
        assert "統合" not in field_errors(response, "name")[0]


class TestEditing:
    def test_renaming_to_a_registered_name_offers_the_merge(self, client, plan_admin):
        existing = OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        edited = OrganizationFactory(name="ぱっぷす（旧登録）")
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:organization_edit", args=[edited.pk]),
            organization_post(name="特定非営利活動法人 ぱっぷす"),
        )
        errors = field_errors(response, "name")
        assert len(errors) == 1
        assert "この団体を統合するには：「特定非営利活動法人 ぱっぷす」に統合する。" in errors[0]
        merge_url = reverse("meetings:organization_merge", args=[existing.pk]) + f"?remove={edited.pk}"
        assert link_targets(
            select_one(response, "#id_name_error"), "「特定非営利活動法人 ぱっぷす」に統合する"
        ) == [merge_url]
        edited.refresh_from_db()
        assert edited.name == "ぱっぷす（旧登録）"

        # The merge page opens with the record to fold in already chosen.
        page = client.get(merge_url)
        chosen = select_one(page, f'select[name="remove"] option[value="{edited.pk}"]')
        assert chosen.get("selected") is not None


class TestProviderNames:
    def test_a_providers_name_is_not_revealed_to_who_may_not_see_it(self, viewer):
        shelter = provider(name="シェルターすみれ")
        similar = Organization.objects.similar_to("シェルターすみれ")
        assert similar == [shelter]
        message = str(
            similar_organizations_message(viewer, similar, name="シェルターすみれ", editing=Organization())
        )
        assert "すみれ" not in message
        assert shelter.get_absolute_url() not in message
        assert "似た名称の団体が登録されています（名称は表示できません）。" in message
        assert "別の団体として登録するなら" in message

    def test_a_providers_name_is_shown_to_the_secretariat(self, client, plan_admin):
        shelter = provider(name="シェルターすみれ")
        client.force_login(plan_admin)
        response = post_new(client, name="シェルターすみれ")
        assert link_targets(select_one(response, "#id_name_error"), "シェルターすみれ") == [
            shelter.get_absolute_url()
        ]

    def test_visible_and_hidden_matches_together(self, viewer):
        OrganizationFactory(name="すみれの会")
        provider(name="すみれの会 本部")
        similar = Organization.objects.similar_to("すみれの会")
        assert len(similar) == 2
        message = str(
            similar_organizations_message(viewer, similar, name="すみれの会", editing=Organization())
        )
        html = parse(message)
        assert [text_of(a) for a in select(html, "a")] == ["すみれの会"]
        assert "本部" not in message
        assert "ほかにも、名称を表示できない似た名称の団体が登録されています。" in message


def test_the_form_posts_with_csrf(client, plan_admin):
    client.force_login(plan_admin)
    page = client.get(reverse("meetings:organization_create"))
    assert select(page, 'form[method="post"] input[name="csrfmiddlewaretoken"]')
