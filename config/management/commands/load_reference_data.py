from django.core.management.base import BaseCommand
from django.db import transaction

from indicators.reference_data import load_indicators
from meetings.reference_data import load_bodies
from municipalities.reference_data import load_municipalities
from plan.accounts.roles import setup_groups
from plan.reference.data import load_departments, load_plan, load_responsibilities
from plan.reference.loading import LoadReport

# In dependency order: departments before the plan that will point at them, and so on.
LOADERS = [
    ("所管局・所管課", load_departments),
    ("計画（基本目標・施策の方向・施策・再掲）", load_plan),
    ("施策の所管（暫定）", load_responsibilities),
    ("会議体・階層", load_bodies),
    ("区市町村", load_municipalities),
    ("指標", load_indicators),
]


class Command(BaseCommand):
    help = (
        "役割グループと参照データ（計画・区市町村・指標・会議体・所管局）を fixtures/ から読み込みます。"
        "何度実行しても重複しません。システム上で変更された値は上書きせず、差分として報告します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="システム上で変更された値も、フィクスチャの値で上書きします。",
        )

    @transaction.atomic
    def handle(self, *args, overwrite=False, verbosity=1, **options):
        setup_groups()
        total = LoadReport()
        for label, loader in LOADERS:
            report = loader(overwrite=overwrite)
            total.merge(report)
            if verbosity:
                self.stdout.write(f"{label}: {report.summary()}")
            for change in report.changes if verbosity > 1 else []:
                self.stdout.write(f"  {change}")
            for conflict in report.conflicts:
                self.stdout.write(self.style.WARNING(f"  {conflict}"))
        if total.conflicts and verbosity:
            self.stdout.write(
                self.style.WARNING(
                    f"システム上で変更された値 {len(total.conflicts)} 件を保持しました。"
                    "フィクスチャの値にするには --overwrite を付けて実行してください。"
                )
            )
