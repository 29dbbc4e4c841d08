"""Recording a measure's progress in the browser: saving, history, bad input, and no lost update."""

import pytest
from django.urls import reverse

from plan.models import MeasureProgress
from plan.progress.services import progress_update, progress_year_start
from plan.progress.validation import ProgressConflict
from tests.html import definition_of, field_errors, form_value, rows_of, select, select_one, text_of


def record(number, year=2025):
    return MeasureProgress.objects.get(measure__number=number, fiscal_year=year)


def edit_url(number, year=2025):
    return reverse("plan:progress_edit", args=[year, number])


def loaded_version(response):
    return int(form_value(response, "expected_version"))


def post_edit(client, number, version, **values):
    data = {"expected_version": version, "assessment": "", "direction": "", "achievements": "", "issues": "", "next_steps": ""}
    return client.post(edit_url(number), data | values)


GOOD = {"assessment": "on_track", "direction": "expand", "achievements": "システムの設計を完了した。"}


class TestSaving:
    def test_bureau_staff_save_their_measure_and_see_the_label_in_the_list(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        version = loaded_version(client.get(edit_url(86)))
        response = post_edit(client, 86, version, **GOOD, issues="データ移行", next_steps="運用開始")
        assert response.status_code == 302
        saved = record(86)
        assert (saved.assessment, saved.direction, saved.achievements) == ("on_track", "expand", "システムの設計を完了した。")
        assert saved.updated_by == bureau_staff and saved.is_updated and saved.version == version + 1

        page = client.get(reverse("plan:progress_list"), {"year": 2025, "q": "86"})
        row = select_one(page, "tr#measure-86")
        assert "順調" in text_of(row) and select(row, ".badge-on_track") and "未更新" not in text_of(row)

    def test_the_change_is_in_the_measure_pages_history(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        post_edit(client, 86, 1, **GOOD)
        post_edit(client, 86, 2, **(GOOD | {"assessment": "delayed", "achievements": "設計が遅れた。"}))
        history = select_one(client.get(reverse("plan:measure_detail", args=[86])), "ol.history")
        latest = select(history, "li")[0]
        assert str(bureau_staff) in text_of(select_one(latest, ".history-head"))
        # Each changed field, before and after; the unchanged ones (今後の方向性) are not listed.
        assert rows_of(select_one(latest, "table.changes"))[1:] == [
            ["進捗状況", "順調", "遅れ"],
            ["実績", "システムの設計を完了した。", "設計が遅れた。"],
        ]
        assert "年度の開始（令和7年度）" in text_of(history)

    def test_last_years_record_is_shown_beside_the_form(self, client, plan, plan_admin, bureau_staff, year_2025):
        progress_year_start(plan=plan, fiscal_year=2024, user=None)
        progress_update(progress=record(86, 2024), expected_version=1, values=GOOD | {"achievements": "昨年度の実績です"}, user=plan_admin)
        client.force_login(bureau_staff)
        page = text_of(client.get(edit_url(86)))
        assert "前年度（令和6年度）の記録" in page
        assert "昨年度の実績です" in page

    def test_saving_without_a_change_keeps_the_version_and_writes_no_history(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        post_edit(client, 86, 1, **GOOD)
        entries = record(86).history.count()
        response = post_edit(client, 86, 2, **GOOD)
        assert response.status_code == 302
        assert record(86).version == 2 and record(86).history.count() == entries

    def test_it_goes_back_to_the_list_it_came_from_but_never_off_site(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        back = reverse("plan:progress_list") + "?year=2025&mine=1"
        response = client.post(edit_url(86) + "?next=" + back.replace("&", "%26"), {"expected_version": 1, **GOOD})
        assert response["Location"] == back
        response = client.post(edit_url(86) + "?next=https://evil.example/", {"expected_version": 2, **GOOD, "issues": "x"})
        assert response["Location"] == reverse("plan:measure_detail", args=[86])


class TestBadInput:
    def test_each_bad_field_gets_a_japanese_message_and_nothing_is_saved(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        entries = record(86).history.count()
        response = post_edit(client, 86, 1, assessment="very_good", direction="", achievements="")
        assert response.status_code == 400
        assert field_errors(response, "assessment") == ["進捗状況は一覧から選んでください。"]
        assert field_errors(response, "direction") == ["今後の方向性を選んでください。"]
        assert "実績を入力してください" in " ".join(field_errors(response, "achievements"))
        assert "何も保存していません" in text_of(response)
        unchanged = record(86)
        assert unchanged.version == 1 and unchanged.assessment == "" and unchanged.history.count() == entries

    def test_what_was_typed_is_kept_on_the_page(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        response = post_edit(client, 86, 1, assessment="on_track", direction="", achievements="入力した実績の文章")
        assert form_value(response, "achievements") == "入力した実績の文章"

    def test_achievements_may_be_empty_only_for_a_measure_not_started(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        assert post_edit(client, 86, 1, assessment="not_started", direction="continue").status_code == 302
        assert record(86).assessment == "not_started"

    def test_too_long_a_text_is_refused(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        response = post_edit(client, 86, 1, **(GOOD | {"issues": "あ" * 2001}))
        assert response.status_code == 400
        assert "課題は2000文字以内で入力してください" in " ".join(field_errors(response, "issues"))
        assert record(86).issues == ""


def status_shown(response):
    """The page's 状態 line: the record as saved, beside the form."""
    return definition_of(response, "状態")


def checked_assessment(response):
    return form_value(response, "assessment")


class TestStatusAfterAFailedSave:
    """A refused save shows the record as it is saved; only the form keeps what was typed."""

    def test_a_form_with_errors_shows_the_saved_status_not_the_typed_one(self, client, bureau_staff, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=bureau_staff)
        client.force_login(bureau_staff)
        response = post_edit(client, 86, 2, assessment="delayed", direction="revise", achievements="")
        assert response.status_code == 400
        status = status_shown(response)
        assert select(status, ".badge-on_track") and "順調" in text_of(status)
        assert not select(status, ".badge-delayed") and "遅れ" not in text_of(status)
        assert "版 2" in text_of(status)
        assert checked_assessment(response) == "delayed"  # what was typed stays in the form
        assert record(86).assessment == "on_track"

    def test_an_unassessed_record_stays_unassessed_on_the_page(self, client, bureau_staff, year_2025):
        client.force_login(bureau_staff)
        response = post_edit(client, 86, 1, assessment="completed", direction="", achievements="完了した")
        assert response.status_code == 400
        status = status_shown(response)
        assert "未評価" in text_of(status) and not select(status, ".badge-completed")
        assert checked_assessment(response) == "completed"

    def test_a_conflict_shows_the_other_persons_saved_status(self, client, bureau_staff, plan_admin, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=plan_admin)
        client.force_login(bureau_staff)
        response = post_edit(client, 86, 1, assessment="delayed", direction="revise", achievements="二人目の実績")
        assert response.status_code == 409
        status = status_shown(response)
        assert select(status, ".badge-on_track") and not select(status, ".badge-delayed")
        assert str(plan_admin) in text_of(status) and "版 2" in text_of(status)
        assert checked_assessment(response) == "delayed"


class TestNoLostUpdate:
    def test_the_second_save_is_refused_and_the_first_survives(self, client, bureau_staff, plan_admin, year_2025):
        from django.test import Client

        first, second = Client(), client
        first.force_login(plan_admin)
        second.force_login(bureau_staff)
        version_first = loaded_version(first.get(edit_url(86)))
        version_second = loaded_version(second.get(edit_url(86)))  # both opened the form at version 1

        assert post_edit(first, 86, version_first, **GOOD).status_code == 302
        response = post_edit(
            second, 86, version_second, assessment="delayed", direction="revise", achievements="二人目が入力した実績"
        )
        assert response.status_code == 409
        kept = record(86)
        assert (kept.assessment, kept.achievements) == ("on_track", "システムの設計を完了した。")
        assert kept.updated_by == plan_admin and kept.version == 2

        page = text_of(response)
        assert "保存しませんでした" in page and str(plan_admin) in page
        assert "実績 （空欄） システムの設計を完了した。" in page  # what the other person changed
        # What this person typed is still in the form.
        assert form_value(response, "achievements") == "二人目が入力した実績"
        assert form_value(response, "assessment") == "delayed"
        # Having seen the change, the person can save on purpose: the form now carries version 2.
        assert loaded_version(response) == 2
        assert post_edit(second, 86, 2, assessment="delayed", direction="revise", achievements="二人目が入力した実績").status_code == 302
        assert record(86).achievements == "二人目が入力した実績"

    def test_the_service_refuses_a_stale_version_whatever_calls_it(self, plan_admin, bureau_staff, year_2025):
        progress_update(progress=record(86), expected_version=1, values=GOOD, user=plan_admin)
        with pytest.raises(ProgressConflict) as refused:
            progress_update(progress=record(86), expected_version=1, values=GOOD | {"issues": "別の課題"}, user=bureau_staff)
        assert [change.field for change in refused.value.changes] == ["assessment", "direction", "achievements"]
        assert record(86).issues == "" and record(86).version == 2


class TestAdmin:
    def change_url(self, number):
        return reverse("admin:plan_measureprogress_change", args=[record(number).pk])

    def admin_post(self, client, number, version, **values):
        data = {"expected_version": version, "assessment": "", "direction": "", "achievements": "", "issues": "", "next_steps": ""}
        return client.post(self.change_url(number), data | values)

    def test_an_admin_edit_is_kept_in_history_under_the_administrator(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        response = self.admin_post(client, 86, 1, **GOOD)
        assert response.status_code == 302
        saved = record(86)
        assert saved.achievements == GOOD["achievements"] and saved.version == 2
        latest = saved.history.order_by("-history_date").first()
        assert latest.history_user == plan_admin and latest.history_change_reason == "管理画面から更新"

    def test_a_stale_save_in_the_admin_is_refused_and_the_first_survives(self, client, plan_admin, bureau_staff, year_2025):
        from django.test import Client

        client.force_login(plan_admin)
        form_page = client.get(self.change_url(86))
        assert form_value(form_page, "expected_version") == "1"

        other = Client()
        other.force_login(bureau_staff)
        assert post_edit(other, 86, 1, **GOOD).status_code == 302

        response = self.admin_post(client, 86, 1, assessment="completed", direction="end", achievements="管理者が入力")
        assert response.status_code == 200  # the form again, with the refusal
        page = text_of(response)
        assert "保存しませんでした" in page and "システムの設計を完了した。" in page
        assert form_value(response, "achievements") == "管理者が入力"  # what was typed stays in the form
        assert form_value(response, "expected_version") == "2"
        kept = record(86)
        assert kept.achievements == GOOD["achievements"] and kept.updated_by == bureau_staff

    def test_records_cannot_be_added_or_deleted_in_the_admin(self, client, plan_admin, year_2025):
        client.force_login(plan_admin)
        assert client.get(reverse("admin:plan_measureprogress_add")).status_code == 403
        assert client.post(reverse("admin:plan_measureprogress_delete", args=[record(86).pk]), {"post": "yes"}).status_code == 403
        assert MeasureProgress.objects.filter(fiscal_year=2025).count() == 120
