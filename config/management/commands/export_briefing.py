"""`manage.py export_briefing --fiscal-year 2025 --form members -o briefing.xlsx`: the committee
briefing workbook (config.briefing) written to a file, for the secretariat's scheduled jobs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.briefing import BriefingError, BriefingForm, briefing_workbook


class Command(BaseCommand):
    help = "推進委員会資料（Excel）を作成します。--form members は委員用、public は公表用です。"

    def add_arguments(self, parser):
        parser.add_argument("--fiscal-year", type=int, required=True, help="対象年度（西暦、例：2025）")
        parser.add_argument(
            "--form",
            choices=BriefingForm.ALL,
            default=BriefingForm.MEMBERS,
            help="members（委員用）または public（公表用）",
        )
        parser.add_argument("-o", "--output", required=True, help="書き出すファイル（.xlsx）")

    def handle(self, *args, fiscal_year, form, output, **options):
        try:
            content = briefing_workbook(fiscal_year=fiscal_year, form=form)
        except BriefingError as error:
            raise CommandError(str(error)) from error
        path = Path(output)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"ファイル {path} に書き込めませんでした（{error.strerror}）。") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"推進委員会資料（{BriefingForm.LABELS[form]}）を {path} に書き出しました（{len(content):,} バイト）。"
            )
        )
