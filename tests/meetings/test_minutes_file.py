"""Attached minutes: checked by content and size, stored outside the web root, and handed out only
through a view that applies the meeting's access rule."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from meetings.models import Meeting
from plan.common.uploads import MB
from tests.html import field_errors, select_one, source_of, text_of
from tests.meetings.factories import MeetingFactory, committee_meeting
from tests.meetings.helpers import meeting_post

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def office_file(*members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for member in members:
            archive.writestr(member, "<x/>")
    return buffer.getvalue()


def xlsx_file():
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "出席者"
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, meeting, name, content):
    return client.post(
        reverse("meetings:meeting_edit", args=[meeting.pk]),
        {**meeting_post(), "minutes_upload": SimpleUploadedFile(name, content)},
    )


def error_of(response):
    """The messages shown beside the minutes file field."""
    return field_errors(response, "minutes_upload")


@pytest.fixture
def meeting(db):
    return MeetingFactory()


class TestAcceptedFiles:
    @pytest.mark.parametrize(
        "name, content",
        [
            ("議事録.pdf", PDF),
            ("議事録.docx", office_file("word/document.xml")),
            ("出席者名簿.xlsx", xlsx_file()),
        ],
    )
    def test_pdf_word_and_excel_are_stored_and_served_to_readers(
        self, client, plan_admin, meeting, media_root, name, content
    ):
        client.force_login(plan_admin)
        response = upload(client, meeting, name, content)
        assert response.status_code == 302, error_of(response)
        meeting.refresh_from_db()
        assert meeting.minutes_file_name == name
        stored = media_root / meeting.minutes_file.name
        assert stored.read_bytes() == content
        assert name not in meeting.minutes_file.name  # stored under a random name

        download = client.get(reverse("meetings:minutes_file", args=[meeting.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        assert "attachment" in download["Content-Disposition"]
        assert download["Cache-Control"] == "private, no-store"

    def test_replacing_a_file_removes_the_old_one(
        self, client, plan_admin, meeting, media_root, django_capture_on_commit_callbacks
    ):
        client.force_login(plan_admin)
        with django_capture_on_commit_callbacks(execute=True):
            upload(client, meeting, "第1版.pdf", PDF)
        meeting.refresh_from_db()
        first = media_root / meeting.minutes_file.name
        assert first.exists()
        with django_capture_on_commit_callbacks(execute=True):
            upload(client, meeting, "第2版.pdf", PDF + b"%v2")
        meeting.refresh_from_db()
        assert meeting.minutes_file_name == "第2版.pdf"
        assert not first.exists()


class TestRefusedFiles:
    @pytest.mark.parametrize(
        "name, content, message",
        [
            (
                "議事録.pdf",
                b"<html>not a pdf</html>",
                "添付できるのは PDF・Word（.docx）・Excel（.xlsx）のファイルだけです。",
            ),
            (
                "議事録.exe",
                b"MZ\x90\x00",
                "添付できるのは PDF・Word（.docx）・Excel（.xlsx）のファイルだけです。",
            ),
            ("議事録.docx", PDF, "ファイルの内容（PDF）と拡張子（.docx）が一致しません。"),
            (
                "議事録.zip",
                office_file("other.xml"),
                "添付できるのは PDF・Word（.docx）・Excel（.xlsx）のファイルだけです。",
            ),
            (
                "議事録.docx",
                office_file("word/document.xml", "word/vbaProject.bin"),
                "マクロを含むファイルは添付できません。",
            ),
            ("議事録.pdf", b"", "入力されたファイルは空です。"),
        ],
    )
    def test_wrong_content_is_refused_next_to_the_field(
        self, client, plan_admin, meeting, media_root, name, content, message
    ):
        client.force_login(plan_admin)
        response = upload(client, meeting, name, content)
        assert response.status_code == 200
        assert error_of(response) == [message]
        meeting.refresh_from_db()
        assert not meeting.minutes_file
        assert not (media_root / "meetings").exists()

    def test_the_cap_is_30_mb_by_default_and_shown_beside_the_field(self, client, plan_admin, meeting):
        client.force_login(plan_admin)
        page = client.get(reverse("meetings:meeting_edit", args=[meeting.pk]))
        help_text = select_one(page, "#id_minutes_upload_helptext")
        assert "PDF・Word（.docx）・Excel（.xlsx）、30 MB まで。" in text_of(help_text)

    def test_a_file_over_the_cap_from_settings_is_refused(self, client, plan_admin, meeting, media_root, settings):
        # The cap follows settings.UPLOAD_LIMITS (a small one here, to keep the test light).
        settings.UPLOAD_LIMITS = {"attachment": {"max_bytes": 1 * MB}}
        client.force_login(plan_admin)
        response = upload(client, meeting, "議事録.pdf", PDF + b"0" * MB)
        assert error_of(response) == ["ファイルが大きすぎます（上限 1 MB、このファイルは 1.0 MB）。"]
        meeting.refresh_from_db()
        assert not meeting.minutes_file
        assert not (media_root / "meetings").exists()

    def test_a_new_meeting_with_a_bad_file_is_not_saved(self, client, plan_admin, media_root):
        client.force_login(plan_admin)
        response = client.post(
            reverse("meetings:meeting_create"),
            {**meeting_post(), "minutes_upload": SimpleUploadedFile("議事録.pdf", b"not a pdf")},
        )
        assert error_of(response)
        assert not Meeting.objects.exists()


@pytest.fixture
def docx_bomb():
    from tests.plan.upload_samples import rebuild, zeros

    # 120 MB of zeros in one member: over the attachments' 100 MB per member.
    return rebuild(office_file("word/document.xml"), add={"word/media/image1.bin": zeros(120 * MB)})


class TestBombs:
    """Four bomb files were once stored as minutes: the upload guard now refuses them."""

    def assert_refused(self, client, meeting, media_root, name, content):
        response = upload(client, meeting, name, content)
        assert response.status_code == 200
        meeting.refresh_from_db()
        assert not meeting.minutes_file
        assert not (media_root / "meetings").exists()  # nothing stored
        [message] = error_of(response)
        return message

    def test_a_zip_bomb_docx_is_refused_and_not_stored(self, client, plan_admin, meeting, media_root, docx_bomb):
        client.force_login(plan_admin)
        assert len(docx_bomb) < 1 * MB
        message = self.assert_refused(client, meeting, media_root, "議事録.docx", docx_bomb)
        assert message.startswith("圧縮ファイルの展開後のサイズが大きすぎます（上限 200 MB）")

    def test_a_high_ratio_xlsx_is_refused(self, client, plan_admin, meeting, media_root):
        from tests.plan.upload_samples import high_ratio_xlsx

        client.force_login(plan_admin)
        message = self.assert_refused(client, meeting, media_root, "出席者名簿.xlsx", high_ratio_xlsx())
        assert "圧縮率が上限の 100 倍を超えています" in message

    def test_an_entity_bomb_is_refused(self, client, plan_admin, meeting, media_root):
        from tests.plan.upload_samples import entity_bomb_xlsx

        client.force_login(plan_admin)
        message = self.assert_refused(client, meeting, media_root, "出席者名簿.xlsx", entity_bomb_xlsx())
        assert "DOCTYPE" in message

    def test_an_entity_declaration_in_a_word_document_is_refused(self, client, plan_admin, meeting, media_root):
        from tests.plan.upload_samples import BILLION_LAUGHS_DOCTYPE, rebuild

        client.force_login(plan_admin)
        content = rebuild(
            office_file("word/document.xml"),
            replace={"word/document.xml": (BILLION_LAUGHS_DOCTYPE + "<document>&lol9;</document>").encode()},
        )
        message = self.assert_refused(client, meeting, media_root, "議事録.docx", content)
        assert "DOCTYPE" in message

    def test_an_archive_of_many_members_is_refused(self, client, plan_admin, meeting, media_root):
        client.force_login(plan_admin)
        members = [f"word/media/image{n}.png" for n in range(2001)]
        message = self.assert_refused(
            client, meeting, media_root, "議事録.docx", office_file("word/document.xml", *members)
        )
        assert message == "圧縮ファイルの中のファイルが多すぎます（上限 2,000 個）。"


class TestServingFiles:
    @pytest.fixture
    def closed_with_file(self, db, media_root):
        meeting = committee_meeting()
        meeting.minutes_file = SimpleUploadedFile("議事録.pdf", PDF)
        meeting.minutes_file_name = "議事録.pdf"
        meeting.save()
        return meeting

    def test_a_municipal_officer_cannot_download_a_closed_meetings_minutes(
        self, client, municipal_officer, closed_with_file
    ):
        client.force_login(municipal_officer)
        assert client.get(reverse("meetings:minutes_file", args=[closed_with_file.pk])).status_code == 403
        assert reverse("meetings:minutes_file", args=[closed_with_file.pk]) not in source_of(
            client.get(closed_with_file.get_absolute_url())
        )

    @pytest.mark.parametrize("role", ["viewer", "bureau_staff", "plan_admin"])
    def test_readers_of_closed_minutes_download_them(self, client, closed_with_file, role, request):
        client.force_login(request.getfixturevalue(role))
        assert client.get(reverse("meetings:minutes_file", args=[closed_with_file.pk])).status_code == 200

    def test_anonymous_is_sent_to_login(self, client, closed_with_file):
        response = client.get(reverse("meetings:minutes_file", args=[closed_with_file.pk]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_the_media_folder_is_not_served(self, client, plan_admin, closed_with_file):
        client.force_login(plan_admin)
        for prefix in ("/media/", "/static/", "/"):
            assert client.get(prefix + closed_with_file.minutes_file.name).status_code == 404

    @override_settings(DEBUG=True)
    def test_not_even_with_debug_on(self, client, plan_admin, closed_with_file):
        client.force_login(plan_admin)
        assert client.get("/media/" + closed_with_file.minutes_file.name).status_code == 404

    def test_a_meeting_without_a_file_is_404(self, client, viewer, meeting):
        client.force_login(viewer)
        assert client.get(reverse("meetings:minutes_file", args=[meeting.pk])).status_code == 404
