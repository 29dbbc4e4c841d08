"""Demo data for the meetings, the organisation registry and the progress of FY2024.

For `make run` only (refused in production), so that a newcomer sees what the pages look like in
use: last fiscal year's promotion committee and three-tier council meetings with agenda items
linked to measures and follow-ups (one of them overdue), a few dozen organisations with roles (one
of them a temporary-protection provider, whose name is masked for whoever may not see it), and
FY2024 progress for some measures in every assessment.

Every row is written through meetings.services and plan.progress.services, as the pages would
write it. The organisations are fictional (each name ends in (デモ)) and every free text says
【デモ】. Running it again adds nothing: each demo row is looked for by its name or title first, and
a progress record already recorded is left as it is.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Body, FollowUp, Meeting, Organization, OrganizationRole
from meetings.names import clean_organization_name
from meetings.services import ItemChange
from plan.accounts.roles import first_plan_administrator
from plan.common.fiscal_year import FiscalYear
from plan.models import Measure, MeasureProgress, Plan, ProgressAssessment, ProgressDirection, User
from plan.progress.services import progress_update, progress_year_start

Kind = Organization.Kind
RoleKind = OrganizationRole.Kind
PARTNERS_SINCE = datetime.date(2024, 4, 1)

# The one temporary-protection provider: its name is confidential (DESIGN.md, Privacy).
PROVIDER_NAME = "シェルターあじさいの家(デモ)"

# name, kind, roles (role, start, end). Fictional names, marked (デモ).
ORGANIZATIONS = [
    ("みどり区 女性相談窓口(デモ)", Kind.GOVERNMENT, []),
    ("あおば市 福祉事務所(デモ)", Kind.GOVERNMENT, []),
    ("ひかり町 子育て支援課(デモ)", Kind.GOVERNMENT, []),
    ("さくら台市 女性相談支援員室(デモ)", Kind.GOVERNMENT, []),
    ("こもれび区 保健センター(デモ)", Kind.GOVERNMENT, []),
    ("かわせみ市 生活福祉課(デモ)", Kind.GOVERNMENT, []),
    ("みどり警察署 生活安全課(デモ)", Kind.POLICE, []),
    ("あおば警察署 生活安全課(デモ)", Kind.POLICE, []),
    ("医療法人 ひだまりクリニック(デモ)", Kind.MEDICAL, []),
    ("ほほえみ総合病院 医療相談室(デモ)", Kind.MEDICAL, []),
    ("学校法人 若葉学園(デモ)", Kind.SCHOOL, []),
    ("あおば高等学校(デモ)", Kind.SCHOOL, []),
    ("特定非営利活動法人 そよかぜの会(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 あかり相談ネット(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    (
        "一般社団法人 つばさ若年女性支援センター(デモ)",
        Kind.PRIVATE,
        [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None), (RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)],
    ),
    ("NPO法人 ゆうやけカフェ(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, datetime.date(2024, 10, 1), None)]),
    ("一般社団法人 ともしびハウス(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 はなみずきサポート(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 こだま相談室(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)]),
    ("特定非営利活動法人 ふたばの家(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, datetime.date(2025, 4, 1), None)]),
    ("一般社団法人 みちしるべ(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 虹のかけはし(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)]),
    (
        "NPO法人 きずなステップ(デモ)",
        Kind.PRIVATE,
        [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, datetime.date(2025, 3, 31))],  # an ended partnership
    ),
    ("一般社団法人 あさがお就労支援(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 ほしぞら夜まわり隊(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    ("特定非営利活動法人 まつぼっくり(デモ)", Kind.PRIVATE, []),
    ("一般社団法人 かざぐるま(デモ)", Kind.PRIVATE, [(RoleKind.MUNICIPAL_PARTNER, PARTNERS_SINCE, None)]),
    ("NPO法人 ひなたぼっこ(デモ)", Kind.PRIVATE, []),
    ("NPO法人 いろは法律相談会(デモ)", Kind.PRIVATE, [(RoleKind.METRO_PARTNER, PARTNERS_SINCE, None)]),
    ("社会福祉法人 やまびこ会(デモ)", Kind.OTHER, []),
    ("ボランティアグループ せせらぎ(デモ)", Kind.OTHER, []),
    (PROVIDER_NAME, Kind.PRIVATE, [(RoleKind.TEMPORARY_PROTECTION, PARTNERS_SINCE, None)]),
]

PROVIDER = [name for name, _, _ in ORGANIZATIONS].index(PROVIDER_NAME)

# Meetings of last fiscal year, by month and day within it (April = the year's first month).
# (body code, tier code, title, (month, day), openness, attending organisations by index,
#  agenda items [(title, measure numbers)], follow-ups [(description, owner, due (month, day), done, measures)])
COMMITTEE = "promotion-committee"
COUNCIL = "support-coordination-council"
_CENTER = "福祉局 子供・子育て支援部 育成支援課"


def demo_meetings(year: FiscalYear) -> list[dict]:
    n = year.era_label.removesuffix("年度")
    return [
        {
            "body": COMMITTEE,
            "tier": None,
            "title": f"【デモ】{n}年度 第1回 推進委員会",
            "date": (7, 24),
            "openness": Meeting.Openness.CLOSED,
            "organizations": [],
            "agenda": [
                ("【デモ】前年度の施策の進捗状況について", [15, 76]),
                ("【デモ】女性相談支援センターのDXの取組について", [86]),
            ],
            "follow_ups": [
                ("【デモ】進捗が遅れている施策の所管局へ状況を確認する", _CENTER, (9, 30), True, [76]),
            ],
            "minutes": "【デモ】前年度の進捗状況を報告し、委員から若年女性への支援について意見があった。",
            "decisions": "【デモ】進捗状況の報告書を了承した。",
        },
        {
            "body": COMMITTEE,
            "tier": None,
            "title": f"【デモ】{n}年度 第2回 推進委員会",
            "date": (1, 29),
            "openness": Meeting.Openness.CLOSED,
            "organizations": [],
            "agenda": [("【デモ】次年度の取組の方向性について", [77, 78])],
            "follow_ups": [
                # Overdue: due two weeks after the meeting, still open.
                ("【デモ】委員意見を踏まえた取組方針案を作成する", _CENTER, (2, 12), False, [77]),
            ],
            "minutes": "【デモ】次年度の取組について意見交換を行った。",
            "decisions": "",
        },
        {
            "body": COUNCIL,
            "tier": "representatives",
            "title": f"【デモ】{n}年度 代表者会議",
            "date": (6, 12),
            "openness": Meeting.Openness.CLOSED,
            "organizations": [0, 1, 6, 9, 12, 13, 14, PROVIDER],
            "agenda": [
                ("【デモ】支援調整会議の運営方針について", [86]),
                ("【デモ】関係機関の連携体制について", [15]),
            ],
            "follow_ups": [
                ("【デモ】連絡先一覧を更新し構成機関へ送付する", _CENTER, (7, 31), True, []),
            ],
            # Names the provider: the page masks it for whoever may not see providers' names.
            "minutes": f"【デモ】各機関から取組状況を報告。{PROVIDER_NAME}から受入れ状況の報告があった。",
            "decisions": "【デモ】年3回の実務者会議の開催を確認した。",
        },
        {
            "body": COUNCIL,
            "tier": "practitioners",
            "title": f"【デモ】{n}年度 第1回 実務者会議",
            "date": (5, 20),
            "openness": Meeting.Openness.CLOSED,
            "organizations": [0, 2, 6, 12, 15, 16, 24],
            "agenda": [("【デモ】若年女性への夜間アウトリーチの状況共有", [76, 77])],
            "follow_ups": [("【デモ】アウトリーチの実施結果を集計する", "【デモ】NPO法人 ほしぞら夜まわり隊", (6, 30), True, [76])],
            "minutes": "【デモ】夜間の見守り活動の状況を共有した。",
            "decisions": "",
        },
        {
            "body": COUNCIL,
            "tier": "practitioners",
            "title": f"【デモ】{n}年度 第2回 実務者会議",
            "date": (10, 16),
            "openness": Meeting.Openness.CLOSED,
            "organizations": [1, 3, 7, 10, 17, 18, 20, PROVIDER],
            "agenda": [
                ("【デモ】一時保護後の地域生活への移行について", [15]),
                ("【デモ】学校との連携について", [78]),
            ],
            "follow_ups": [("【デモ】学校向け啓発資料の配布先を確認する", _CENTER, (11, 28), True, [78])],
            "minutes": "【デモ】退所後の支援について事例を匿名化して共有した。",
            "decisions": "",
        },
        {
            "body": COUNCIL,
            "tier": "practitioners",
            "title": f"【デモ】{n}年度 第3回 実務者会議",
            "date": (2, 18),
            "openness": Meeting.Openness.OPEN,
            "organizations": [4, 5, 8, 11, 19, 21, 23],
            "agenda": [("【デモ】年度の振り返りと次年度の進め方", [86])],
            "follow_ups": [("【デモ】次年度の開催日程案を作成する", _CENTER, (3, 19), True, [])],
            "minutes": "【デモ】年度の取組を振り返った。",
            "decisions": "【デモ】次年度も年3回開催する。",
        },
    ]


# FY2024 progress: measure number → assessment (every one of them; a measure left out stays 未更新).
PROGRESS_YEAR = 2024
PROGRESS = [
    (1, ProgressAssessment.ON_TRACK, ProgressDirection.CONTINUE),
    (2, ProgressAssessment.MOSTLY_ON_TRACK, ProgressDirection.CONTINUE),
    (15, ProgressAssessment.ON_TRACK, ProgressDirection.EXPAND),
    (76, ProgressAssessment.DELAYED, ProgressDirection.REVISE),
    (77, ProgressAssessment.MOSTLY_ON_TRACK, ProgressDirection.EXPAND),
    (78, ProgressAssessment.NOT_STARTED, ProgressDirection.CONTINUE),
    (86, ProgressAssessment.COMPLETED, ProgressDirection.END),
]


def _on(year: FiscalYear, month_day: tuple[int, int]) -> datetime.date:
    month, day = month_day
    return datetime.date(year.year + (1 if month <= 3 else 0), month, day)


class Command(BaseCommand):
    help = (
        "デモ用に前年度の会議（推進委員会・支援調整会議）、関係機関・団体、令和6年度の進捗を作成します"
        "（開発・デモ環境専用。本番環境では実行できません）。"
    )

    @transaction.atomic
    def handle(self, *args, verbosity=1, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("本番環境（DJANGO_ENV=production）ではデモ用の会議・団体・進捗を作成できません。")
        secretariat = self.demo_secretariat()
        organizations, created_organizations = self.organizations(secretariat)
        created_meetings = self.meetings(secretariat, organizations)
        recorded = self.progress(secretariat)
        if verbosity:
            self.stdout.write(
                f"関係機関・団体 {created_organizations}件、会議 {created_meetings}件、"
                f"{FiscalYear(PROGRESS_YEAR).label}の進捗 {recorded}件を作成しました"
                "（既にあるものはそのままです）。"
            )

    def organizations(self, user) -> tuple[list[Organization], int]:
        # Looked for by the name as stored (Organization.clean tidies widths and spaces).
        existing = {clean_organization_name(o.name): o for o in Organization.objects.all()}
        result, created = [], 0
        for name, kind, roles in ORGANIZATIONS:
            organization = existing.get(clean_organization_name(name))
            if organization is None:
                organization = services.organization_create(
                    organization=Organization(name=name, kind=kind, note="【デモ】架空の団体です。"),
                    roles=[
                        OrganizationRole(role=role, start_date=start, end_date=end, note="【デモ】")
                        for role, start, end in roles
                    ],
                    user=user,
                )
                created += 1
            result.append(organization)
        return result, created

    def meetings(self, user, organizations) -> int:
        # Last fiscal year, or the plan's first while the plan is in its first year.
        year = FiscalYear(max(FiscalYear.current().previous().year, self.plan().start_fiscal_year))
        today = timezone.localdate()
        bodies = {body.code: body for body in Body.objects.prefetch_related("tiers")}
        existing = set(Meeting.objects.filter(title__startswith="【デモ】").values_list("title", flat=True))
        measures = {measure.number: measure for measure in Measure.objects.filter(plan=self.plan())}
        created = 0
        for spec in demo_meetings(year):
            if spec["title"] in existing:
                continue
            body = bodies[spec["body"]]
            tier = next(t for t in body.tiers.all() if t.code == spec["tier"]) if spec["tier"] else None
            date = _on(year, spec["date"])
            services.meeting_create(
                meeting=Meeting(
                    body=body,
                    tier=tier,
                    status=Meeting.Status.HELD if date <= today else Meeting.Status.PLANNED,
                    title=spec["title"],
                    date=date,
                    start_time=datetime.time(14, 0),
                    end_time=datetime.time(16, 0),
                    mode=Meeting.Mode.HYBRID,
                    place="【デモ】都庁第一本庁舎 会議室",
                    openness=spec["openness"],
                    attendee_count=12 + len(spec["organizations"]),
                    minutes=spec["minutes"],
                    decisions=spec["decisions"],
                ),
                organizations=[organizations[index] for index in spec["organizations"]],
                agenda_items=[
                    ItemChange(AgendaItem(position=position, title=title), [measures[n] for n in numbers])
                    for position, (title, numbers) in enumerate(spec["agenda"], start=1)
                ],
                follow_ups=[
                    ItemChange(
                        FollowUp(description=description, owner=owner, due_date=_on(year, due), done=done),
                        [measures[n] for n in numbers],
                    )
                    for description, owner, due, done, numbers in spec["follow_ups"]
                ],
                user=user,
            )
            created += 1
        return created

    def progress(self, user) -> int:
        plan = self.plan()
        progress_year_start(plan=plan, fiscal_year=PROGRESS_YEAR, user=user)  # changes nothing when started
        records = MeasureProgress.objects.filter(
            measure__plan=plan, fiscal_year=PROGRESS_YEAR, measure__number__in=[n for n, _, _ in PROGRESS]
        ).select_related("measure")
        by_number = {record.measure.number: record for record in records}
        recorded = 0
        for number, assessment, direction in PROGRESS:
            record = by_number[number]
            if record.assessment:  # recorded already (by this command or by someone trying the demo)
                continue
            not_started = assessment == ProgressAssessment.NOT_STARTED
            progress_update(
                progress=record,
                expected_version=record.version,
                values={
                    "assessment": assessment,
                    "direction": direction,
                    "achievements": "" if not_started else "【デモ】計画どおり事業を実施した（架空の実績です）。",
                    "issues": "【デモ】関係機関との連携をさらに進める必要がある。",
                    "next_steps": "【デモ】次年度も取組を継続する。",
                },
                user=user,
                reason="デモデータの作成",
            )
            recorded += 1
        return recorded

    def plan(self) -> Plan:
        plan = Plan.objects.order_by("pk").first()
        if plan is None:
            raise CommandError("計画がありません。先に load_reference_data を実行してください。")
        return plan

    def demo_secretariat(self) -> User:
        user = first_plan_administrator()
        if user is None:
            raise CommandError("計画管理者のアカウントがありません。先に create_demo_users を実行してください。")
        return user
