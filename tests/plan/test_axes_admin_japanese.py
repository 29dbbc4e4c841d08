"""The admin's login-throttling pages (django-axes), and the import/export and history strings,
are in Japanese for the secretariat; locale/ja's compiled catalog is in step with its source."""

import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from plan.models import Measure
from tests.html import text_of, texts_of

CATALOG = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"

# What axes shows when left in English: model and app names, field labels, headers, filters, actions.
AXES_ENGLISH = [
    "Axes",
    "Access attempt",
    "Access log",
    "Access failure",
    "access attempt",
    "access log",
    "access failure",
    "Attempt Time",
    "Attempt time",
    "IP Address",
    "User Agent",
    "Username",
    "Path",
    "Failed Logins",
    "Failed logins",
    "Access lock out",
    "Logout Time",
    "Logout time",
    "Status",
    "Locked Out",
    "Locked out",
    "Attempt Remaining",
    "Clean up expired attempts",
    "Form Data",
    "Meta Data",
    "Attempted Access",
    "Access Log for",
    "Failed access",
]


def english_in(text, words=AXES_ENGLISH):
    return [word for word in words if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![a-z])", text)]


@pytest.fixture
def throttled(viewer, plan_admin):
    """A locked username (five failures), one failure of another, and a successful sign-in."""
    login = reverse("login")
    for _ in range(5):
        Client().post(login, {"username": viewer.username, "password": "wrong"})
    Client().post(login, {"username": "nobody", "password": "wrong"})
    Client().post(login, {"username": plan_admin.username, "password": "correct-horse-battery"})
    assert AccessAttempt.objects.count() == 2 and AccessLog.objects.count() == 1
    return viewer


@pytest.fixture
def secretariat(throttled, plan_admin_client):
    """The secretariat in the admin, signed in after `throttled`'s sign-ins (in that order: it
    counts the sign-ins, and signing in is one)."""
    return plan_admin_client


class TestAxesAdminInJapanese:
    def test_the_admin_index_names_the_app_and_its_pages_in_japanese(self, secretariat):
        text = text_of(secretariat.get(reverse("admin:index")))
        for name in ["ログイン制限", "ログイン失敗の累計（ロック）", "ログイン失敗の記録", "ログインの記録"]:
            assert name in text
        assert english_in(text) == []

    def test_the_app_page_too(self, secretariat):
        text = text_of(secretariat.get(reverse("admin:app_list", args=["axes"])))
        assert "ログイン制限" in text and "ログイン失敗の累計（ロック）" in text
        assert english_in(text) == []

    def test_the_lock_list_has_japanese_headers_filters_status_and_actions(self, secretariat, throttled):
        response = secretariat.get(reverse("admin:axes_accessattempt_changelist"))
        text = text_of(response)
        for label in [
            "日時",
            "IPアドレス",
            "ブラウザ（ユーザーエージェント）",
            "ユーザー名",
            "アクセス先",
            "失敗回数",
            "状態",
        ]:
            assert f" {label} " in text, label
        assert "ロック中" in text  # the locked username's status, and the filter's title
        assert "あと4回" in text  # the other username failed once
        actions = texts_of(response, 'select[name="action"] option')
        assert "期限切れの記録を削除" in actions
        assert "選択された ログイン失敗の累計（ロック） の削除" in actions
        assert english_in(text) == []

    def test_the_lock_filter_offers_yes_and_no_in_japanese(self, secretariat, throttled):
        response = secretariat.get(reverse("admin:axes_accessattempt_changelist"), {"locked_out": "yes"})
        text = text_of(response)
        assert "はい" in text and "いいえ" in text
        assert throttled.username in text and "nobody" not in text

    @pytest.mark.parametrize("model_name", ["accesslog", "accessfailurelog"])
    def test_the_log_lists_are_in_japanese(self, secretariat, model_name):
        text = text_of(secretariat.get(reverse(f"admin:axes_{model_name}_changelist")))
        assert "日時" in text and "ユーザー名" in text and "IPアドレス" in text
        if model_name == "accesslog":
            assert "ログアウト日時" in text
        else:
            assert "ロックされた" in text
        assert english_in(text) == []

    def test_a_locks_page_and_its_sections_are_in_japanese(self, secretariat, throttled):
        attempt = AccessAttempt.objects.get(username=throttled.username)
        text = text_of(secretariat.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])))
        assert f"{throttled.username}（127.0.0.1）のログイン失敗 5回" in text
        assert "送信されたデータ" in text and "接続の情報" in text and "POSTデータ" in text
        assert english_in(text) == []

    def test_lifting_a_lock_reads_in_japanese_and_lets_the_user_in(self, secretariat, throttled):
        attempt = AccessAttempt.objects.get(username=throttled.username)
        url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
        confirm = text_of(secretariat.get(url))
        assert "のログイン失敗 5回" in confirm and english_in(confirm) == []

        done = text_of(secretariat.post(url, {"post": "yes"}, follow=True))
        assert "のログイン失敗 5回" in done and english_in(done) == []
        assert LogEntry.objects.get().object_repr == f"{throttled.username}（127.0.0.1）のログイン失敗 5回"
        index = text_of(secretariat.get(reverse("admin:index")))
        assert "のログイン失敗 5回" in index  # the admin's recent actions

        signed_in = Client()
        signed_in.post(
            reverse("login"), {"username": throttled.username, "password": "correct-horse-battery"}
        )
        assert "_auth_user_id" in signed_in.session

    def test_records_read_in_japanese(self, throttled):
        failure = AccessFailureLog.objects.filter(username=throttled.username, locked_out=True).first()
        assert str(failure).startswith(f"{throttled.username}（127.0.0.1）のログイン失敗・ロック（")
        assert "のログイン（" in str(AccessLog.objects.get())


class TestOtherAdminStringsInJapanese:
    def test_a_past_version_page_names_the_app_and_the_list_in_japanese(self, client, plan_admin):
        client.force_login(plan_admin)
        measure = Measure.objects.get(number=86)
        version = measure.history.order_by("history_id").first()
        text = text_of(
            client.get(reverse("admin:plan_measure_simple_history", args=[measure.pk, version.history_id]))
        )
        assert "ホーム › 計画 › " in text
        assert "Historical" not in text and " Plan " not in text
        assert "下の「元に戻す」ボタンを押すと" in text

    def test_the_history_list_is_in_japanese(self, client, plan_admin):
        client.force_login(plan_admin)
        measure = Measure.objects.get(number=86)
        text = text_of(client.get(reverse("admin:plan_measure_history", args=[measure.pk])))
        for label in ["対象", "変更者", "変更理由", "変更内容"]:
            assert label in text
        assert english_in(text, ["Object", "Changed by", "Change reason", "Changes", "Choose a date"]) == []

    def test_the_export_page_is_in_japanese(self, client, plan_admin):
        client.force_login(plan_admin)
        text = text_of(client.get(reverse("admin:plan_measure_export")))
        assert "以下の項目をエクスポートします" in text
        assert english_in(text, ["This exporter", "Select all", "Resource"]) == []

    def test_an_imports_messages_are_in_japanese(self):
        # django-import-export formats these before translating: its result message, and the change
        # message it writes into each imported row's history.
        with translation.override("ja"):
            assert translation.gettext("update through import_export") == "インポートで変更"
            message = translation.gettext(
                "Import finished: {} new, {} updated, {} deleted and {} skipped {}."
            )
            assert (
                message.format(0, 3, 0, 117, "施策")
                == "インポートが完了しました：追加 0 件、変更 3 件、削除 0 件、変更なし 117 件（施策）。"
            )


def read_po(path: Path) -> dict:
    """msgid (or (msgid, msgid_plural)) → msgstr (or tuple of plural msgstrs), header left out."""
    entries, current, key = {}, {}, None

    def flush():
        if current.get("msgid"):
            if "msgid_plural" in current:
                plurals = tuple(current[k] for k in sorted(k for k in current if k.startswith("msgstr[")))
                entries[(current["msgid"], current["msgid_plural"])] = plurals
            else:
                entries[current["msgid"]] = current["msgstr"]

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += unquote(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = unquote(value)
    return entries


PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: PO_ESCAPES[match.group(1)], text[1:-1])


class TestCatalog:
    def test_the_compiled_catalog_is_in_step_with_its_source(self):
        source = read_po(CATALOG / "django.po")
        with (CATALOG / "django.mo").open("rb") as compiled_file:
            compiled = gnu_gettext.GNUTranslations(compiled_file)
        assert len(source) > 60
        stale = []
        for msgid, msgstr in source.items():
            if isinstance(msgid, tuple):
                got = (compiled.ngettext(msgid[0], msgid[1], 1),)
            else:
                got = compiled.gettext(msgid)
            if got != msgstr:
                stale.append(msgid)
        # Every entry of the .mo comes from the .po (none left over from an older version).
        compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog if key}
        source_ids = {key[0] if isinstance(key, tuple) else key for key in source}
        assert stale == [] and compiled_ids == source_ids, "recompile: msgfmt -o django.mo django.po"

    def test_it_only_fills_gaps_and_changes_no_translation_django_or_an_app_gives(self):
        source = read_po(CATALOG / "django.po")
        with override_settings(LOCALE_PATHS=[]), translation.override("ja"):
            already = [
                msgid
                for msgid in source
                if not isinstance(msgid, tuple) and translation.gettext(msgid) != msgid
            ]
        # A newer app version that ships its own Japanese makes this fail: drop ours then.
        assert already == []
