"""Demo data for the annual returns: the FY2025 round open, with returns in every state.

For `make run` only (refused in production). Every row is written through the services, as the
pages would write it; the answers are demo answers, not any municipality's real ones, and the
demo's round says so in its message."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from municipalities import services
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    Municipality,
    PlanStatus,
    ReturnRound,
    ReturnState,
    WorkerPlacement,
    YesNoUnknown,
)
from plan.accounts.roles import first_plan_administrator
from plan.models import User

DEMO_YEAR = 2025
DEMO_MESSAGE = (
    "【デモ】令和7年度（2025年度）の取組状況をご報告ください。"
    "このデモの回答はすべて架空のもので、実際の区市町村の状況ではありません。"
)
# Which municipalities' returns the demo moves on, by name; the others stay not started. 新宿区
# (the `officer` account) is left not started so that the officer can fill it in; 八王子市 (the
# `officer2` account) is sent back with a comment.
ACCEPTED = ["千代田区", "中央区", "港区", "文京区", "台東区", "品川区", "立川市", "武蔵野市", "三鷹市", "府中市"]
SUBMITTED = ["目黒区", "大田区", "世田谷区", "調布市", "町田市", "小平市"]
SENT_BACK = "八王子市"
SEND_BACK_COMMENT = "【デモ】実務者会議の開催回数をご確認ください。年度内に開催した回数をご記入ください。"


def demo_answers(municipality: Municipality, index: int) -> dict:
    """Complete answers that vary from one municipality to the next (by its place in the list), so
    that the status matrix shows every kind of answer."""
    values = {
        "workers_placement": WorkerPlacement.PLACED,
        "workers_full_time": index % 3,
        "workers_part_time": 1 + index % 4,
        "requests_to_metro": "【デモ】研修の開催回数の拡充を希望します。",
    }
    values["workers_trained"] = min(values["workers_full_time"] + values["workers_part_time"], 2)
    if index % 3 == 0:
        values |= {
            "plan_status": PlanStatus.MADE,
            "plan_made_on": datetime.date(2025, 3, 1),
            "plan_name": "【デモ】困難な問題を抱える女性への支援のための基本計画",
            "plan_period_start": 2025,
            "plan_period_end": 2029,
        }
    elif index % 3 == 1:
        values |= {
            "plan_status": PlanStatus.INTEGRATED,
            "plan_made_on": datetime.date(2024, 3, 15),
            "integrated_plan_name": "【デモ】男女共同参画推進計画",
            "plan_period_start": 2024,
            "plan_period_end": 2028,
        }
    else:
        values |= {"plan_status": PlanStatus.IN_PROGRESS, "plan_expected_fiscal_year": 2026}
    if index % 2 == 0:
        values |= {
            "council_status": CouncilStatus.SET_UP,
            "council_set_up_on": datetime.date(2024, 10, 1),
            "council_has_representatives": True,
            "council_has_practitioners": True,
            "council_representatives_meetings": 1,
            "council_practitioners_meetings": 2 + index % 3,
            "council_private_participation": YesNoUnknown.NO,
        }
    else:
        values |= {"council_status": CouncilStatus.NOT_SET_UP, "council_expected_fiscal_year": 2026}
    return values


class Command(BaseCommand):
    help = "デモ用に令和7年度（2025年度）の年次報告の受付を開始し、さまざまな状態の報告を作成します（本番環境では実行できません）。"

    @transaction.atomic
    def handle(self, *args, verbosity=1, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("本番環境（DJANGO_ENV=production）ではデモ用の年次報告を作成できません。")
        if ReturnRound.objects.filter(fiscal_year=DEMO_YEAR).exists():
            if verbosity:
                self.stdout.write("令和7年度（2025年度）の年次報告の受付は既にあります。何も変更しません。")
            return
        secretariat = self.demo_secretariat()
        round = services.return_round_open(
            fiscal_year=DEMO_YEAR,
            deadline=timezone.localdate() + datetime.timedelta(days=21),
            message=DEMO_MESSAGE,
            user=secretariat,
        )
        returns = {
            annual_return.municipality.name: annual_return
            for annual_return in AnnualReturn.objects.filter(round=round).select_related("municipality", "round")
        }
        for index, name in enumerate(ACCEPTED + SUBMITTED + [SENT_BACK]):
            submitted = self.submit(returns[name], secretariat, index)
            if name in ACCEPTED:
                services.annual_return_accept(annual_return=submitted, user=secretariat)
            elif name == SENT_BACK:
                services.annual_return_send_back(annual_return=submitted, comment=SEND_BACK_COMMENT, user=secretariat)
        if verbosity:
            states = AnnualReturn.objects.filter(round=round)
            counts = {state.label: states.filter(state=state).count() for state in ReturnState}
            summary = "、".join(f"{label} {count}件" for label, count in counts.items())
            self.stdout.write(f"令和7年度（2025年度）の年次報告の受付を開始しました（{summary}）。")

    def submit(self, annual_return: AnnualReturn, user, index: int) -> AnnualReturn:
        # The secretariat enters the demo answers on each municipality's behalf (the demo has an
        # officer account for two municipalities only), as it does for a return sent in as Excel.
        saved = services.annual_return_save_draft(
            annual_return=annual_return,
            values=demo_answers(annual_return.municipality, index),
            expected_version=annual_return.version,
            user=user,
        )
        return services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=user)

    def demo_secretariat(self) -> User:
        user = first_plan_administrator()
        if user is None:
            raise CommandError("計画管理者のアカウントがありません。先に create_demo_users を実行してください。")
        return user
