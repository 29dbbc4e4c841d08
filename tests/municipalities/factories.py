"""Factories and helpers for the annual returns: rounds, returns in each state, training courses,
and a complete set of answers."""

import datetime

import factory
from django.utils import timezone

from municipalities import services
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    Municipality,
    PlanStatus,
    ReturnRound,
    TrainingCourse,
    TrainingTopic,
    WorkerPlacement,
    YesNoUnknown,
)
from plan.common.fiscal_year import FiscalYear
from tests.factories import Role, UserFactory

YEAR = 2025  # the reporting year most tests use (令和7年度)


def deadline_for(fiscal_year: int) -> datetime.date:
    """A deadline the round's rules take whatever today is: after the year's end, not past."""
    year = FiscalYear(fiscal_year)
    return max(year.end + datetime.timedelta(days=60), timezone.localdate() + datetime.timedelta(days=30))


def secretariat():
    """A plan administrator, made once per test."""
    from plan.models import User

    user = User.objects.filter(username="returns-secretariat").first()
    return user or UserFactory(username="returns-secretariat", role=Role.PLAN_ADMIN)


class ReturnRoundFactory(factory.django.DjangoModelFactory):
    """A round without its returns (use `open_round` for the real thing)."""

    class Meta:
        model = ReturnRound
        django_get_or_create = ["fiscal_year"]

    fiscal_year = YEAR
    deadline = factory.LazyAttribute(lambda round: deadline_for(round.fiscal_year))
    message = "令和7年度の取組状況をご報告ください。"


class AnnualReturnFactory(factory.django.DjangoModelFactory):
    """One municipality's return, a draft (新宿区 unless told)."""

    class Meta:
        model = AnnualReturn

    round = factory.SubFactory(ReturnRoundFactory)
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(name="新宿区"))


class TrainingCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    fiscal_year = YEAR
    name = factory.Sequence(lambda n: f"試験用の研修{n}")
    career_stage = "試験"
    start_date = factory.LazyAttribute(lambda course: datetime.date(course.fiscal_year, 7, 1))
    topics = factory.LazyFunction(lambda: [TrainingTopic.WOMEN, TrainingTopic.SOCIAL_WORK])


def open_round(fiscal_year: int = YEAR, user=None) -> ReturnRound:
    return services.return_round_open(
        fiscal_year=fiscal_year, deadline=deadline_for(fiscal_year), message="ご報告ください。", user=user or secretariat()
    )


def complete_values(**overrides) -> dict:
    """Answers that make a complete return (a plan made, a council with two tiers, workers placed)."""
    values = {
        "plan_status": PlanStatus.MADE,
        "plan_made_on": datetime.date(2025, 3, 1),
        "plan_name": "困難な問題を抱える女性への支援のための基本計画",
        "plan_period_start": 2025,
        "plan_period_end": 2029,
        "council_status": CouncilStatus.SET_UP,
        "council_set_up_on": datetime.date(2024, 10, 1),
        "council_has_representatives": True,
        "council_has_practitioners": True,
        "council_representatives_meetings": 1,
        "council_practitioners_meetings": 4,
        "council_private_participation": YesNoUnknown.NO,
        "workers_placement": WorkerPlacement.PLACED,
        "workers_full_time": 2,
        "workers_part_time": 3,
        "workers_trained": 4,
        "requests_to_metro": "研修の回数を増やしてほしい。",
    }
    return values | overrides


def save(annual_return: AnnualReturn, user, **values) -> AnnualReturn:
    """Save answers as a draft from the return's current version."""
    annual_return.refresh_from_db()
    return services.annual_return_save_draft(
        annual_return=annual_return, values=values, expected_version=annual_return.version, user=user
    )


def submitted(annual_return: AnnualReturn, user, **overrides) -> AnnualReturn:
    """The return completed and submitted by `user`."""
    saved = save(annual_return, user, **complete_values(**overrides))
    return services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=user)


def accepted(annual_return: AnnualReturn, officer, admin=None, **overrides) -> AnnualReturn:
    returned = submitted(annual_return, officer, **overrides)
    return services.annual_return_accept(annual_return=returned, user=admin or secretariat())


def return_of(round: ReturnRound, name: str = "新宿区") -> AnnualReturn:
    return AnnualReturn.objects.select_related("round", "municipality").get(round=round, municipality__name=name)
