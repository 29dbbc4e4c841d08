from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from plan.models import Plan
from plan.progress.selectors import next_year_to_start
from plan.progress.services import plan_set_reporting_year, progress_year_start


class Command(BaseCommand):
    help = (
        "施策の進捗の年度を開始します（各施策にその年度の記録を作成。所管と今後の方向性は前年度から引き継ぎ、"
        "ほかは空欄の「未更新」）。開始済みの年度に実行しても何も変わりません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", dest="fiscal_year", type=int, help="開始する年度（西暦、例：2025）。省略時は次の未開始の年度。")
        parser.add_argument(
            "--set-reporting-year", action="store_true", help="開始した年度を報告対象年度にも設定します。"
        )

    def handle(self, *args, fiscal_year=None, set_reporting_year=False, verbosity=1, **options):
        plan = Plan.objects.current()
        if plan is None:
            raise CommandError("計画データがありません。先に load_reference_data を実行してください。")
        if fiscal_year is None:
            next_year = next_year_to_start(plan)
            if next_year is None:
                raise CommandError("計画期間のすべての年度を開始済みです。")
            fiscal_year = next_year.year
        try:
            result = progress_year_start(plan=plan, fiscal_year=fiscal_year, user=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if verbosity:
            if result.created:
                self.stdout.write(f"{result.year.label}を開始しました（記録 {result.created} 件を作成）。")
            else:
                self.stdout.write(f"{result.year.label}はすでに開始されています（何も変更していません）。")
        if set_reporting_year:
            reporting_year = plan_set_reporting_year(plan=plan, fiscal_year=result.year.year, user=None)
            if verbosity:
                self.stdout.write(f"報告対象年度を{reporting_year.label}にしました。")
