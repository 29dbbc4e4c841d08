"""The shared organisation registry: roles with periods, warnings about similar names, and the
names of temporary-protection providers kept from everyone but the secretariat and case-permission
holders — in lists, search, meeting pages and the admin."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Organization, OrganizationRole
from meetings.names import names_are_similar, organization_name_key
from tests.html import field_errors, rows_of, select, select_one, source_of, text_of, texts_of
from tests.meetings.factories import MeetingFactory, OrganizationFactory, OrganizationRoleFactory, provider
from tests.meetings.helpers import formset_management

SECRET = "シェルターすみれ"
MASK = "一時保護委託先（非公開）"
CANNOT_SEE = ["viewer", "municipal_officer", "other_officer", "bureau_staff"]
CAN_SEE = ["plan_admin", "case_handler"]


def organization_post(**overrides):
    data = {
        "name": "特定非営利活動法人 ぱっぷす",
        "kind": "private",
        "note": "",
        **formset_management("roles", 1),
    }
    data.update({"roles-0-role": "metro_partner", "roles-0-start_date": "2024-04-01"})
    data.update(overrides)
    return data


class TestProviderNames:
    @pytest.fixture
    def shelter(self, db):
        shelter = provider(SECRET)
        meeting = MeetingFactory(title="実務者会議")
        meeting.attending_organizations.add(shelter, OrganizationFactory(name="NPO法人ぱっぷす"))
        return shelter

    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_the_list_masks_the_name(self, client, shelter, role, request):
        client.force_login(request.getfixturevalue(role))
        response = client.get(reverse("meetings:organization_list"))
        assert SECRET not in source_of(response)
        assert MASK in text_of(response)
        assert "NPO法人ぱっぷす" in text_of(response)
        assert shelter.get_absolute_url() not in source_of(response)

    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_searching_for_the_name_finds_nothing_and_confirms_nothing(self, client, shelter, role, request):
        client.force_login(request.getfixturevalue(role))
        for query in ("すみれ", SECRET, "シェルター"):
            response = client.get(reverse("meetings:organization_list"), {"q": query})
            assert "該当する団体はありません。" in text_of(response), query
            assert MASK not in " ".join(texts_of(response, "table.organizations"))

    @pytest.mark.parametrize("role", CANNOT_SEE)
    def test_its_page_is_404_and_meeting_pages_mask_it(self, client, shelter, role, request):
        client.force_login(request.getfixturevalue(role))
        assert client.get(shelter.get_absolute_url()).status_code == 404
        meeting_page = client.get(shelter.meetings_attended.get().get_absolute_url())
        assert SECRET not in source_of(meeting_page)
        assert MASK in text_of(meeting_page)

    @pytest.mark.parametrize("role", CAN_SEE)
    def test_the_secretariat_and_case_holders_see_it(self, client, shelter, role, request):
        client.force_login(request.getfixturevalue(role))
        assert SECRET in text_of(client.get(reverse("meetings:organization_list")))
        assert SECRET in text_of(client.get(reverse("meetings:organization_list"), {"q": "すみれ"}))
        assert SECRET in text_of(client.get(shelter.get_absolute_url()))
        assert SECRET in text_of(client.get(shelter.meetings_attended.get().get_absolute_url()))

    def test_a_former_provider_stays_masked(self, client, viewer):
        shelter = OrganizationFactory(name=SECRET)
        OrganizationRoleFactory(
            organization=shelter,
            role=OrganizationRole.Kind.TEMPORARY_PROTECTION,
            start_date=datetime.date(2020, 4, 1),
            end_date=datetime.date(2023, 3, 31),
        )
        client.force_login(viewer)
        assert SECRET not in source_of(client.get(reverse("meetings:organization_list")))

    def test_masked_rows_sort_last_whatever_the_name(self, client, viewer):
        provider("あああ一時保護施設")
        OrganizationFactory(name="んんん団体")
        client.force_login(viewer)
        table = select_one(client.get(reverse("meetings:organization_list")), "table.organizations")
        names = [row[0] for row in rows_of(table)[1:]]
        assert names.index("んんん団体") < names.index(MASK)

    def test_everyone_sees_the_number_of_providers(self, client, viewer, shelter):
        provider("別のシェルター")
        client.force_login(viewer)
        assert "一時保護委託先：2 団体" in texts_of(client.get(reverse("meetings:organization_list")), "ul.role-counts li")

    def test_the_admin_masks_the_name_for_a_superuser_without_the_right(self, client, shelter, system_operator):
        client.force_login(system_operator)
        changelist = reverse("admin:meetings_organization_changelist")
        response = client.get(changelist)
        assert SECRET not in source_of(response) and MASK in text_of(response)
        assert SECRET not in source_of(client.get(changelist, {"q": "すみれ"}))
        change = reverse("admin:meetings_organization_change", args=[shelter.pk])
        assert client.get(change).status_code == 403
        assert (
            client.get(reverse("admin:meetings_organization_history", args=[shelter.pk])).status_code == 403
        )
        meeting_change = reverse("admin:meetings_meeting_change", args=[shelter.meetings_attended.get().pk])
        meeting_form = client.get(meeting_change)
        assert SECRET not in source_of(meeting_form) and MASK in text_of(meeting_form)

    def test_the_admin_shows_the_name_to_the_secretariat(self, client, plan_admin, shelter):
        client.force_login(plan_admin)
        assert SECRET in text_of(client.get(reverse("admin:meetings_organization_changelist")))
        assert client.get(reverse("admin:meetings_organization_change", args=[shelter.pk])).status_code == 200


class TestEnteringOrganizations:
    def test_the_secretariat_registers_an_organisation_with_a_role(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(reverse("meetings:organization_create"), organization_post())
        organization = Organization.objects.get()
        assert response["Location"] == organization.get_absolute_url()
        assert organization.name == "特定非営利活動法人 ぱっぷす"
        role = organization.roles.get()
        assert (role.role, role.start_date, role.end_date) == (
            "metro_partner",
            datetime.date(2024, 4, 1),
            None,
        )
        assert organization.history.latest().history_user == plan_admin

    def test_full_width_letters_and_spaces_are_tidied(self, client, plan_admin):
        client.force_login(plan_admin)
        client.post(reverse("meetings:organization_create"), organization_post(name="ＮＰＯ法人　ぱっぷす　"))
        assert Organization.objects.get().name == "NPO法人 ぱっぷす"

    def test_a_similar_name_is_warned_about_and_needs_confirmation(self, client, plan_admin):
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:organization_create"), organization_post(name="NPO法人ぱっぷす")
        )
        assert text_of(response).count("同じ名称の団体が登録されています：特定非営利活動法人 ぱっぷす") == 1
        assert select(response, 'input[type="checkbox"][name="confirm_similar"]')  # to confirm it is another
        assert Organization.objects.count() == 1

        client.post(
            reverse("meetings:organization_create"),
            organization_post(name="NPO法人ぱっぷす", confirm_similar="on"),
        )
        assert Organization.objects.count() == 2

    def test_a_different_name_is_not_warned_about(self, client, plan_admin):
        OrganizationFactory(name="特定非営利活動法人 ぱっぷす")
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:organization_create"), organization_post(name="社会福祉法人 東京愛育会")
        )
        assert response.status_code == 302

    def test_an_end_date_before_the_start_is_refused(self, client, plan_admin):
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:organization_create"),
            organization_post(**{"roles-0-end_date": "2023-03-31"}),
        )
        assert field_errors(response, "roles-0-end_date") == ["終了日は開始日以降にしてください。"]
        assert not Organization.objects.exists()

    def test_a_partner_role_needs_a_private_organisation(self, client, plan_admin):
        client.force_login(plan_admin)
        page = text_of(
            client.post(
                reverse("meetings:organization_create"), organization_post(kind="police", name="新宿警察署")
            )
        )
        assert "協働の役割は、種別が「民間団体」の団体にだけ設定できます。" in page
        assert not Organization.objects.exists()

    @pytest.mark.parametrize(
        "role", ["viewer", "municipal_officer", "other_officer", "bureau_staff", "case_handler"]
    )
    def test_only_the_secretariat_enters_or_changes_organisations(self, client, db, role, request):
        existing = OrganizationFactory(name="元の名称")
        client.force_login(request.getfixturevalue(role))
        assert client.post(reverse("meetings:organization_create"), organization_post()).status_code == 403
        response = client.post(
            reverse("meetings:organization_edit", args=[existing.pk]), organization_post(name="改ざん")
        )
        assert response.status_code == 403
        assert list(Organization.objects.values_list("name", flat=True)) == ["元の名称"]


class TestRolesAndCounts:
    def test_roles_count_only_while_active(self, db):
        day = datetime.date(2026, 3, 31)
        active = OrganizationRoleFactory(start_date=datetime.date(2024, 4, 1))
        OrganizationRoleFactory(start_date=datetime.date(2024, 4, 1), end_date=datetime.date(2025, 3, 31))
        OrganizationRoleFactory(start_date=datetime.date(2026, 4, 1))
        partners = Organization.objects.with_role_on(OrganizationRole.Kind.METRO_PARTNER, day)
        assert list(partners) == [active.organization]

    def test_the_municipal_partner_role_exists_for_the_returns(self):
        assert OrganizationRole.Kind.MUNICIPAL_PARTNER.label == "区市町村と協働"


class TestSimilarNames:
    @pytest.mark.parametrize(
        "first, second",
        [
            ("特定非営利活動法人 ぱっぷす", "NPO法人ぱっぷす"),
            ("ＮＰＯ法人　ぱっぷす", "ぱっぷす"),
            ("一般社団法人Colabo", "一般社団法人 Ｃｏｌａｂｏ"),
            ("社会福祉法人 東京愛育会", "（福）東京愛育会"),
            ("女性支援ネットワーク東京", "女性支援ネットワーク・東京"),
            ("かながわ女のスペースみずら", "かながわ女のスペース・みずら"),
        ],
    )
    def test_alike(self, first, second):
        assert names_are_similar(first, second)

    @pytest.mark.parametrize(
        "first, second",
        [
            ("特定非営利活動法人 ぱっぷす", "社会福祉法人 東京愛育会"),
            ("新宿警察署", "渋谷警察署"),
            ("一般社団法人Colabo", "一般社団法人BONDプロジェクト"),
        ],
    )
    def test_not_alike(self, first, second):
        assert not names_are_similar(first, second)

    def test_the_key_keeps_katakana_long_vowels(self):
        assert organization_name_key("NPO法人 シェルター") == "シェルター".lower()
