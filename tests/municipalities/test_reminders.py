"""Reminders for the annual returns (督促): the secretariat's button and `manage.py send_return_reminders`
remind the officers of every municipality that has not submitted — only those — never twice the
same day; the mail gives the deadline and the link and carries no attachment; a mail that fails is
reported and not recorded; the round page's reminder log; the notice on the officer's home page;
who may open the pages, CSRF, and a fixed number of queries."""

import datetime
import smtplib
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from municipalities import services
from municipalities.models import ReturnReminder
from municipalities.selectors import local_day_bounds, reminder_plan
from plan.common.fiscal_year import era_date, era_datetime
from tests.factories import Role, UserFactory, municipality
from tests.html import link_targets, rows_of, section, select, select_one, text_of
from tests.municipalities.factories import YEAR, accepted, open_round, return_of, submitted
from tests.test_aria_references import broken_references

pytestmark = pytest.mark.django_db

SITE = "https://shien-keikaku.example.metro.tokyo.lg.jp"
BUTTON = ReturnReminder.Channel.BUTTON
COMMAND = ReturnReminder.Channel.COMMAND


# --- the cast ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE + "/"  # a trailing slash must not double in the link


@pytest.fixture
def round_(plan_admin):
    """A round with all 62 municipalities' returns, drafts; only 新宿区 and 八王子市 have officers."""
    return open_round(YEAR, user=plan_admin)


@pytest.fixture
def officers(municipal_officer, other_officer):
    return {"新宿区": municipal_officer, "八王子市": other_officer}


def officer_of(name, username, **fields):
    return UserFactory(
        username=username, role=Role.MUNICIPAL_OFFICER, municipality=municipality(name), **fields
    )


def remind(round, user, today=None):
    return services.return_reminders_send(round=round, user=user, channel=BUTTON, today=today)


def reminded_names(round):
    return sorted(ReturnReminder.objects.filter(round=round).values_list("municipality__name", flat=True))


def mail_to(outbox, address):
    found = [message for message in outbox if address in message.to]
    assert len(found) == 1, f"{len(found)} mails to {address}"
    return found[0]


def url(year):
    return reverse("municipalities:review_round_remind", args=[year])


def round_url(year):
    return reverse("municipalities:review_round", args=[year])


def messages_of(response):
    return [text_of(item) for item in select(response, "ul.messages li")]


class RefusingBackend(EmailBackend):
    """The outbox, except that the mail server refuses 八王子市's officer (hachioji@example.jp)."""

    def send_messages(self, messages):
        for message in messages:
            if "hachioji@example.jp" in message.to:
                raise smtplib.SMTPRecipientsRefused({"hachioji@example.jp": (550, b"mailbox unavailable")})
        return super().send_messages(messages)


# --- who is reminded -------------------------------------------------------------------------------------


class TestWhoIsReminded:
    def test_only_the_municipalities_that_have_not_submitted(self, round_, officers, plan_admin, mailoutbox):
        minato = officer_of("港区", "minato")
        chiyoda = officer_of("千代田区", "chiyoda")
        submitted(return_of(round_, "新宿区"), officers["新宿区"])
        accepted(return_of(round_, "千代田区"), chiyoda, plan_admin)
        sent = submitted(return_of(round_, "港区"), minato)
        services.annual_return_send_back(
            annual_return=sent, comment="人数を確認してください。", user=plan_admin
        )

        report = remind(round_, plan_admin)

        # 八王子市 (a draft) and 港区 (sent back); not 新宿区 (submitted) nor 千代田区 (accepted).
        assert sorted(address for message in mailoutbox for address in message.to) == [
            "hachioji@example.jp",
            "minato@example.jp",
        ]
        assert reminded_names(round_) == ["八王子市", "港区"]
        assert [target.municipality.name for target in report.reminded] == ["港区", "八王子市"]  # code order
        left_out = {target.municipality.name for target in report.no_address}
        assert len(left_out) == 62 - 4 and not left_out & {"新宿区", "千代田区", "港区", "八王子市"}
        assert "2団体に督促しました（港区、八王子市）" in report.summary

    def test_one_mail_per_municipality_to_its_active_officers_with_an_address(
        self, round_, municipal_officer, plan_admin, mailoutbox
    ):
        officer_of("新宿区", "shinjuku2")
        officer_of("新宿区", "shinjuku-no-mail", email="")
        officer_of("新宿区", "shinjuku-left", is_active=False)
        # Linked to 新宿区 but no longer in the officers' role: not an officer any more.
        UserFactory(username="shinjuku-moved", role=Role.VIEWER, municipality=municipality("新宿区"))

        remind(round_, plan_admin)

        assert len(mailoutbox) == 1
        assert sorted(mailoutbox[0].to) == ["shinjuku2@example.jp", "shinjuku@example.jp"]
        assert reminded_names(round_) == ["新宿区"]

    def test_a_municipality_without_an_address_is_reported_and_not_recorded(
        self, round_, plan_admin, mailoutbox
    ):
        officer_of("新宿区", "shinjuku-no-mail", email="")
        report = remind(round_, plan_admin)
        assert mailoutbox == []
        assert ReturnReminder.objects.count() == 0
        assert "新宿区" in [target.municipality.name for target in report.no_address]
        assert "メールアドレスが登録された担当者がいません：千代田区、中央区、港区、新宿区" in report.summary

    def test_nothing_to_do_when_everyone_has_submitted(self, plan_admin, mailoutbox):
        from tests.municipalities.samples import ensure_return_samples

        round = ensure_return_samples()["round"]  # one return, 新宿区's, submitted
        report = remind(round, plan_admin)
        assert mailoutbox == [] and report.reminded == []
        assert report.summary == "令和7年度（2025年度）：未提出の区市町村はありません（督促していません）。"


class TestNeverTwiceTheSameDay:
    def test_the_button_then_the_command_the_same_day(self, round_, officers, plan_admin, mailoutbox):
        remind(round_, plan_admin)
        assert len(mailoutbox) == 2

        report = services.return_reminders_send(round=round_, channel=COMMAND)

        assert len(mailoutbox) == 2
        assert report.reminded == []
        assert [target.municipality.name for target in report.already_today] == ["新宿区", "八王子市"]
        assert "本日督促済みのため送らなかった団体：新宿区、八王子市" in report.summary
        assert ReturnReminder.objects.filter(round=round_).count() == 2

    def test_a_new_officer_the_same_day_is_not_reminded_either(
        self, round_, officers, plan_admin, mailoutbox
    ):
        remind(round_, plan_admin)
        officer_of("新宿区", "shinjuku2")
        remind(round_, plan_admin)
        assert len(mailoutbox) == 2

    def test_the_next_day_they_are_reminded_again(self, round_, officers, plan_admin, mailoutbox):
        today = timezone.localdate()
        remind(round_, plan_admin, today=today)
        remind(round_, plan_admin, today=today + datetime.timedelta(days=1))
        assert len(mailoutbox) == 4
        assert ReturnReminder.objects.filter(round=round_, municipality__name="新宿区").count() == 2

    def test_the_day_is_tokyos(self, round_, officers, plan_admin):
        # 00:10 in Tokyo on 1 December is still 30 November in UTC: it counts for 1 December.
        day = datetime.date(2026, 12, 1)
        ReturnReminder.objects.create(
            round=round_,
            municipality=municipality("新宿区"),
            channel=COMMAND,
            sent_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 0, 10)),
        )
        assert [t.municipality.name for t in reminder_plan(round_, today=day).already_today] == ["新宿区"]
        assert reminder_plan(round_, today=day - datetime.timedelta(days=1)).already_today == []
        start, end = local_day_bounds(day)
        assert start.utcoffset() == datetime.timedelta(hours=9) and end - start == datetime.timedelta(days=1)


class TestRefusals:
    def test_a_closed_round_is_refused_and_nothing_is_sent(self, round_, officers, plan_admin, mailoutbox):
        services.return_round_close(round=round_, user=plan_admin)
        with pytest.raises(ValidationError) as refused:
            remind(round_, plan_admin)
        assert refused.value.messages == [
            "この年度の提出受付は終了しました。督促するには、先に受付を再開してください。"
        ]
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0

    @pytest.mark.parametrize("role", ["municipal_officer", "viewer", "bureau_staff"])
    def test_only_the_secretariat_presses_the_button(self, request, round_, officers, role, mailoutbox):
        with pytest.raises(PermissionDenied):
            remind(round_, request.getfixturevalue(role))
        with pytest.raises(PermissionDenied):
            remind(round_, None)  # the button needs someone to have pressed it
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0


class TestMailFailures:
    def test_a_failed_mail_is_reported_and_not_recorded_the_others_go(
        self, settings, round_, officers, plan_admin, mailoutbox
    ):
        settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
        report = remind(round_, plan_admin)
        assert [message.to for message in mailoutbox] == [["shinjuku@example.jp"]]
        assert reminded_names(round_) == ["新宿区"]
        assert [(target.municipality.name, message) for target, message in report.failed] == [
            ("八王子市", services.REMINDER_MAIL_FAILED)
        ]
        assert "メールを送信できなかった団体（督促の記録はしていません）：八王子市" in report.summary

        # Not recorded, so a second try the same day sends it (and nothing twice to 新宿区).
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        remind(round_, plan_admin)
        assert [message.to for message in mailoutbox] == [["shinjuku@example.jp"], ["hachioji@example.jp"]]
        assert reminded_names(round_) == ["八王子市", "新宿区"]


# --- the mail ---------------------------------------------------------------------------------------------


class TestTheMail:
    def test_deadline_link_state_and_no_attachment(self, round_, municipal_officer, plan_admin, mailoutbox):
        remind(round_, plan_admin)
        message = mail_to(mailoutbox, "shinjuku@example.jp")
        annual_return = return_of(round_, "新宿区")
        assert (
            message.subject
            == "【困難女性支援基本計画 進捗管理】令和7年度（2025年度）の取組状況の報告のご提出について（督促）"
        )
        assert "\n" not in message.subject
        assert message.attachments == [] and message.content_subtype == "plain"
        assert message.body.startswith("新宿区 区市町村担当者 様")
        assert f"提出期限：{era_date(round_.deadline, western=True)}" in message.body
        assert "現在の状態：作成中" in message.body
        assert f"{SITE}/returns/{annual_return.pk}/" in message.body.split()
        assert "差し戻しています" not in message.body
        assert "&" not in message.body and "&#" not in message.body  # plain text, nothing escaped

    def test_a_sent_back_return_says_the_secretariats_comment_awaits(
        self, round_, municipal_officer, plan_admin, mailoutbox
    ):
        sent = submitted(return_of(round_, "新宿区"), municipal_officer)
        services.annual_return_send_back(
            annual_return=sent, comment="人数を確認してください。", user=plan_admin
        )
        remind(round_, plan_admin)
        body = mail_to(mailoutbox, "shinjuku@example.jp").body
        assert "現在の状態：差戻し" in body
        assert "事務局が報告を差し戻しています。事務局からのコメントを確認し" in body


# --- the command ------------------------------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command("send_return_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


class TestCommand:
    def test_seven_and_one_days_before_the_deadline_by_default(self, round_, officers, mailoutbox):
        deadline = round_.deadline
        for days_ahead, expected_mails in [(8, 0), (7, 2), (6, 2), (2, 2), (1, 4), (0, 4)]:
            output = run("--today", (deadline - datetime.timedelta(days=days_ahead)).isoformat())
            assert len(mailoutbox) == expected_mails, f"{days_ahead} days ahead: {output}"
        assert reminded_names(round_) == ["八王子市", "八王子市", "新宿区", "新宿区"]
        reminders = ReturnReminder.objects.filter(round=round_)
        assert {(reminder.channel, reminder.sent_by_id) for reminder in reminders} == {(COMMAND, None)}
        assert sorted({timezone.localtime(reminder.sent_at).date() for reminder in reminders}) == [
            deadline - datetime.timedelta(days=7),
            deadline - datetime.timedelta(days=1),
        ]

    def test_what_it_prints(self, round_, officers):
        output = run("--today", (round_.deadline - datetime.timedelta(days=7)).isoformat())
        assert (
            f"令和7年度（2025年度）（提出期限 {era_date(round_.deadline, western=True)}、あと7日）" in output
        )
        assert "2団体に督促しました（新宿区、八王子市）。" in output

        quiet_day = round_.deadline - datetime.timedelta(days=3)
        output = run("--today", quiet_day.isoformat())
        assert output.strip() == (
            f"{era_date(quiet_day, western=True)}：提出期限の7日前・1日前にあたる受付中の年度はありません（督促していません）。"
        )

    def test_other_days(self, round_, officers, mailoutbox):
        three_days_before = (round_.deadline - datetime.timedelta(days=3)).isoformat()
        run("--days", "3", "--today", three_days_before)
        assert len(mailoutbox) == 2
        run("--days", "14,3", "--today", three_days_before)  # the same day again: nothing
        assert len(mailoutbox) == 2

    def test_twice_the_same_day_sends_once(self, round_, officers, mailoutbox):
        day = (round_.deadline - datetime.timedelta(days=1)).isoformat()
        run("--today", day)
        output = run("--today", day)
        assert len(mailoutbox) == 2 and ReturnReminder.objects.count() == 2
        assert "0団体に督促しました。本日督促済みのため送らなかった団体：新宿区、八王子市。" in output

    def test_dry_run_sends_nothing_and_lists_who(self, round_, officers, plan_admin, mailoutbox):
        submitted(return_of(round_, "八王子市"), officers["八王子市"])
        output = run("--dry-run", "--today", (round_.deadline - datetime.timedelta(days=7)).isoformat())
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0
        assert "督促する区市町村（1団体）：新宿区" in output
        assert "本日督促済み（0団体）：なし" in output
        assert (
            "メールアドレスが登録された担当者がいません（60団体）：千代田区、中央区、港区、文京区" in output
        )
        assert "八王子市" not in output
        assert "（確認のみ：メールは送っていません）" in output

    def test_a_closed_round_is_left_alone(self, round_, officers, plan_admin, mailoutbox):
        services.return_round_close(round=round_, user=plan_admin)
        output = run("--today", (round_.deadline - datetime.timedelta(days=7)).isoformat())
        assert mailoutbox == [] and "受付中の年度はありません" in output

    def test_a_failed_mail_makes_the_run_fail_after_the_others(self, settings, round_, officers, mailoutbox):
        settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
        with pytest.raises(CommandError, match="1団体にメールを送信できませんでした：八王子市"):
            run("--today", (round_.deadline - datetime.timedelta(days=7)).isoformat())
        assert reminded_names(round_) == ["新宿区"]

    @pytest.mark.parametrize("days", ["", "7,x", "-1", "7;1"])
    def test_a_wrong_days_option_is_refused_in_japanese(self, days, mailoutbox):
        with pytest.raises(CommandError, match="0以上の日数をカンマで区切って指定してください"):
            run("--days", days)


# --- the pages --------------------------------------------------------------------------------------------


class TestRoundPage:
    def test_the_button_while_the_round_is_open(self, plan_admin_client, round_, plan_admin):
        page = plan_admin_client.get(round_url(YEAR))
        assert link_targets(page, "未提出の区市町村に督促する") == [url(YEAR)]
        services.return_round_close(round=round_, user=plan_admin)
        page = plan_admin_client.get(round_url(YEAR))
        assert link_targets(page, "未提出の区市町村に督促する") == []

    def test_the_log_says_who_was_reminded_when_and_by_whom(
        self, plan_admin_client, round_, officers, plan_admin
    ):
        today = timezone.localdate()
        remind(round_, plan_admin, today=today)
        services.return_reminders_send(
            round=round_, channel=COMMAND, today=today + datetime.timedelta(days=1)
        )
        reminders = {
            (reminder.municipality.name, reminder.channel): era_datetime(reminder.sent_at)
            for reminder in ReturnReminder.objects.select_related("municipality")
        }

        log = section(plan_admin_client.get(round_url(YEAR)), "督促記録 4件")
        # Newest first: the command's run of the next day above the button's; within a run, the
        # municipality reminded last (八王子市, after 新宿区 in code order) first.
        assert rows_of(select_one(log, "table")) == [
            ["区市町村", "日時", "督促した人", "経路"],
            ["八王子市", reminders[("八王子市", COMMAND)], "定期実行", "定期実行（管理コマンド）"],
            ["新宿区", reminders[("新宿区", COMMAND)], "定期実行", "定期実行（管理コマンド）"],
            ["八王子市", reminders[("八王子市", BUTTON)], str(plan_admin), "画面から送信"],
            ["新宿区", reminders[("新宿区", BUTTON)], str(plan_admin), "画面から送信"],
        ]
        assert reminders[("新宿区", BUTTON)].startswith(era_date(today))

    def test_no_reminder_yet(self, plan_admin_client, round_):
        log = section(plan_admin_client.get(round_url(YEAR)), "督促記録 0件")
        assert "まだ督促していません。" in text_of(log)


class TestConfirmationPage:
    def test_lists_who_will_be_reminded_and_who_not(self, plan_admin_client, round_, officers, plan_admin):
        officer_of("港区", "minato-no-mail", email="")
        submitted(return_of(round_, "新宿区"), officers["新宿区"])
        officer_of("千代田区", "chiyoda")
        services.return_reminders_send(round=round_, channel=COMMAND, today=timezone.localdate())
        officer_of("文京区", "bunkyo")

        page = plan_admin_client.get(url(YEAR))

        assert page.status_code == 200
        to_remind = rows_of(select_one(page, "table#to-remind"))
        assert to_remind[1:] == [[municipality("文京区").code, "文京区", "作成中", "bunkyo@example.jp"]]
        left_out = {row[1]: row[3] for row in rows_of(select_one(page, "table#left-out"))[1:]}
        assert left_out["千代田区"].startswith("本日") and left_out["千代田区"].endswith("に督促済み")
        assert left_out["八王子市"].endswith("に督促済み")
        assert left_out["港区"] == "メールアドレスが登録された担当者がいません（ホーム画面の表示のみ）"
        assert "新宿区" not in left_out and "新宿区" not in text_of(page)  # submitted
        assert len(left_out) == 62 - 2  # all but 新宿区 (submitted) and 文京区 (to remind)
        assert text_of(select_one(page, "form.confirm-actions button")) == "1団体に督促のメールを送る"
        assert broken_references(page) == []

    def test_sending_goes_back_to_the_round_page_with_a_summary(
        self, plan_admin_client, round_, officers, plan_admin, mailoutbox
    ):
        response = plan_admin_client.post(url(YEAR), follow=True)
        assert response.redirect_chain == [(round_url(YEAR), 302)]
        assert len(mailoutbox) == 2
        assert messages_of(response)[0].startswith(
            "令和7年度（2025年度）：2団体に督促しました（新宿区、八王子市）。"
        )
        log = section(response, "督促記録 2件")
        assert str(plan_admin) in text_of(log)

        again = plan_admin_client.post(url(YEAR), follow=True)
        assert len(mailoutbox) == 2
        assert "本日督促済みのため送らなかった団体：新宿区、八王子市" in messages_of(again)[0]

    def test_nobody_left_to_remind(self, plan_admin_client, round_, officers, plan_admin):
        remind(round_, plan_admin)
        page = plan_admin_client.get(url(YEAR))
        assert "督促のメールを送る区市町村はありません。" in text_of(page)
        assert select(page, "form.confirm-actions button") == []

    def test_a_closed_round(self, plan_admin_client, round_, officers, plan_admin, mailoutbox):
        services.return_round_close(round=round_, user=plan_admin)
        page = plan_admin_client.get(url(YEAR))
        assert "受付は終了しているため、督促できません" in text_of(page)
        assert select(page, "form.confirm-actions") == []
        response = plan_admin_client.post(url(YEAR), follow=True)
        assert messages_of(response) == [
            "督促できませんでした。この年度の提出受付は終了しました。督促するには、先に受付を再開してください。"
        ]
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0

    def test_a_year_without_a_round_is_not_found(self, plan_admin_client):
        assert plan_admin_client.get(url(2027)).status_code == 404


class TestOthersAreRefused:
    @pytest.mark.parametrize(
        "role", ["municipal_officer", "other_officer", "viewer", "bureau_staff", "case_handler"]
    )
    def test_forbidden(self, request, client, round_, officers, role, mailoutbox):
        client.force_login(request.getfixturevalue(role))
        assert client.get(url(YEAR)).status_code == 403
        assert client.post(url(YEAR)).status_code == 403
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0

    def test_anonymous_users_are_sent_to_sign_in(self, client, round_, officers, mailoutbox):
        for method in ("get", "post"):
            response = getattr(client, method)(url(YEAR))
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0

    def test_sending_needs_the_csrf_token(self, plan_admin, round_, officers, mailoutbox):
        client = Client(enforce_csrf_checks=True)
        client.force_login(plan_admin)
        assert client.get(url(YEAR)).status_code == 200
        assert client.post(url(YEAR)).status_code == 403
        assert mailoutbox == [] and ReturnReminder.objects.count() == 0


# --- the officer's home page --------------------------------------------------------------------------------


def home_card(client):
    return section(client.get(reverse("home")), "取組状況の報告")


class TestOfficerHome:
    def test_not_submitted_yet(self, client, round_, municipal_officer):
        client.force_login(municipal_officer)
        text = text_of(home_card(client))
        deadline = era_date(round_.deadline, western=True)
        assert f"提出期限は{deadline}です。まだ提出されていません。" in text
        assert "督促" not in text

    def test_reminded(self, client, round_, municipal_officer, plan_admin):
        today = timezone.localdate()
        remind(round_, plan_admin, today=today - datetime.timedelta(days=2))
        remind(round_, plan_admin, today=today)
        client.force_login(municipal_officer)
        text = text_of(home_card(client))
        assert f"{era_date(today, western=True)}に督促を受けています。" in text  # the latest
        assert "まだ提出されていません。" in text

    def test_without_an_address_the_notice_shows_all_the_same(self, client, round_, plan_admin):
        officer = officer_of("港区", "minato-no-mail", email="")
        remind(round_, plan_admin)
        client.force_login(officer)
        text = text_of(home_card(client))
        assert "まだ提出されていません。" in text and "督促を受けています" not in text

    def test_another_municipalitys_reminder_is_not_shown(
        self, client, round_, municipal_officer, other_officer, plan_admin
    ):
        remind(round_, plan_admin)
        ReturnReminder.objects.filter(municipality__name="新宿区").delete()
        client.force_login(municipal_officer)
        assert "督促を受けています" not in text_of(home_card(client))

    def test_no_notice_once_submitted(self, client, round_, municipal_officer, plan_admin):
        remind(round_, plan_admin)
        submitted(return_of(round_, "新宿区"), municipal_officer)
        client.force_login(municipal_officer)
        text = text_of(home_card(client))
        assert "まだ提出されていません" not in text and "督促を受けています" not in text

    def test_the_same_queries_however_many_reminders(
        self, client, round_, municipal_officer, plan_admin, django_assert_max_num_queries
    ):
        client.force_login(municipal_officer)
        remind(round_, plan_admin)
        with django_assert_max_num_queries(30) as few:
            client.get(reverse("home"))
        today = timezone.localdate()
        for days in range(1, 6):
            remind(round_, plan_admin, today=today + datetime.timedelta(days=days))
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("home"))
        assert f"{era_date(today + datetime.timedelta(days=5), western=True)}に督促を受けています" in text_of(
            response
        )


# --- a fixed number of queries ------------------------------------------------------------------------------


class TestQueryCounts:
    def count(self, client, address, django_assert_max_num_queries):
        with django_assert_max_num_queries(30) as captured:
            response = client.get(address)
        assert response.status_code == 200
        return len(captured), response

    def test_round_page_and_confirmation_with_few_and_many_reminders(
        self, plan_admin_client, round_, officers, plan_admin, django_assert_max_num_queries
    ):
        remind(round_, plan_admin)
        few = [
            self.count(plan_admin_client, address, django_assert_max_num_queries)[0]
            for address in (round_url(YEAR), url(YEAR))
        ]

        # Officers with addresses in 30 more municipalities, reminded on five days, by two people and the command.
        for name in list(
            round_.returns.order_by("municipality__code").values_list("municipality__name", flat=True)
        )[:30]:
            officer_of(name, f"officer-{municipality(name).code}")
        colleague = UserFactory(username="secretariat-2", role=Role.PLAN_ADMIN)
        today = timezone.localdate()
        for days in range(1, 6):
            sender = colleague if days % 2 else plan_admin
            remind(round_, sender, today=today + datetime.timedelta(days=days))
        services.return_reminders_send(
            round=round_, channel=COMMAND, today=today + datetime.timedelta(days=6)
        )
        total = ReturnReminder.objects.filter(round=round_).count()
        assert total > 150

        many = []
        for address in (round_url(YEAR), url(YEAR)):
            queries, response = self.count(plan_admin_client, address, django_assert_max_num_queries)
            many.append(queries)
        assert many == few
        round_page = plan_admin_client.get(round_url(YEAR))
        assert len(select(round_page, "table.reminders-table tbody tr")) == total
