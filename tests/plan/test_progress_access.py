"""Who may edit which measure's progress: one rule, the same in the views, the admin and the import."""

import pytest
from django.urls import reverse

from plan.accounts.roles import Role
from plan.models import Department, MeasureProgress
from plan.progress.access import can_edit_progress, progress_editable_by
from plan.progress.services import responsibility_confirm
from tests.factories import UserFactory, welfare_division
from tests.html import link_targets, text_of

GOOD = {"assessment": "on_track", "direction": "continue", "achievements": "実施した", "issues": "", "next_steps": ""}


def record(number):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=2025)


def edit_url(number):
    return reverse("plan:progress_edit", args=[2025, number])


def edit_links(response):
    """The progress edit forms the page links to (without the ?next= back to the page)."""
    return {target.split("?")[0] for target in link_targets(response) if "/edit/" in target}


def bureau(name):
    return Department.objects.get(name=name, parent__isnull=True)


class TestAnotherDepartmentsMeasure:
    # No. 111 (生命の安全教育) is 教育庁's; bureau_staff belong to a 福祉局 division.

    def test_bureau_staff_get_403_on_its_edit_page_by_get_and_post(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        assert client.get(edit_url(111)).status_code == 403
        assert client.post(edit_url(111), {"expected_version": 1, **GOOD}).status_code == 403
        assert record(111).version == 1 and record(111).achievements == ""

    def test_they_still_read_it_without_an_edit_link(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        page = client.get(reverse("plan:measure_detail", args=[111]))
        assert "令和7年度（2025年度）" in text_of(page) and "教育庁" in text_of(page)
        assert edit_links(page) == set()
        assert edit_links(client.get(reverse("plan:measure_detail", args=[86]))) == {edit_url(86)}

    def test_the_list_offers_edit_links_only_for_their_measures(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        page = client.get(reverse("plan:progress_list"), {"year": 2025})
        assert edit_url(86) in edit_links(page) and edit_url(111) not in edit_links(page)


@pytest.mark.parametrize("role_fixture", ["viewer", "municipal_officer"])
def test_read_only_roles_get_403_on_edit_and_read_the_list(request, client, role_fixture, year_2025):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(edit_url(86)).status_code == 403
    assert client.post(edit_url(86), {"expected_version": 1, **GOOD}).status_code == 403
    assert record(86).version == 1
    page = client.get(reverse("plan:progress_list"), {"year": 2025})
    assert "女性相談支援センターのDX" in text_of(page) and edit_links(page) == set()


def test_anonymous_users_are_sent_to_log_in(client, year_2025):
    for url in (edit_url(86), reverse("plan:progress_list")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(edit_url(86), {"expected_version": 1, **GOOD}).status_code == 302
    assert record(86).version == 1


@pytest.mark.parametrize(
    "url_name,kwargs",
    [
        ("plan:progress_years", {}),
        ("plan:progress_export", {"year": 2025}),
        ("plan:progress_import", {}),
        ("plan:responsibilities", {}),
    ],
)
def test_the_secretariats_pages_refuse_bureau_staff(client, bureau_staff, plan_admin, year_2025, url_name, kwargs):
    client.force_login(bureau_staff)
    assert client.get(reverse(url_name, kwargs=kwargs)).status_code == 403
    client.force_login(plan_admin)
    assert client.get(reverse(url_name, kwargs=kwargs)).status_code == 200


class TestTheRule:
    def test_a_division_covers_measures_of_its_bureau(self, bureau_staff, year_2025):
        assert can_edit_progress(bureau_staff, record(86))  # 福祉局's measure, user in a 福祉局 division
        assert not can_edit_progress(bureau_staff, record(111))

    def test_a_bureau_covers_its_own_and_its_divisions_measures_only(self, plan_admin, year_2025):
        education = UserFactory(role=Role.BUREAU_STAFF, departments=[bureau("教育庁")])
        welfare = UserFactory(role=Role.BUREAU_STAFF, departments=[bureau("福祉局")])
        assert can_edit_progress(education, record(111)) and not can_edit_progress(education, record(86))
        # Narrow No. 86 to the division: the bureau still covers it, the other bureau still does not.
        responsibility = record(86).measure.responsibility
        responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
        assert can_edit_progress(welfare, record(86))
        assert not can_edit_progress(education, record(86))

    def test_a_division_does_not_cover_another_division(self, plan_admin, year_2025):
        other_division = Department.objects.create(
            name="生活福祉部 計画課", parent=bureau("福祉局"), level=Department.Level.DIVISION, position=2
        )
        staff = UserFactory(role=Role.BUREAU_STAFF, departments=[other_division])
        responsibility = record(86).measure.responsibility
        responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
        assert not can_edit_progress(staff, record(86))
        assert can_edit_progress(staff, record(85))  # still 福祉局 as a whole

    def test_plan_admins_edit_everything_and_read_only_roles_nothing(self, plan_admin, viewer, municipal_officer, year_2025):
        records = MeasureProgress.objects.filter(fiscal_year=2025)
        assert progress_editable_by(plan_admin).filter(fiscal_year=2025).count() == 120
        for user in (viewer, municipal_officer):
            assert not progress_editable_by(user).exists()
            assert not any(can_edit_progress(user, r) for r in records.prefetch_related("departments"))

    def test_the_queryset_and_the_record_method_agree(self, bureau_staff, year_2025):
        records = MeasureProgress.objects.filter(fiscal_year=2025).prefetch_related("departments")
        by_method = {r.pk for r in records if can_edit_progress(bureau_staff, r)}
        by_queryset = set(progress_editable_by(bureau_staff).filter(fiscal_year=2025).values_list("pk", flat=True))
        assert by_method == by_queryset
        assert 50 < len(by_method) < 120  # 福祉局's measures, not everything

    def test_a_deactivated_department_grants_nothing(self, bureau_staff, year_2025):
        Department.objects.filter(pk=welfare_division().pk).update(is_active=False)
        bureau_staff.refresh_from_db()
        assert not can_edit_progress(bureau_staff, record(86))
