"""Synthetic data for the benchmark, written straight with bulk_create (not through the services:
building 100,000 history rows one service call at a time would take longer than the measurement).

`build(size)` runs on the default database, which must already hold the reference data (the plan,
Tokyo's 62 municipalities, the bodies, the indicators, the departments and the role groups). It
adds municipalities (with synthetic regions beyond Tokyo's), measures, progress records and their
history, return rounds with a return from every municipality, indicator values, organisations and
meetings with agenda items, plus a plan administrator and one officer per municipality."""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from indicators.models import Indicator, IndicatorValue
from meetings.models import AgendaItem, Body, Meeting, Organization, Tier
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    Municipality,
    MunicipalOfficer,
    PlanStatus,
    ReturnRound,
    ReturnState,
    WorkerPlacement,
    YesNoUnknown,
)
from plan.accounts.roles import GROUP_NAMES, Role
from plan.models import Area, Department, Listing, Measure, MeasureProgress, Plan, ProgressAssessment, User

PASSWORD = "bench-password-0001"  # the load test's officers and staff sign in with it
ADMIN_USERNAME = "bench-admin"

# Regions for municipalities beyond Tokyo's: the model's field holds up to three characters, and
# the pages group by whatever region a municipality has (Tokyo's three come first).
SYNTHETIC_REGIONS = ["北海道", "東北", "関東", "中部", "近畿", "中国", "四国", "九州"]


@dataclass(frozen=True)
class Size:
    name: str
    municipalities: int
    measures: int
    fiscal_years: int
    meetings: int
    history_rows: int
    organizations: int


SIZES = {
    # The two smallest are for the smoke test in the normal suite (query counts at two sizes).
    "tiny": Size(
        "tiny",
        municipalities=62,
        measures=120,
        fiscal_years=2,
        meetings=12,
        history_rows=60,
        organizations=20,
    ),
    "tiny2": Size(
        "tiny2",
        municipalities=90,
        measures=140,
        fiscal_years=3,
        meetings=40,
        history_rows=300,
        organizations=60,
    ),
    "tokyo": Size(
        "tokyo",
        municipalities=62,
        measures=120,
        fiscal_years=5,
        meetings=200,
        history_rows=1_000,
        organizations=200,
    ),
    "x10": Size(
        "x10",
        municipalities=620,
        measures=1_200,
        fiscal_years=5,
        meetings=2_000,
        history_rows=10_000,
        organizations=2_000,
    ),
    "national": Size(
        "national",
        municipalities=1_741,
        measures=240,
        fiscal_years=10,
        meetings=10_000,
        history_rows=100_000,
        organizations=20_000,
    ),
}


@dataclass
class Built:
    size: Size
    admin: User
    reporting_year: int  # the round page's and the progress list's year
    round_years: list[int]


def _bulk(model, objects, batch_size=2_000):
    return model.objects.bulk_create(objects, batch_size=batch_size)


def _users(municipalities) -> tuple[User, list[User]]:
    """A plan administrator and one officer per municipality, all with the same password (hashed once)."""
    password = make_password(PASSWORD)
    admin = User.objects.create(
        username=ADMIN_USERNAME, password=password, is_staff=True, last_name="事務局", first_name="試験"
    )
    groups = {role: Group.objects.get(name=name) for role, name in GROUP_NAMES.items()}
    admin.groups.add(groups[Role.PLAN_ADMIN])
    officers = _bulk(
        User,
        [
            User(username=f"officer-{m.code}", password=password, last_name=m.name, first_name="担当")
            for m in municipalities
        ],
    )
    officers = list(User.objects.filter(username__startswith="officer-").order_by("username"))
    by_code = {user.username.removeprefix("officer-"): user for user in officers}
    _bulk(MunicipalOfficer, [MunicipalOfficer(user=by_code[m.code], municipality=m) for m in municipalities])
    _bulk(
        User.groups.through,
        [
            User.groups.through(user_id=user.pk, group_id=groups[Role.MUNICIPAL_OFFICER].pk)
            for user in officers
        ],
    )
    # Ten staff who browse during the load test (plan administrators: the round page is theirs).
    staff = _bulk(
        User,
        [
            User(
                username=f"staff-{n:02d}",
                password=password,
                is_staff=True,
                last_name="事務局",
                first_name=f"職員{n}",
            )
            for n in range(10)
        ],
    )
    staff = list(User.objects.filter(username__startswith="staff-"))
    _bulk(
        User.groups.through,
        [User.groups.through(user_id=u.pk, group_id=groups[Role.PLAN_ADMIN].pk) for u in staff],
    )
    return admin, officers


def _municipalities(size: Size) -> list[Municipality]:
    extra = size.municipalities - Municipality.objects.count()
    new = []
    for n in range(max(extra, 0)):
        prefecture = 50 + n // 1000  # beyond the real prefecture codes (01–47)
        code5 = f"{prefecture:02d}{n % 1000:03d}"
        new.append(
            Municipality(
                code=f"{code5}0",
                code5=code5,
                name=f"架空市{n:04d}",
                kana=f"カクウシ{n:04d}",
                kind=Municipality.Kind.CITY,
                region=SYNTHETIC_REGIONS[n % len(SYNTHETIC_REGIONS)],
            )
        )
    _bulk(Municipality, new)
    return list(Municipality.objects.order_by("code"))


def _measures(plan: Plan, size: Size, rng: random.Random) -> list[Measure]:
    existing = Measure.objects.filter(plan=plan).count()
    areas = list(Area.objects.filter(goal__plan=plan).order_by("goal__number", "position"))
    positions = {area.pk: Listing.objects.filter(area=area).count() for area in areas}
    new_measures = [
        Measure(
            plan=plan,
            number=number,
            heading=f"試験用の施策{number}",
            content=f"試験用の施策{number}の内容。" * 5,
        )
        for number in range(existing + 1, size.measures + 1)
    ]
    _bulk(Measure, new_measures)
    created = list(Measure.objects.filter(plan=plan, number__gt=existing).order_by("number"))
    listings = []
    for index, measure in enumerate(created):
        area = areas[index % len(areas)]
        positions[area.pk] += 1
        listings.append(Listing(measure=measure, area=area, position=positions[area.pk]))
    _bulk(Listing, listings)
    return list(Measure.objects.filter(plan=plan).order_by("number"))


def _progress(measures, years, size: Size, admin: User, rng: random.Random):
    departments = list(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    assessments = [value for value, _ in ProgressAssessment.choices]
    now = timezone.now()
    records = []
    for year in years:
        for measure in measures:
            updated = rng.random() < 0.8
            records.append(
                MeasureProgress(
                    measure=measure,
                    fiscal_year=year,
                    assessment=rng.choice(assessments) if updated else "",
                    achievements=("研修を実施し、関係機関との連携を強化した。" * rng.randint(1, 6))
                    if updated
                    else "",
                    issues="支援につながっていない女性への周知。" if updated else "",
                    version=2 if updated else 1,
                    updated_at=now if updated else None,
                    updated_by=admin if updated else None,
                )
            )
    _bulk(MeasureProgress, records)
    records = list(MeasureProgress.objects.filter(fiscal_year__in=years))
    through = MeasureProgress.departments.through
    _bulk(
        through,
        [through(measureprogress_id=r.pk, department_id=rng.choice(departments)) for r in records],
    )
    history_model = MeasureProgress.history.model
    history = []
    for n in range(size.history_rows):
        record = records[n % len(records)]
        history.append(
            history_model(
                id=record.pk,
                measure_id=record.measure_id,
                fiscal_year=record.fiscal_year,
                assessment=record.assessment,
                direction="",
                achievements=record.achievements,
                issues=record.issues,
                next_steps="",
                version=1 + n // len(records),
                started_at=record.started_at,
                updated_at=record.updated_at,
                updated_by_id=record.updated_by_id,
                history_date=now - datetime.timedelta(minutes=size.history_rows - n),
                history_change_reason="試験データ",
                history_type="+" if n < len(records) else "~",
                history_user=admin,
            )
        )
    _bulk(history_model, history, batch_size=5_000)


def _returns(municipalities, round_years, admin: User, rng: random.Random, *, open_drafts: bool = False):
    now = timezone.now()
    rounds = _bulk(
        ReturnRound,
        [
            ReturnRound(
                fiscal_year=year,
                deadline=datetime.date(year + 1, 6, 30),
                message="取組状況をご報告ください。",
                opened_by=admin,
                opened_at=now,
            )
            for year in round_years
        ],
    )
    rounds = list(ReturnRound.objects.filter(fiscal_year__in=round_years).order_by("fiscal_year"))
    returns = []
    for round_ in rounds:
        latest = round_ is rounds[-1]
        for municipality in municipalities:
            # The latest round as on its deadline: most drafts, some submitted or accepted.
            # With open_drafts (the load test), every return of the latest round an empty draft.
            if latest and open_drafts:
                state = ReturnState.DRAFT
            elif latest:
                state = rng.choice(
                    [ReturnState.DRAFT, ReturnState.DRAFT, ReturnState.SUBMITTED, ReturnState.ACCEPTED]
                )
            else:
                state = ReturnState.ACCEPTED
            answered = state != ReturnState.DRAFT or (not open_drafts and rng.random() < 0.5)
            returns.append(
                AnnualReturn(
                    round=round_,
                    municipality=municipality,
                    state=state,
                    plan_status=PlanStatus.MADE if answered else "",
                    plan_made_on=datetime.date(round_.fiscal_year, 3, 1) if answered else None,
                    plan_name="困難な問題を抱える女性への支援のための基本計画" if answered else "",
                    plan_period_start=round_.fiscal_year if answered else None,
                    plan_period_end=round_.fiscal_year + 4 if answered else None,
                    council_status=CouncilStatus.SET_UP if answered else "",
                    council_set_up_on=datetime.date(round_.fiscal_year, 10, 1) if answered else None,
                    council_has_representatives=answered,
                    council_has_practitioners=answered,
                    council_representatives_meetings=1 if answered else None,
                    council_practitioners_meetings=4 if answered else None,
                    council_private_participation=YesNoUnknown.NO if answered else "",
                    workers_placement=WorkerPlacement.PLACED if answered else "",
                    workers_full_time=2 if answered else None,
                    workers_part_time=3 if answered else None,
                    workers_trained=4 if answered else None,
                    requests_to_metro="研修の回数を増やしてほしい。" if answered else "",
                    version=3 if answered else 1,
                    updated_at=now if answered else None,
                    submitted_at=now if state in (ReturnState.SUBMITTED, ReturnState.ACCEPTED) else None,
                    accepted_at=now if state == ReturnState.ACCEPTED else None,
                )
            )
    _bulk(AnnualReturn, returns)


def _indicators(years, admin: User):
    now = timezone.now()
    values = [
        IndicatorValue(
            indicator=indicator,
            fiscal_year=year,
            entered_value=10 + year % 7 + indicator.number,
            entered_source="試験データ",
            entered_at=now,
            entered_by=admin,
        )
        for indicator in Indicator.objects.all()
        for year in years
    ]
    _bulk(IndicatorValue, values)


def _meetings(size: Size, measures, years, admin: User, rng: random.Random):
    kinds = [value for value, _ in Organization.Kind.choices]
    _bulk(
        Organization,
        [
            Organization(name=f"試験団体{n:05d}", kind=kinds[n % len(kinds)])
            for n in range(size.organizations)
        ],
    )
    organizations = list(Organization.objects.values_list("pk", flat=True))
    committee = Body.objects.get(code="promotion-committee")
    council = Body.objects.get(code="support-coordination-council")
    tiers = list(Tier.objects.filter(body=council).exclude(code="case-review"))
    first = datetime.date(min(years), 4, 1)
    span = (datetime.date(max(years) + 1, 3, 31) - first).days
    today = timezone.localdate()
    meetings = []
    for n in range(size.meetings):
        date = first + datetime.timedelta(days=rng.randrange(span))
        on_committee = n % 5 == 0
        meetings.append(
            Meeting(
                body=committee if on_committee else council,
                tier=None if on_committee else tiers[n % len(tiers)],
                status=Meeting.Status.HELD if date <= today else Meeting.Status.PLANNED,
                title=f"試験会議 第{n + 1}回",
                date=date,
                place="都庁第一本庁舎",
                attendee_count=12,
                minutes="議事の要旨。" * 4 if date <= today else "",
                created_by=admin,
            )
        )
    _bulk(Meeting, meetings)
    meeting_ids = list(Meeting.objects.values_list("pk", flat=True))
    items = [
        AgendaItem(meeting_id=meeting_id, position=position, title=f"議題{position}")
        for meeting_id in meeting_ids
        for position in (1, 2, 3)
    ]
    _bulk(AgendaItem, items, batch_size=5_000)
    item_ids = list(AgendaItem.objects.values_list("pk", flat=True))
    measure_ids = [measure.pk for measure in measures]
    through = AgendaItem.measures.through
    _bulk(
        through,
        [through(agendaitem_id=item_id, measure_id=rng.choice(measure_ids)) for item_id in item_ids],
        batch_size=5_000,
    )
    attending = Meeting.attending_organizations.through
    if organizations:
        _bulk(
            attending,
            [
                attending(meeting_id=meeting_id, organization_id=organization_id)
                for meeting_id in meeting_ids
                for organization_id in rng.sample(organizations, min(3, len(organizations)))
            ],
            batch_size=5_000,
        )


def build(size: Size | str, *, seed: int = 13, open_drafts: bool = False) -> Built:
    """Fill the default database (reference data already loaded) with `size`'s synthetic rows;
    `open_drafts`: the latest round's returns all empty drafts (the load test submits them)."""
    size = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(seed)
    plan = Plan.objects.current()
    reporting_year = plan.current_reporting_year().year
    # Progress years: the plan's first years up to its end, earlier ones beyond five (the years
    # of an earlier plan, in the national size's ten).
    progress_years = list(range(plan.end_fiscal_year - size.fiscal_years + 1, plan.end_fiscal_year + 1))
    round_years = list(range(reporting_year - size.fiscal_years + 1, reporting_year + 1))
    with transaction.atomic():
        municipalities = _municipalities(size)
        admin, _ = _users(municipalities)
        measures = _measures(plan, size, rng)
        _progress(measures, progress_years, size, admin, rng)
        _returns(municipalities, round_years, admin, rng, open_drafts=open_drafts)
        _indicators(sorted(set(progress_years) | set(round_years)), admin)
        _meetings(size, measures, round_years, admin, rng)
    return Built(size=size, admin=admin, reporting_year=reporting_year, round_years=round_years)
