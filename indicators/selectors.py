"""Reading the indicators' figures for pages: per indicator and fiscal year, the figure shown and
where it comes from (computed, entered, frozen at the year's closing), the recomputed figure when
it differs from the frozen one, the grade with its thresholds and the progress toward the target.
Every part None-safe (未設定 / データなし). A fixed number of queries, whatever the number of years.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from indicators.computations import Computation, compute_all
from indicators.grading import NO_DATA, NOT_SET, Grade, grade, progress_toward_target
from indicators.models import FiscalYearClosure, Indicator, IndicatorValue
from plan.common.fiscal_year import FiscalYear, era_datetime


class FigureState(models.TextChoices):
    COMPUTED = "computed", "システムで算出"
    ENTERED = "entered", "入力値"
    FROZEN = "frozen", "確定値（年度の締め）"


def format_value(value: Decimal | None, unit: str) -> str:
    """「12 箇所」, 「87.5 ％」 (a whole number without its 「.0」); 「データなし」 for None."""
    if value is None:
        return NO_DATA
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}"


@dataclass
class YearFigure:
    indicator: Indicator
    fiscal_year: int
    value: Decimal | None  # the figure shown
    state: str  # FigureState
    source: str  # where the shown figure comes from
    computation: Computation  # computed now from the system's data (with its drill-down if asked for)
    stored: IndicatorValue | None = None
    closure: FiscalYearClosure | None = None
    recomputed_value: Decimal | None = None  # what republishing would publish, when it differs
    differs: bool = False
    grade: Grade | None = None
    grade_note: str = ""  # why there is no grade: 未設定 / データなし / 基準値の年度以前
    progress: Decimal | None = None  # ％ toward the target

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    @property
    def state_label(self) -> str:
        return FigureState(self.state).label

    @property
    def is_frozen(self) -> bool:
        return self.state == FigureState.FROZEN

    @property
    def frozen_was_computed(self) -> bool | None:
        return self.stored.published_computed if self.is_frozen else None

    @property
    def value_label(self) -> str:
        return format_value(self.value, self.indicator.unit)

    @property
    def recomputed_label(self) -> str:
        return format_value(self.recomputed_value, self.indicator.unit) if self.differs else ""

    @property
    def computed_value(self) -> Decimal | None:
        return self.computation.value

    @property
    def entered_value(self) -> Decimal | None:
        return self.stored.entered_value if self.stored else None

    @property
    def grade_label(self) -> str:
        return self.grade.display if self.grade else self.grade_note

    @property
    def closed_label(self) -> str:
        return era_datetime(self.closure.closed_at) if self.closure else ""


@dataclass
class IndicatorFigures:
    indicator: Indicator
    years: list[YearFigure] = field(default_factory=list)

    @property
    def baseline_label(self) -> str:
        indicator = self.indicator
        if indicator.baseline_value is None:
            return NOT_SET
        return f"{format_value(indicator.baseline_value, indicator.unit)}（{FiscalYear(indicator.baseline_fiscal_year).label}）"

    @property
    def target_label(self) -> str:
        indicator = self.indicator
        if indicator.target_value is None:
            return NOT_SET
        return f"{format_value(indicator.target_value, indicator.unit)}（{FiscalYear(indicator.target_fiscal_year).label}）"


def _figure(indicator, year: int, computation: Computation, stored, closure) -> YearFigure:
    entered = stored is not None and stored.entered_value is not None
    # What the year's figure is now from the data: the entered value wins over the computed one.
    current = stored.entered_value if entered else computation.value
    current_source = stored.entered_source if entered else FigureState.COMPUTED.label
    if closure is not None and stored is not None and stored.is_published:
        figure = YearFigure(
            indicator,
            year,
            stored.published_value,
            FigureState.FROZEN,
            stored.published_source,
            computation,
            stored,
            closure,
        )
        recomputed_computed = not entered
        if (current, recomputed_computed) != (stored.published_value, stored.published_computed):
            figure.recomputed_value, figure.differs = current, True
    else:
        state = FigureState.ENTERED if entered else FigureState.COMPUTED
        figure = YearFigure(indicator, year, current, state, current_source, computation, stored, closure)
    figure.grade, figure.grade_note = grade(indicator, year, figure.value)
    figure.progress = progress_toward_target(indicator, figure.value)
    return figure


def indicator_year_figures(fiscal_years, *, detail_years=None) -> list[IndicatorFigures]:
    """Every indicator in number order with a YearFigure for each of `fiscal_years` (ints or
    FiscalYears), oldest first. A fixed number of queries whatever the number of years or records.

    `detail_years`: the years whose computation carries its drill-down (by default all). Pages that
    show only the figures (the overview, the dashboard) pass `()`: the figures are then counted by
    the database and `figure.computation.detail` is None (see indicators.computations)."""
    years = sorted({int(getattr(year, "year", year)) for year in fiscal_years})
    indicators = list(Indicator.objects.order_by("number"))
    stored = {
        (value.indicator_id, value.fiscal_year): value
        for value in IndicatorValue.objects.filter(fiscal_year__in=years).select_related(
            "entered_by", "published_by"
        )
    }
    closures = {
        closure.fiscal_year: closure
        for closure in FiscalYearClosure.objects.filter(fiscal_year__in=years).select_related("closed_by")
    }
    numbers = [indicator.number for indicator in indicators]
    computed = compute_all(years, numbers, detail_years=detail_years) if years else {}
    return [
        IndicatorFigures(
            indicator,
            [
                _figure(
                    indicator,
                    year,
                    computed[(indicator.number, year)],
                    stored.get((indicator.pk, year)),
                    closures.get(year),
                )
                for year in years
            ],
        )
        for indicator in indicators
    ]
