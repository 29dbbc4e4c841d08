"""The grade of a year's figure against the path from the baseline to the target.

The path is the straight line from the baseline (its value, its year) to the target (its value,
its year). In year Y it stands at

    expected(Y) = baseline + (target − baseline) × min(1, (Y − baseline year) / (target year − baseline year))

and the year's progress along it is

    path progress = (value − baseline) / (expected(Y) − baseline) × 100 (％, one decimal place)

A if the path progress is at least the indicator's threshold A (default 100％), B (概ね達成) if at
least threshold B (default 80％), C (未達成) otherwise. The thresholds are the secretariat's, stored
on the indicator and shown beside the grade. No grade when the baseline or the target is 未設定,
when the value is "no data", or for a year not after the baseline's year (the path has not begun).

Progress toward the target (the overview's bar) is (value − baseline) / (target − baseline) × 100.
See docs/indicators.md.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_PLACE = Decimal("0.1")
NOT_SET = "未設定"
NO_DATA = "データなし"
BEFORE_PATH = "基準値の年度以前"

GRADE_LABELS = {"A": "達成", "B": "概ね達成", "C": "未達成"}


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator * 100 / denominator).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Grade:
    letter: str  # A, B or C
    path_progress: Decimal  # ％ of the way from the baseline to the path's point for the year
    expected_value: Decimal  # where the path stands in the year
    threshold_a: Decimal
    threshold_b: Decimal

    @property
    def label(self) -> str:
        return GRADE_LABELS[self.letter]

    @property
    def display(self) -> str:
        """「B（概ね達成）」."""
        return f"{self.letter}（{self.label}）"

    @property
    def thresholds_label(self) -> str:
        """The thresholds, shown beside the grade: 「A：100.0％以上／B：80.0％以上／C：80.0％未満」."""
        return f"A：{self.threshold_a}％以上／B：{self.threshold_b}％以上／C：{self.threshold_b}％未満"


def expected_value(indicator, fiscal_year: int) -> Decimal | None:
    """Where the straight path from baseline to target stands in `fiscal_year` (None without a
    baseline and a target, or for a year not after the baseline's)."""
    if not indicator.has_target or fiscal_year <= indicator.baseline_fiscal_year:
        return None
    span = indicator.target_fiscal_year - indicator.baseline_fiscal_year
    elapsed = min(fiscal_year - indicator.baseline_fiscal_year, span)
    return indicator.baseline_value + (indicator.target_value - indicator.baseline_value) * Decimal(elapsed) / Decimal(span)


def grade(indicator, fiscal_year: int, value: Decimal | None) -> tuple[Grade | None, str]:
    """(the grade, "") or (None, why there is none: 未設定 / データなし / 基準値の年度以前)."""
    if not indicator.has_target:
        return None, NOT_SET
    if value is None:
        return None, NO_DATA
    expected = expected_value(indicator, fiscal_year)
    if expected is None:
        return None, BEFORE_PATH
    path_progress = _percent(Decimal(value) - indicator.baseline_value, expected - indicator.baseline_value)
    if path_progress >= indicator.grade_a_threshold:
        letter = "A"
    elif path_progress >= indicator.grade_b_threshold:
        letter = "B"
    else:
        letter = "C"
    return (
        Grade(
            letter=letter,
            path_progress=path_progress,
            expected_value=expected.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
            threshold_a=indicator.grade_a_threshold,
            threshold_b=indicator.grade_b_threshold,
        ),
        "",
    )


def progress_toward_target(indicator, value: Decimal | None) -> Decimal | None:
    """(value − baseline) / (target − baseline) in ％ (may be below 0 or above 100); None when the
    baseline or target is 未設定 or the value is no data."""
    if not indicator.has_target or value is None:
        return None
    return _percent(Decimal(value) - indicator.baseline_value, indicator.target_value - indicator.baseline_value)
