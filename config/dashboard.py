"""The home dashboard: what each role sees first after login, read through the apps' own selectors
and access rules (config composes every app; the rules stay where they are written).

One function per role returns the template that renders its part and that part's data, in a fixed
number of queries whatever the number of years, records, meetings or rounds:

- the secretariat (plan administrators): measures by assessment for the reporting year, the open
  return rounds' progress, meetings in the next 30 days, overdue follow-ups, headings to confirm;
- bureau staff: their scope's measures not yet updated for the reporting year, each a link to its
  edit page (the scope is plan.progress.access's, never worked out here);
- municipal officers: their own municipality's returns (the card municipalities builds) and where
  their municipality's information is shared;
- viewers (committee members): the plan's progress by goal and the next committee meeting.

The secretariat and viewers also see the six indicators for the reporting year against their
targets (indicators.selectors: the same figures as the indicators' overview). Nothing here reads
case reviews or names an organisation: the dashboard carries counts only.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from indicators.selectors import indicator_year_figures
from meetings.access import follow_ups_visible_to, meetings_visible_to
from meetings.models import Body, FollowUp, Meeting
from municipalities.access import officer_municipality_id
from municipalities.selectors import round_summaries
from municipalities.views.officer import home_cards as officer_return_cards
from plan.accounts.roles import Role, role_of
from plan.common.fiscal_year import FiscalYear, era_date
from plan.models import Goal, Listing, Measure, MeasureProgress, Plan, ProgressAssessment
from plan.progress.access import progress_editable_by
from plan.progress.selectors import progress_counts

UPCOMING_DAYS = 30  # how far ahead the secretariat's list of meetings looks


# --- the plan card, for everyone ---------------------------------------------------------------------


def plan_summary(plan: Plan | None) -> dict:
    """The plan card: its period, the reporting year and how many goals, areas and measures."""
    if plan is None:
        return {"plan": None}
    listing_counts = Listing.objects.filter(measure__plan=plan).aggregate(
        measures=Count("id", filter=Q(relisted=False)), relistings=Count("id", filter=Q(relisted=True))
    )
    return {
        "plan": plan,
        "reporting_year": plan.current_reporting_year(),
        "goal_count": plan.goals.count(),
        "area_count": plan.goals.aggregate(n=Count("areas"))["n"],
        "measure_count": listing_counts["measures"],
        "relisting_count": listing_counts["relistings"],
    }


# --- measures by assessment ------------------------------------------------------------------------


@dataclass
class AssessmentTally:
    """Measures by assessment (進捗状況) in one year, each measure counted once. 未入力 is every
    measure without an assessment: its record is blank, or the year has not been started."""

    measures: int = 0
    counts: dict = field(default_factory=dict)  # assessment value ("" for blank) -> records
    not_updated: int = 0
    records: int = 0

    @property
    def cells(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0)) for value, label in ProgressAssessment.choices]

    @property
    def assessed(self) -> int:
        return sum(n for value, n in self.counts.items() if value)

    @property
    def not_entered(self) -> int:
        return max(self.measures - self.assessed, 0)


@dataclass
class GoalTally:
    goal: Goal
    tally: AssessmentTally


def assessment_tallies(plan: Plan, fiscal_year: FiscalYear) -> tuple[list[GoalTally], AssessmentTally]:
    """Each goal's measures by assessment for the year, and the plan's total. The records are
    counted by plan.progress's own selector (the progress list's counts, so the two agree); the
    measures of each goal are its original listings. Three queries."""
    measures = dict(
        Listing.objects.filter(measure__plan=plan, relisted=False)
        .order_by()
        .values("area__goal__number")
        .annotate(n=Count("id"))
        .values_list("area__goal__number", "n")
    )
    goals, total = [], AssessmentTally()
    for counts in progress_counts(plan=plan, fiscal_year=fiscal_year.year):
        tally = AssessmentTally(
            measures=measures.get(counts.goal.number, 0),
            counts=dict(counts.counts),
            not_updated=counts.not_updated,
            records=counts.records,
        )
        goals.append(GoalTally(counts.goal, tally))
        total.measures += tally.measures
        total.not_updated += tally.not_updated
        total.records += tally.records
        for value, n in tally.counts.items():
            total.counts[value] = total.counts.get(value, 0) + n
    return goals, total


# --- meetings ----------------------------------------------------------------------------------------


@dataclass
class MeetingEntry:
    """A planned meeting as the dashboard shows it: its date in the era with the Western year."""

    meeting: Meeting

    @property
    def date_label(self) -> str:
        return era_date(self.meeting.date, western=True)

    @property
    def time_label(self) -> str:
        start, end = self.meeting.start_time, self.meeting.end_time
        if start is None:
            return ""
        return f"{start:%H:%M}〜{end:%H:%M}" if end else f"{start:%H:%M}〜"


def _planned_meetings(user, today: datetime.date):
    return meetings_visible_to(
        user,
        Meeting.objects.select_related("body", "tier").filter(status=Meeting.Status.PLANNED, date__gte=today),
    ).order_by("date", "start_time", "id")


# --- one function per role ---------------------------------------------------------------------------


def indicator_summary(plan: Plan) -> dict:
    """The six indicators' figures for the reporting year, each with its target and grade (a fixed
    number of queries, as the indicators' overview). The figures only: their drill-down is on the
    indicators' pages, so the database counts them instead of the records being read."""
    year = plan.current_reporting_year()
    figures = indicator_year_figures([year], detail_years=())
    return {"indicator_year": year, "indicator_rows": [(item, item.years[0]) for item in figures]}


def secretariat_dashboard(user, plan: Plan | None, *, today: datetime.date | None = None) -> dict:
    """Measures by assessment for the reporting year, the open rounds' counts by state, planned
    meetings of the next UPCOMING_DAYS days, the number of overdue follow-ups (a count: the
    follow-ups themselves are on their list), and the headings still to confirm."""
    today = today or timezone.localdate()
    context = {}
    if plan is not None:
        year = plan.current_reporting_year()
        _, total = assessment_tallies(plan, year)
        context.update(indicator_summary(plan))
        context.update(
            assessment_year=year,
            assessment_total=total,
            headings_to_review=Measure.objects.filter(
                plan=plan, heading_inferred=True, heading_reviewed_at__isnull=True
            ).count(),
        )
    until = today + datetime.timedelta(days=UPCOMING_DAYS)
    context.update(
        # Every round the secretariat sees is counted in one query; the open ones are shown.
        open_rounds=[summary for summary in round_summaries(user) if summary.round.is_open],
        upcoming_meetings=[
            MeetingEntry(meeting) for meeting in _planned_meetings(user, today).filter(date__lte=until)
        ],
        upcoming_days=UPCOMING_DAYS,
        # --- issue 15: planned meetings whose date has passed (記録待ち) ---
        awaiting_record_meetings=[
            MeetingEntry(meeting)
            for meeting in meetings_visible_to(
                user,
                Meeting.objects.select_related("body", "tier").filter(
                    status=Meeting.Status.PLANNED, date__lt=today
                ),
            ).order_by("date", "start_time", "id")
        ],
        # --- end issue 15 ---
        overdue_follow_ups=follow_ups_visible_to(
            user, FollowUp.objects.open().filter(due_date__lt=today)
        ).count(),
    )
    return context


@dataclass
class MeasureToUpdate:
    """A measure in the user's scope whose record for the year is not yet updated (未更新)."""

    number: int
    heading: str


def bureau_dashboard(user, plan: Plan | None) -> dict:
    """The measures the user edits (plan.progress.access's scope) whose record for the reporting
    year nobody has filled in yet, in number order. Two queries besides the scope's own."""
    if plan is None:
        return {}
    year = plan.current_reporting_year()
    rows = list(
        progress_editable_by(user)
        .filter(measure__plan=plan, fiscal_year=year.year)
        .order_by("measure__number")
        .values_list("measure__number", "measure__heading", "updated_at")
    )
    # Nothing in scope may mean the year is not started, or that the user's departments have no
    # measure: the page says which.
    started = bool(rows) or MeasureProgress.objects.filter(measure__plan=plan, fiscal_year=year.year).exists()
    return {
        "bureau_year": year,
        "bureau_year_started": started,
        "bureau_in_scope": len(rows),
        "bureau_to_update": [
            MeasureToUpdate(number, heading) for number, heading, updated in rows if not updated
        ],
    }


def officer_dashboard(user) -> dict:
    """The officer's own municipality only: its return of each open round (built by municipalities)
    and the municipality, for the link to its row on the shared status page."""
    if officer_municipality_id(user) is None:
        return {"officer_return_cards": [], "officer_municipality": None}
    return {
        "officer_return_cards": officer_return_cards(user),
        "officer_municipality": user.municipal_officer.municipality,
    }


def viewer_dashboard(user, plan: Plan | None, *, today: datetime.date | None = None) -> dict:
    """Each goal's measures by assessment for the reporting year, and the next planned meeting of
    the promotion committee (its date and title only: the committee meets in closed session)."""
    today = today or timezone.localdate()
    context = {}
    if plan is not None:
        year = plan.current_reporting_year()
        goals, total = assessment_tallies(plan, year)
        context.update(assessment_year=year, assessment_goals=goals, assessment_total=total)
        context.update(indicator_summary(plan))
    next_meeting = _planned_meetings(user, today).filter(body__kind=Body.Kind.COMMITTEE).first()
    context["next_committee_meeting"] = MeetingEntry(next_meeting) if next_meeting else None
    return context


DASHBOARDS = {
    Role.PLAN_ADMIN: "dashboard/_secretariat.html",
    Role.BUREAU_STAFF: "dashboard/_bureau.html",
    Role.MUNICIPAL_OFFICER: "dashboard/_officer.html",
    Role.VIEWER: "dashboard/_viewer.html",
}


def dashboard_for(user, plan: Plan | None) -> dict:
    """The role's part of the home page: `dashboard_template` and its data."""
    role = role_of(user)
    if role == Role.PLAN_ADMIN:
        data = secretariat_dashboard(user, plan)
    elif role == Role.BUREAU_STAFF:
        data = bureau_dashboard(user, plan)
    elif role == Role.MUNICIPAL_OFFICER:
        data = officer_dashboard(user)
    elif role == Role.VIEWER:
        data = viewer_dashboard(user, plan)
    else:
        return {}
    return {"dashboard_template": DASHBOARDS[role], **data}
