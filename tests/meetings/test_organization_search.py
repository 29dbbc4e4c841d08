"""Organisations are chosen by a search on the server (issue 13): in the app's meeting form through
meetings:organization_search (JSON, at most 20 matches), in the admin through autocomplete_fields.
Both name organisations as the pages do: a temporary-protection provider's name never reaches
whoever may not see it, not even by searching for it."""

import json

import pytest
from django.urls import reverse

from meetings.models import Organization
from tests.meetings.factories import OrganizationFactory, provider
from tests.queries import count_queries

SEARCH = "meetings:organization_search"
MASK = "一時保護委託先（非公開）"
CANNOT_SEE = ["viewer", "municipal_officer", "bureau_staff", "other_officer"]
CAN_SEE = ["plan_admin", "case_handler"]


def search(client, query):
    response = client.get(reverse(SEARCH), {"q": query})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response


def labels(response):
    return [row["label"] for row in json.loads(response.content)["results"]]


@pytest.fixture
def registry(db):
    return {
        "papps": OrganizationFactory(name="特定非営利活動法人ぱっぷす"),
        "colabo": OrganizationFactory(name="一般社団法人Colabo"),
        "police": OrganizationFactory(name="新宿警察署", kind="police"),
        "sumire": provider("シェルターすみれ"),
        "friends": OrganizationFactory(name="シェルターすみれ友の会"),
    }


class TestTheSearch:
    def test_it_finds_names_whatever_the_width_case_or_legal_form_typed(self, client, plan_admin, registry):
        client.force_login(plan_admin)
        assert labels(search(client, "ｃｏｌａｂｏ")) == ["一般社団法人Colabo（民間団体）"]
        assert labels(search(client, "NPO法人 ぱっぷす")) == ["特定非営利活動法人ぱっぷす（民間団体）"]
        assert labels(search(client, "警察")) == ["新宿警察署（警察）"]
        assert labels(search(client, "")) == []
        assert labels(search(client, "どこにもない名前")) == []

    def test_it_returns_at_most_twenty_by_name(self, client, plan_admin):
        Organization.objects.bulk_create(
            Organization(name=f"相談支援団体{n:03d}", kind=Organization.Kind.PRIVATE) for n in range(45)
        )
        client.force_login(plan_admin)
        found = labels(search(client, "相談支援"))
        assert found == [f"相談支援団体{n:03d}（民間団体）" for n in range(20)]

    def test_it_runs_the_same_queries_whatever_the_registry(
        self, client, plan_admin, registry, django_assert_max_num_queries
    ):
        OrganizationFactory(name="地域の支援団体")
        client.force_login(plan_admin)
        address = f"{reverse(SEARCH)}?q=団体"
        client.get(address)  # warm the session
        small = count_queries(client, address, django_assert_max_num_queries, 15)
        Organization.objects.bulk_create(
            Organization(name=f"団体{n:04d}", kind=Organization.Kind.PRIVATE) for n in range(2000)
        )
        assert count_queries(client, address, django_assert_max_num_queries, small) <= small
        assert len(labels(search(client, "団体"))) == 20

    def test_anonymous_users_are_sent_to_log_in(self, client, registry):
        response = client.get(reverse(SEARCH), {"q": "すみれ"})
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_an_account_without_a_role_gets_nothing(self, client, no_role, registry):
        client.force_login(no_role)
        response = client.get(reverse(SEARCH), {"q": "シェルター"})
        assert response.status_code == 403
        assert "すみれ" not in response.content.decode()


class TestProvidersNames:
    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_a_provider_is_never_found_nor_named(self, client, registry, role, request):
        client.force_login(request.getfixturevalue(role))
        for query in ("すみれ", "シェルター", "シェルターすみれ", "ｼｪﾙﾀｰ", "友の会"):
            response = search(client, query)
            assert "すみれ" not in response.content.decode("utf-8"), query
        # The rest of the registry is found as usual.
        assert labels(search(client, "ぱっぷす")) == ["特定非営利活動法人ぱっぷす（民間団体）"]

    @pytest.mark.parametrize("role", CAN_SEE)
    def test_the_secretariat_and_case_holders_find_it(self, client, registry, role, request):
        client.force_login(request.getfixturevalue(role))
        assert labels(search(client, "すみれ")) == [
            "シェルターすみれ（民間団体）",
            "シェルターすみれ友の会（民間団体）",
        ]


class TestTheAdminsAutocomplete:
    """The admin's meeting form chooses organisations with autocomplete_fields: its JSON goes through
    the organisation admin's get_queryset and get_search_results."""

    def autocomplete(self, client, term):
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "meetings",
                "model_name": "meeting",
                "field_name": "attending_organizations",
                "term": term,
            },
        )
        assert response.status_code == 200
        return response

    def test_the_meeting_form_has_a_search_not_every_organisation(self, plan_admin_client, registry):
        response = plan_admin_client.get(reverse("admin:meetings_meeting_add"))
        page = response.content.decode()
        assert "data-autocomplete-light" in page or "admin-autocomplete" in page
        assert "新宿警察署" not in page and "ぱっぷす" not in page

    def test_the_secretariat_finds_organisations_and_providers(self, plan_admin_client, registry):
        texts = [
            row["text"]
            for row in json.loads(self.autocomplete(plan_admin_client, "すみれ").content)["results"]
        ]
        assert sorted(texts) == ["シェルターすみれ", "シェルターすみれ友の会"]

    def test_a_system_operator_never_sees_a_providers_name(self, client, system_operator, registry):
        """A superuser who is neither the secretariat nor a case holder: a provider's name is masked,
        inside another organisation's name too, and searching for it finds nothing."""
        client.force_login(system_operator)
        for term in ("", "すみれ", "シェルター", "シェルターすみれ", "友の会"):
            response = self.autocomplete(client, term)
            assert "すみれ" not in response.content.decode("utf-8"), term
            ids = [int(row["id"]) for row in json.loads(response.content)["results"]]
            if term:
                assert registry["sumire"].pk not in ids, term
        listed = json.loads(self.autocomplete(client, "").content)["results"]
        assert {"id": str(registry["sumire"].pk), "text": MASK} in listed
        assert {"id": str(registry["friends"].pk), "text": f"{MASK}友の会"} in listed
        assert {"id": str(registry["papps"].pk), "text": "特定非営利活動法人ぱっぷす"} in listed

    def test_a_chosen_provider_shows_masked_on_the_form(self, client, system_operator, registry):
        from tests.meetings.factories import MeetingFactory

        meeting = MeetingFactory()
        meeting.attending_organizations.add(registry["sumire"], registry["papps"])
        client.force_login(system_operator)
        page = client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).content.decode()
        assert "すみれ" not in page
        assert MASK in page and "特定非営利活動法人ぱっぷす" in page


class TestByIds:
    """?ids=: the names of organisations chosen before an expired session, to put them back."""

    def ids(self, client, text):
        response = client.get(reverse(SEARCH), {"ids": text})
        assert response.status_code == 200
        return response

    def test_the_secretariat_gets_them_named(self, client, plan_admin, registry):
        client.force_login(plan_admin)
        text = f"{registry['police'].pk},{registry['sumire'].pk},abc,²,99999999999999999999,"
        assert labels(self.ids(client, text)) == ["シェルターすみれ（民間団体）", "新宿警察署（警察）"]

    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_a_provider_is_named_by_the_mask(self, client, registry, role, request):
        client.force_login(request.getfixturevalue(role))
        response = self.ids(client, f"{registry['sumire'].pk},{registry['friends'].pk}")
        assert "すみれ" not in response.content.decode("utf-8")
        assert labels(response) == [f"{MASK}友の会（民間団体）", f"{MASK}（民間団体）"]
