"""Who sees and changes which annual return (municipalities.access), one test per rule, and the
same rules in the services and the admin."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from municipalities import access, services
from municipalities.models import AnnualReturn, ReturnState
from tests.factories import Role, UserFactory, municipality
from tests.municipalities.factories import YEAR, complete_values, open_round, return_of, save, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def round(plan_admin):
    return open_round(YEAR, plan_admin)


@pytest.fixture
def shinjuku(round):
    return return_of(round, "新宿区")


@pytest.fixture
def hachioji(round):
    return return_of(round, "八王子市")


@pytest.fixture
def colleague(db):
    return UserFactory(username="shinjuku2", role=Role.MUNICIPAL_OFFICER, municipality=municipality("新宿区"))


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


class TestSeeing:
    def test_an_officer_sees_only_their_municipalitys_returns(self, municipal_officer, shinjuku, round):
        assert list(access.returns_visible_to(municipal_officer)) == [shinjuku]
        assert access.can_see_return(municipal_officer, shinjuku)

    def test_several_officers_of_one_municipality_see_its_return(self, municipal_officer, colleague, shinjuku):
        assert list(access.returns_visible_to(colleague)) == [shinjuku]

    def test_another_municipalitys_return_is_not_found(self, municipal_officer, hachioji):
        assert not access.can_see_return(municipal_officer, hachioji)
        with pytest.raises(Http404):
            access.get_return_for_user_or_404(request_by(municipal_officer), hachioji.pk)
        with pytest.raises(Http404):
            access.get_return_for_editing_or_404(request_by(municipal_officer), hachioji.pk)

    def test_an_officer_gets_their_own_return(self, municipal_officer, shinjuku):
        assert access.get_return_for_user_or_404(request_by(municipal_officer), shinjuku.pk) == shinjuku
        assert access.get_return_for_editing_or_404(request_by(municipal_officer), shinjuku.pk) == shinjuku

    def test_the_secretariat_sees_every_return(self, plan_admin, round):
        assert access.returns_visible_to(plan_admin).count() == 62
        assert access.can_review_returns(plan_admin)

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "case_handler"])
    def test_viewers_and_bureau_staff_see_no_returns(self, request, role, shinjuku):
        user = request.getfixturevalue(role)
        assert not access.returns_visible_to(user).exists()
        assert not access.rounds_visible_to(user).exists()
        assert not access.can_review_returns(user)
        with pytest.raises(Http404):
            access.get_return_for_user_or_404(request_by(user), shinjuku.pk)

    def test_an_officer_not_linked_to_a_municipality_sees_nothing(self, shinjuku):
        unlinked = UserFactory(role=Role.MUNICIPAL_OFFICER)
        assert not access.returns_visible_to(unlinked).exists() and not access.can_see_returns(unlinked)

    def test_a_deactivated_officer_sees_nothing(self, municipal_officer, shinjuku):
        municipal_officer.is_active = False
        assert not access.returns_visible_to(municipal_officer).exists()

    def test_a_system_operator_does_not_see_the_returns(self, shinjuku):
        from tests.factories import operator

        assert not access.returns_visible_to(operator()).exists()

    def test_officers_see_the_rounds_and_the_transitions_of_their_returns(
        self, municipal_officer, other_officer, shinjuku, round
    ):
        returned = submitted(shinjuku, municipal_officer)
        assert list(access.rounds_visible_to(municipal_officer)) == [round]
        assert access.transitions_visible_to(municipal_officer).get().annual_return == returned
        assert not access.transitions_visible_to(other_officer).exists()


class TestChanging:
    def test_an_officer_edits_their_own_draft(self, municipal_officer, shinjuku):
        assert access.can_edit_return(municipal_officer, shinjuku)
        assert access.can_submit_return(municipal_officer, shinjuku)

    def test_an_officer_cannot_change_another_municipalitys_return(self, municipal_officer, hachioji):
        assert not access.can_edit_return(municipal_officer, hachioji)
        with pytest.raises(PermissionDenied):
            services.annual_return_save_draft(
                annual_return=hachioji, values={"plan_name": "x"}, expected_version=hachioji.version, user=municipal_officer
            )
        with pytest.raises(PermissionDenied):
            services.annual_return_submit(annual_return=hachioji, expected_version=hachioji.version, user=municipal_officer)
        hachioji.refresh_from_db()
        assert hachioji.plan_name == "" and hachioji.state == ReturnState.DRAFT

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff"])
    def test_viewers_and_bureau_staff_change_nothing(self, request, role, shinjuku):
        user = request.getfixturevalue(role)
        assert not access.can_edit_return(user, shinjuku)
        with pytest.raises(PermissionDenied):
            save(shinjuku, user, plan_name="x")

    def test_the_secretariat_may_fill_in_a_return_for_a_municipality(self, plan_admin, shinjuku):
        assert access.can_edit_return(plan_admin, shinjuku)
        assert save(shinjuku, plan_admin, **complete_values()).entered_by_secretariat

    def test_nobody_edits_a_submitted_return(self, municipal_officer, plan_admin, shinjuku):
        returned = submitted(shinjuku, municipal_officer)
        assert not access.can_edit_return(municipal_officer, returned)
        assert not access.can_edit_return(plan_admin, returned)
        assert access.may_change_return(municipal_officer, returned)  # the page then says why

    def test_withdrawal_is_the_officers_and_review_the_secretariats(self, municipal_officer, plan_admin, shinjuku):
        returned = submitted(shinjuku, municipal_officer)
        assert access.can_withdraw_return(municipal_officer, returned)
        assert not access.can_withdraw_return(plan_admin, returned)
        assert access.can_accept_return(plan_admin, returned) and access.can_send_back_return(plan_admin, returned)
        assert not access.can_accept_return(municipal_officer, returned)
        assert not access.can_send_back_return(municipal_officer, returned)
        accepted = services.annual_return_accept(annual_return=returned, user=plan_admin)
        assert access.can_reopen_return(plan_admin, accepted) and not access.can_reopen_return(municipal_officer, accepted)

    def test_the_review_helper_refuses_officers(self, municipal_officer, plan_admin, shinjuku):
        with pytest.raises(PermissionDenied):
            access.get_return_for_review_or_404(request_by(municipal_officer), shinjuku.pk)
        assert access.get_return_for_review_or_404(request_by(plan_admin), shinjuku.pk) == shinjuku


class TestAdmin:
    def test_officers_do_not_get_into_the_admin(self, client, municipal_officer, shinjuku):
        client.force_login(municipal_officer)
        response = client.get(reverse("admin:municipalities_annualreturn_change", args=[shinjuku.pk]))
        assert response.status_code == 302 and "login" in response["Location"]

    def test_the_secretariat_lists_and_opens_returns(self, client, plan_admin, shinjuku):
        client.force_login(plan_admin)
        assert client.get(reverse("admin:municipalities_annualreturn_changelist")).status_code == 200
        assert client.get(reverse("admin:municipalities_annualreturn_change", args=[shinjuku.pk])).status_code == 200

    def test_opening_a_submitted_return_in_the_admin_marks_it_opened(self, client, plan_admin, municipal_officer, shinjuku):
        returned = submitted(shinjuku, municipal_officer)
        client.force_login(plan_admin)
        client.get(reverse("admin:municipalities_annualreturn_change", args=[returned.pk]))
        returned.refresh_from_db()
        assert returned.opened_by_secretariat_at is not None and returned.opened_by_secretariat_by == plan_admin
        assert not access.can_withdraw_return(municipal_officer, returned)

    def test_an_admin_save_goes_through_the_service(self, client, plan_admin, shinjuku):
        client.force_login(plan_admin)
        url = reverse("admin:municipalities_annualreturn_change", args=[shinjuku.pk])
        form = _admin_form_data(client, url)
        form["plan_name"] = "管理画面から入力した計画"
        form["workers_full_time"] = "１２"
        response = client.post(url, form)
        assert response.status_code == 302, response.content.decode()[:3000]
        shinjuku.refresh_from_db()
        assert shinjuku.plan_name == "管理画面から入力した計画" and shinjuku.workers_full_time == 12
        assert shinjuku.version == 2 and shinjuku.entered_by_secretariat
        assert shinjuku.history.latest().history_change_reason == "下書き保存"

    def test_a_stale_admin_save_is_refused(self, client, plan_admin, municipal_officer, shinjuku):
        client.force_login(plan_admin)
        url = reverse("admin:municipalities_annualreturn_change", args=[shinjuku.pk])
        form = _admin_form_data(client, url)
        save(shinjuku, municipal_officer, plan_name="担当者の入力")
        form["plan_name"] = "事務局の入力"
        response = client.post(url, form)
        assert response.status_code == 200 and "保存しませんでした" in response.content.decode()
        shinjuku.refresh_from_db()
        assert shinjuku.plan_name == "担当者の入力"

    def test_the_workflow_cannot_be_edited_in_the_admin(self, client, plan_admin, shinjuku):
        client.force_login(plan_admin)
        url = reverse("admin:municipalities_annualreturn_change", args=[shinjuku.pk])
        form = _admin_form_data(client, url) | {"state": ReturnState.ACCEPTED}
        client.post(url, form)
        shinjuku.refresh_from_db()
        assert shinjuku.state == ReturnState.DRAFT
        assert client.get(reverse("admin:municipalities_annualreturn_add")).status_code == 403
        assert client.get(reverse("admin:municipalities_returntransition_add")).status_code == 403

    def test_the_accept_action_reports_each_return(self, client, plan_admin, municipal_officer, shinjuku, hachioji):
        submitted(shinjuku, municipal_officer)
        client.force_login(plan_admin)
        response = client.post(
            reverse("admin:municipalities_annualreturn_changelist"),
            {"action": "accept_returns", "_selected_action": [shinjuku.pk, hachioji.pk]},
            follow=True,
        )
        assert "1件を受理しました" in response.content.decode()
        assert AnnualReturn.objects.get(pk=shinjuku.pk).state == ReturnState.ACCEPTED
        assert AnnualReturn.objects.get(pk=hachioji.pk).state == ReturnState.DRAFT


def _admin_form_data(client, url) -> dict:
    """The change form's fields as the page fills them (inline management forms included)."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list):
            data[name] = [getattr(item, "pk", item) for item in value]
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return data


class TestRoundsAndCoursesInTheAdmin:
    def test_opening_a_round_in_the_admin_opens_it_through_the_service(self, client, plan_admin):
        from municipalities.models import ReturnRound
        from tests.municipalities.factories import deadline_for

        client.force_login(plan_admin)
        response = client.post(
            reverse("admin:municipalities_returnround_add"),
            {"fiscal_year": 2026, "deadline": deadline_for(2026).isoformat(), "message": "ご報告ください。"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        round = ReturnRound.objects.get(fiscal_year=2026)
        assert round.opened_by == plan_admin and round.returns.count() == 62
        again = client.post(
            reverse("admin:municipalities_returnround_add"),
            {"fiscal_year": 2026, "deadline": deadline_for(2026).isoformat(), "message": ""},
        )
        assert again.status_code == 200 and "既に開始されています" in again.content.decode()

        client.post(
            reverse("admin:municipalities_returnround_changelist"),
            {"action": "close_rounds", "_selected_action": [round.pk]},
        )
        round.refresh_from_db()
        assert round.is_closed and round.closed_by == plan_admin

    def test_a_course_is_recorded_in_the_admin_with_its_topics(self, client, plan_admin):
        from municipalities.models import TrainingCourse

        client.force_login(plan_admin)
        response = client.post(
            reverse("admin:municipalities_trainingcourse_add"),
            {
                "fiscal_year": YEAR,
                "name": "管理画面で登録した研修",
                "start_date": "2025-10-01",
                "topics": ["domestic_violence", "women"],
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        course = TrainingCourse.objects.get(name="管理画面で登録した研修")
        assert course.topics == ["women", "domestic_violence"]
        assert course.history.latest().history_user == plan_admin
