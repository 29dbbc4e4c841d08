"""Remind the municipalities that have not submitted, N days before a round's deadline.

For a scheduler (cron, a systemd timer) to run once a day: `manage.py send_return_reminders`
reminds, for every open round whose deadline is 7 or 1 days ahead (`--days`), every municipality
whose return is not submitted (municipalities.services.return_reminders_send, channel 定期実行).
Running it again the same day sends nothing twice: the service leaves out a municipality already
reminded that day, by the command or the button. `--dry-run` lists who would be reminded. The exit
status is non-zero when a mail could not be sent, so that the scheduler reports it."""

import argparse
import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from municipalities import selectors, services
from municipalities.models import ReturnReminder, ReturnRound
from plan.common.fiscal_year import era_date

DAYS_HELP = "提出期限の何日前に督促するか。カンマ区切りの日数（0は期限当日）。既定は「7,1」（7日前と1日前）。"


def parse_days(text: str) -> list[int]:
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    except ValueError:
        days = []
    if not days or any(day < 0 for day in days):
        raise CommandError(
            f"--days の指定「{text}」が正しくありません。「7,1」のように、0以上の日数をカンマで区切って指定してください。"
        )
    return days


def parse_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付「{text}」は YYYY-MM-DD の形で指定してください。") from None


def names(targets) -> str:
    return "、".join(target.municipality.name for target in targets) or "なし"


class Command(BaseCommand):
    help = (
        "提出期限の7日前・1日前（--days で変更可）の受付中の年度について、年次報告を提出していない区市町村の担当者に"
        "督促のメールを送り、督促記録を残します。同じ日に同じ区市町村へは二度送りません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", default="7,1", help=DAYS_HELP)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="メールを送らず、督促する区市町村と督促しない区市町村を表示します。",
        )
        # For the tests: the day the run is for (Tokyo's date). Not for production use.
        parser.add_argument("--today", type=parse_day, help=argparse.SUPPRESS)

    def handle(self, *args, days="7,1", dry_run=False, today=None, **options):
        wanted = parse_days(days)
        today = today or timezone.localdate()
        deadlines = {today + datetime.timedelta(days=day): day for day in wanted}
        rounds = list(
            ReturnRound.objects.filter(closed_at__isnull=True, deadline__in=list(deadlines)).order_by(
                "fiscal_year"
            )
        )
        when = "・".join("期限当日" if day == 0 else f"{day}日前" for day in wanted)
        if not rounds:
            self.stdout.write(
                f"{era_date(today, western=True)}：提出期限の{when}にあたる受付中の年度はありません（督促していません）。"
            )
            return
        failed = []
        for round in rounds:
            ahead = deadlines[round.deadline]
            self.stdout.write(
                f"{round.year.label}（提出期限 {era_date(round.deadline, western=True)}、"
                + ("本日が期限" if ahead == 0 else f"あと{ahead}日")
                + "）"
            )
            if dry_run:
                plan = selectors.reminder_plan(round, today=today)
                self.stdout.write(f"  督促する区市町村（{len(plan.to_remind)}団体）：{names(plan.to_remind)}")
                self.stdout.write(
                    f"  本日督促済み（{len(plan.already_today)}団体）：{names(plan.already_today)}"
                )
                self.stdout.write(
                    f"  {selectors.NO_ADDRESS_MESSAGE}（{len(plan.no_address)}団体）：{names(plan.no_address)}"
                )
                continue
            try:
                report = services.return_reminders_send(
                    round=round, channel=ReturnReminder.Channel.COMMAND, today=today
                )
            except ValidationError as error:
                self.stderr.write(f"  督促できませんでした：{' '.join(error.messages)}")
                continue
            self.stdout.write(f"  {report.summary}")
            failed += [target.municipality.name for target, _ in report.failed]
        if dry_run:
            self.stdout.write("（確認のみ：メールは送っていません）")
        if failed:
            raise CommandError(f"{len(failed)}団体にメールを送信できませんでした：{'、'.join(failed)}")
