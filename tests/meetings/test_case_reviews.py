"""Individual case reviews are about one woman: only holders of the case permission see the records,
everyone else (plan administrators included) gets a 404 and counts."""

import datetime
import re

import pytest
from django.urls import reverse

from meetings.models import CaseReview, CaseReviewParticipant
from tests.html import field_errors, form_value, link_targets, source_of, text_of
from tests.meetings.factories import OrganizationFactory, case_review, provider

PERSONAL = re.compile(
    r"name|氏名|名前|住所|address|電話|phone|tel|mail|連絡先|birth|生年月日|年齢|age|支援方針|support_?plan|支援計画",
    re.I,
)

NO_CASE_PERMISSION = ["viewer", "municipal_officer", "other_officer", "bureau_staff", "plan_admin"]


def case_urls(review):
    return [
        reverse("meetings:case_review_list"),
        reverse("meetings:case_review_create"),
        reverse("meetings:case_review_edit", args=[review.pk]),
        reverse("meetings:case_review_download"),
    ]


def form_data(**overrides):
    data = {"case_code": "C-2025-001", "date": "2025-06-01", "woman_attended": "True"}
    data.update(overrides)
    return data


class TestTheRecordHoldsNothingPersonal:
    def test_no_field_could_hold_her_name_address_contact_birth_date_or_support_plan(self):
        for model in (CaseReview, CaseReviewParticipant):
            for field in model._meta.get_fields():
                verbose = str(getattr(field, "verbose_name", ""))
                assert not PERSONAL.search(field.name), f"{model.__name__}.{field.name}"
                assert not PERSONAL.search(verbose), f"{model.__name__}.{field.name}: {verbose}"

    def test_the_only_free_text_is_a_short_note_on_why_she_did_not_take_part(self):
        from django.db import models

        text_fields = [
            f.name
            for f in CaseReview._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField)
        ]
        assert sorted(text_fields) == ["absence_note", "absence_reason", "case_code"]
        assert CaseReview._meta.get_field("absence_note").max_length == 100
        assert CaseReview._meta.get_field("case_code").max_length == 20

    def test_the_form_warns_not_to_write_personal_data(self, client, case_handler):
        client.force_login(case_handler)
        page = text_of(client.get(reverse("meetings:case_review_create")))
        assert "本人を特定できる情報は入力しないでください" in page
        assert "氏名・住所・連絡先・生年月日・決定した支援の内容" in page


class TestOnlyHoldersOfTheCasePermission:
    @pytest.mark.parametrize("role", NO_CASE_PERMISSION)
    def test_every_page_and_download_is_404_without_it(self, client, db, role, request):
        review = case_review()
        client.force_login(request.getfixturevalue(role))
        for url in case_urls(review):
            assert client.get(url).status_code == 404, url

    def test_a_superuser_without_it_gets_404_too(self, client, system_operator):
        review = case_review()
        client.force_login(system_operator)
        for url in case_urls(review):
            assert client.get(url).status_code == 404, url

    def test_a_superuser_without_it_sees_no_records(self, client, system_operator):
        case_review(case_code="C-7")
        client.force_login(system_operator)
        response = client.get(reverse("meetings:case_review_list"), {"year": 2025})
        assert response.status_code == 404
        assert "C-7" not in source_of(response)

    @pytest.mark.parametrize("role", NO_CASE_PERMISSION)
    def test_posting_without_it_changes_nothing(self, client, db, role, request):
        review = case_review(case_code="C-ORIGINAL")
        client.force_login(request.getfixturevalue(role))
        assert client.post(reverse("meetings:case_review_create"), form_data()).status_code == 404
        assert (
            client.post(reverse("meetings:case_review_edit", args=[review.pk]), form_data()).status_code
            == 404
        )
        assert list(CaseReview.objects.values_list("case_code", flat=True)) == ["C-ORIGINAL"]

    def test_anonymous_is_sent_to_login(self, client, db):
        response = client.post(reverse("meetings:case_review_create"), form_data())
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert not CaseReview.objects.exists()

    def test_the_case_link_is_in_the_menu_only_for_holders(self, client, case_handler, plan_admin):
        link = reverse("meetings:case_review_list")
        client.force_login(plan_admin)
        assert link not in link_targets(client.get(reverse("home")))
        client.force_login(case_handler)
        assert link in link_targets(client.get(reverse("home")))


class TestRecording:
    def test_the_center_records_a_review_she_attended_with_the_organisations(self, client, case_handler):
        npo, shelter = OrganizationFactory(name="NPO法人ぱっぷす"), provider("シェルターすみれ")
        client.force_login(case_handler)
        response = client.post(
            reverse("meetings:case_review_create"),
            form_data(organizations=[npo.pk, shelter.pk], supported_before=[npo.pk]),
        )
        assert response.status_code == 302
        review = CaseReview.objects.get()
        assert (review.case_code, review.date, review.woman_attended) == (
            "C-2025-001",
            datetime.date(2025, 6, 1),
            True,
        )
        assert review.recorded_by == case_handler
        assert {(p.organization.name, p.supported_before) for p in review.participants.all()} == {
            ("NPO法人ぱっぷす", True),
            ("シェルターすみれ", False),
        }
        page = text_of(client.get(reverse("meetings:case_review_list"), {"year": 2025}))
        assert "C-2025-001" in page and "シェルターすみれ" in page  # holders see provider names

    def test_absence_needs_a_reason(self, client, case_handler):
        client.force_login(case_handler)
        response = client.post(reverse("meetings:case_review_create"), form_data(woman_attended="False"))
        assert field_errors(response, "absence_reason") == ["本人が参加しなかった理由を選んでください。"]
        assert not CaseReview.objects.exists()

    def test_absence_for_health_reasons_is_recorded(self, client, case_handler):
        client.force_login(case_handler)
        client.post(
            reverse("meetings:case_review_create"),
            form_data(woman_attended="False", absence_reason="health", absence_note="入院中のため"),
        )
        review = CaseReview.objects.get()
        assert (review.woman_attended, review.absence_reason, review.absence_note) == (
            False,
            "health",
            "入院中のため",
        )

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("case_code", "山田花子", "ケース番号は半角英数字とハイフン（20文字まで）で入力してください。"),
            ("absence_note", "連絡先 090-1234-5678", "電話番号や日付のような記載があります。"),
            ("absence_note", "昭和60年生まれ", "電話番号や日付のような記載があります。"),
            ("absence_note", "あ" * 101, "この値は 100 文字以下でなければなりません"),
        ],
    )
    def test_personal_looking_text_is_refused(self, client, case_handler, field, value, message):
        client.force_login(case_handler)
        data = form_data(woman_attended="False", absence_reason="other", **{field: value})
        response = client.post(reverse("meetings:case_review_create"), data)
        assert field_errors(response, field)[0].startswith(message)
        assert not CaseReview.objects.exists()

    def test_supported_before_must_also_have_taken_part(self, client, case_handler):
        npo = OrganizationFactory(name="NPO法人ぱっぷす")
        client.force_login(case_handler)
        page = text_of(
            client.post(reverse("meetings:case_review_create"), form_data(supported_before=[npo.pk]))
        )
        assert "以前から支援していた団体は、参加した関係機関・団体にもチェックしてください。" in page
        assert not CaseReview.objects.exists()

    def test_a_reason_left_over_when_she_took_part_is_dropped(self, client, case_handler):
        client.force_login(case_handler)
        client.post(
            reverse("meetings:case_review_create"), form_data(absence_reason="health", absence_note="x")
        )
        review = CaseReview.objects.get()
        assert (review.absence_reason, review.absence_note) == ("", "")

    def test_correcting_a_record(self, client, case_handler):
        npo = OrganizationFactory()
        review = case_review(organizations=[npo])
        client.force_login(case_handler)
        form = client.get(reverse("meetings:case_review_edit", args=[review.pk]))
        assert form_value(form, "organizations") == str(npo.pk)  # the organisation that took part is ticked
        client.post(
            reverse("meetings:case_review_edit", args=[review.pk]),
            form_data(case_code="C-2025-009", woman_attended="False", absence_reason="other"),
        )
        review.refresh_from_db()
        assert (review.case_code, review.woman_attended) == ("C-2025-009", False)
        assert not review.participants.exists()


class TestDownload:
    def test_holders_download_the_years_records(self, client, case_handler):
        from plan.common.spreadsheets import read_xlsx_rows

        npo = OrganizationFactory(name="NPO法人ぱっぷす")
        case_review(case_code="C-1", organizations=[npo], supported_before=[npo])
        case_review(case_code="C-2", woman_attended=False, absence_reason="health")
        case_review(case_code="C-OLD", date=datetime.date(2024, 6, 1))
        client.force_login(case_handler)
        response = client.get(reverse("meetings:case_review_download"), {"year": 2025})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        rows = [values for _, values in read_xlsx_rows(response.content)]
        assert rows[0][:3] == ["ケース番号", "開催日", "本人の参加"]
        assert sorted(row[0] for row in rows[1:]) == ["C-1", "C-2"]
        by_code = {row[0]: row for row in rows[1:]}
        assert by_code["C-1"][5:] == ["NPO法人ぱっぷす", "NPO法人ぱっぷす"]
        assert by_code["C-2"][2:4] == ["不参加", "健康上の理由"]
