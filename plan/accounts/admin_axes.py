"""The login-throttling pages of the admin (django-axes), in Japanese for the secretariat.

The model names, field labels and filters are translated in locale/ja (axes ships no Japanese).
What axes builds outside gettext's reach is redone here: the app's name in the admin, the status
column and the clean-up message (formatted before translation), and the records' titles (f-strings),
which the secretariat sees when it lifts a lock and in the admin's list of recent actions.
"""

from axes import admin as axes_admin  # axes registers its admins on import; they are replaced below
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format

APP_NAME = "ログイン制限"

apps.get_app_config("axes").verbose_name = APP_NAME


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y年n月j日 H:i") if moment else "日時不明"


def _who(record) -> str:
    return f"{record.username or '（ユーザー名なし）'}（{record.ip_address or 'IPアドレス不明'}）"


def _attempt_str(self) -> str:
    return f"{_who(self)}のログイン失敗 {self.failures_since_start}回"


def _failure_str(self) -> str:
    locked = "・ロック" if self.locked_out else ""
    return f"{_who(self)}のログイン失敗{locked}（{_when(self.attempt_time)}）"


def _log_str(self) -> str:
    return f"{_who(self)}のログイン（{_when(self.attempt_time)}）"


# The admin titles, delete confirmations and log entries use str(record); axes writes it in English.
AccessAttempt.__str__ = _attempt_str
AccessFailureLog.__str__ = _failure_str
AccessLog.__str__ = _log_str


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """One row per username and address: its failures, and whether it is locked. Deleting the row
    lifts the lock."""

    @admin.display(description="状態")
    def status(self, obj: AccessAttempt) -> str:
        remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        return f"あと{remaining}回" if remaining > 0 else "ロック中"

    @admin.display(description="有効期限")
    def expiration(self, obj: AccessAttempt):
        return obj.expiration.expires_at if hasattr(obj, "expiration") else "未設定"

    @admin.action(description="期限切れの記録を削除")
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"期限切れのログイン失敗の記録を{count}件削除しました。")


# Only where axes put its own (AXES_ENABLE_ADMIN can turn it off).
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)
