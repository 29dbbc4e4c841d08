"""The plan's six indicators, their targets and grading thresholds, their value per fiscal year
(entered and published), the closing of a fiscal year, and the secretariat's own figures for ③.

Field rules are here (`clean()`, constraints); every write is indicators.services; the figures are
computed by indicators.computations and read for pages by indicators.selectors. See
docs/indicators.md.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from plan.common.fiscal_year import FiscalYear
from plan.common.model_fields import acting_user_field
from plan.models import FixtureLoaded, Plan

# Indicator ① is a share in percent; the others are counts.
SHARE_INDICATOR = 1
DEFAULT_GRADE_A = Decimal("100.0")
DEFAULT_GRADE_B = Decimal("80.0")
NOT_NEGATIVE = "0以上の値を入力してください。"


def value_field(verbose_name, **kwargs):
    """A figure of an indicator: one decimal place (① is a percentage), never negative."""
    return models.DecimalField(
        verbose_name,
        max_digits=10,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=NOT_NEGATIVE)],
        **kwargs,
    )


def plan_period_error(fiscal_year: int | None) -> str | None:
    """Why `fiscal_year` is not one of the plan's years (None: it is, or there is no plan yet)."""
    if fiscal_year is None:
        return None
    plan = Plan.objects.current()
    if plan and not plan.start_fiscal_year <= fiscal_year <= plan.end_fiscal_year:
        return f"{FiscalYear(fiscal_year).label}は計画期間（{plan.period_label}）の外です。計画期間内の年度を選んでください。"
    return None


def _share_error(indicator_number: int | None, value) -> str | None:
    if indicator_number == SHARE_INDICATOR and value is not None and value > 100:
        return "割合（％）は100以下で入力してください。"
    return None


class Indicator(FixtureLoaded):
    """One of the plan's six indicators (①–⑥). Baselines, targets and the grading thresholds are
    entered by the secretariat (indicators.services.indicator_set_target)."""

    number = models.PositiveSmallIntegerField("番号", unique=True)
    name = models.CharField("指標", max_length=200)
    unit = models.CharField("単位", max_length=20)
    description = models.TextField("説明・算出方法", blank=True)
    baseline_value = value_field("基準値")
    baseline_fiscal_year = models.PositiveIntegerField("基準値の年度", null=True, blank=True)
    target_value = value_field("目標値")
    target_fiscal_year = models.PositiveIntegerField("目標年度", null=True, blank=True)
    # The secretariat's thresholds for the grade, as a percentage of the way from the baseline to
    # where the straight path to the target stands in that year (docs/indicators.md 「評価」).
    grade_a_threshold = models.DecimalField(
        "評価Aの基準（％以上）",
        max_digits=5,
        decimal_places=1,
        default=DEFAULT_GRADE_A,
        validators=[MinValueValidator(0, message=NOT_NEGATIVE)],
        help_text="基準値から当該年度の目安（基準値と目標値を結ぶ直線上の値）までの進み具合が、この割合以上ならA（達成）",
    )
    grade_b_threshold = models.DecimalField(
        "評価Bの基準（％以上）",
        max_digits=5,
        decimal_places=1,
        default=DEFAULT_GRADE_B,
        validators=[MinValueValidator(0, message=NOT_NEGATIVE)],
        help_text="この割合以上でAの基準未満ならB（概ね達成）、未満ならC（未達成）",
    )

    history = HistoricalRecords(excluded_fields=["fixture_values"])

    class Meta:
        verbose_name = "指標"
        verbose_name_plural = "指標"
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_b_threshold__lt=models.F("grade_a_threshold")),
                name="indicator_grade_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_value__gte=0),
                name="indicator_baseline_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_value__gte=0),
                name="indicator_target_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.symbol} {self.name}"

    @property
    def symbol(self):
        return "①②③④⑤⑥⑦⑧⑨⑩"[self.number - 1] if 1 <= self.number <= 10 else str(self.number)

    @property
    def is_share(self) -> bool:
        return self.number == SHARE_INDICATOR

    @property
    def has_target(self) -> bool:
        """Baseline and target both entered, each with its year: what grading needs."""
        return None not in (self.baseline_value, self.baseline_fiscal_year, self.target_value, self.target_fiscal_year)

    def clean(self):
        super().clean()
        errors = {}
        for value_name, year_name, label in (
            ("baseline_value", "baseline_fiscal_year", "基準値"),
            ("target_value", "target_fiscal_year", "目標値"),
        ):
            value, year = getattr(self, value_name), getattr(self, year_name)
            if (value is None) != (year is None):
                missing = year_name if year is None else value_name
                errors[missing] = f"{label}とその年度は両方入力するか、両方空欄にしてください。"
            elif (message := _share_error(self.number, value)) is not None:
                errors[value_name] = message
        if self.target_fiscal_year is not None and "target_fiscal_year" not in errors:
            if (message := plan_period_error(self.target_fiscal_year)) is not None:
                errors["target_fiscal_year"] = message
        if (
            self.baseline_fiscal_year is not None
            and self.target_fiscal_year is not None
            and not errors
            and self.baseline_fiscal_year >= self.target_fiscal_year
        ):
            errors["target_fiscal_year"] = "目標年度は基準値の年度より後の年度にしてください。"
        if (
            self.baseline_value is not None
            and self.target_value is not None
            and not errors
            and self.baseline_value == self.target_value
        ):
            # The grade measures the way from the baseline to the target: none without a way.
            errors["target_value"] = "目標値が基準値と同じでは進み具合を評価できません。異なる値を入力してください。"
        if (
            self.grade_a_threshold is not None
            and self.grade_b_threshold is not None
            and self.grade_b_threshold >= self.grade_a_threshold
        ):
            errors["grade_b_threshold"] = "評価Bの基準は評価Aの基準より小さい値にしてください。"
        if errors:
            raise ValidationError(errors)


class FiscalYearClosure(models.Model):
    """A fiscal year whose indicator figures are frozen (締め): who closed it and when. Each
    indicator's published figure is on its IndicatorValue; a republication is recorded there."""

    fiscal_year = models.PositiveIntegerField(
        "年度", unique=True, error_messages={"unique": "この年度は既に締められています。"}
    )
    closed_at = models.DateTimeField("締めた日時", default=timezone.now, editable=False)
    closed_by = acting_user_field("締めた職員")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度の締め（指標の確定）"
        verbose_name_plural = "年度の締め（指標の確定）"
        ordering = ["-fiscal_year"]

    def __str__(self):
        return f"{FiscalYear(self.fiscal_year).label}の締め"

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    def clean(self):
        super().clean()
        if (message := plan_period_error(self.fiscal_year)) is not None:
            raise ValidationError({"fiscal_year": message})


class IndicatorValue(models.Model):
    """An indicator's figure for one fiscal year of the plan.

    - entered: a figure a plan administrator typed, with its source, where the system has no data
      (never replaced by a computed one; cleared only on purpose);
    - published: the figure frozen when the year was closed (or republished), and whether it was
      computed or entered. Empty until the year is closed. A published None is "no data".
    """

    indicator = models.ForeignKey(Indicator, verbose_name="指標", on_delete=models.PROTECT, related_name="values")
    fiscal_year = models.PositiveIntegerField("年度")

    entered_value = value_field("入力値")
    entered_source = models.TextField(
        "入力値の出典", blank=True, help_text="例：令和7年度 女性相談支援センター事業概要 p.12"
    )
    entered_at = models.DateTimeField("入力日時", null=True, blank=True, editable=False)
    entered_by = acting_user_field("入力者")

    published_value = value_field("公表値")
    published_computed = models.BooleanField(
        "公表値はシステムで算出", null=True, blank=True, editable=False, help_text="いいえ：入力値を公表"
    )
    published_source = models.TextField("公表値の出典", blank=True, editable=False)
    published_at = models.DateTimeField("確定日時", null=True, blank=True, editable=False)
    published_by = acting_user_field("確定した職員")
    published_reason = models.TextField(
        "再公表の理由", blank=True, editable=False, help_text="年度の締めの後に公表値を改めたときの理由（履歴に残ります）"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "指標の年度別の値"
        verbose_name_plural = "指標の年度別の値"
        ordering = ["indicator__number", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "fiscal_year"], name="indicator_value_one_per_year"),
            models.CheckConstraint(
                condition=Q(entered_value__isnull=True) | Q(entered_value__gte=0),
                name="indicator_value_entered_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(published_value__isnull=True) | Q(published_value__gte=0),
                name="indicator_value_published_not_negative",
            ),
            # An entered value always says where it comes from.
            models.CheckConstraint(
                condition=Q(entered_value__isnull=True) | ~Q(entered_source=""),
                name="indicator_value_entered_has_source",
            ),
            # A published figure (None included: "no data") is known by its moment of publication.
            models.CheckConstraint(
                condition=Q(published_at__isnull=False) | (Q(published_value__isnull=True) & Q(published_computed__isnull=True)),
                name="indicator_value_published_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.symbol} {FiscalYear(self.fiscal_year).label}"

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    @property
    def is_entered(self) -> bool:
        return self.entered_value is not None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def clean(self):
        super().clean()
        errors = {}
        if (message := plan_period_error(self.fiscal_year)) is not None:
            errors["fiscal_year"] = message
        if self.entered_value is not None:
            if not (self.entered_source or "").strip():
                errors["entered_source"] = "入力値の出典（資料名・調査名など）を入力してください。"
            indicator_number = self.indicator.number if self.indicator_id else None
            if (message := _share_error(indicator_number, self.entered_value)) is not None:
                errors["entered_value"] = message
        if errors:
            raise ValidationError(errors)


class MetroTrainedWorkers(models.Model):
    """Indicator ③'s metropolitan part for one fiscal year, entered by the secretariat: the
    center's own women's consultation support workers who attended its training, and those placed
    by the metropolitan welfare offices for towns and villages (町村部). Persons, not attendances."""

    fiscal_year = models.PositiveIntegerField(
        "年度", unique=True, error_messages={"unique": "この年度の人数は既に登録されています。変更してください。"}
    )
    center_workers = models.PositiveIntegerField(
        "女性相談支援センターの女性相談支援員（実人数）",
        validators=[MinValueValidator(0, message=NOT_NEGATIVE)],
    )
    welfare_office_workers = models.PositiveIntegerField(
        "都の福祉事務所（町村部）の女性相談支援員（実人数）",
        validators=[MinValueValidator(0, message=NOT_NEGATIVE)],
    )
    source_note = models.TextField("出典・備考", help_text="例：センターの研修受講者名簿（令和8年4月集計）")
    entered_at = models.DateTimeField("入力日時", default=timezone.now, editable=False)
    entered_by = acting_user_field("入力者")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "研修を受講した都の女性相談支援員数（指標③）"
        verbose_name_plural = "研修を受講した都の女性相談支援員数（指標③）"
        ordering = ["-fiscal_year"]

    def __str__(self):
        return f"{FiscalYear(self.fiscal_year).label} 都の受講者数"

    @property
    def total(self) -> int:
        return self.center_workers + self.welfare_office_workers

    def clean(self):
        super().clean()
        errors = {}
        if (message := plan_period_error(self.fiscal_year)) is not None:
            errors["fiscal_year"] = message
        if not (self.source_note or "").strip():
            errors["source_note"] = "出典（名簿・集計の名称など）を入力してください。"
        if errors:
            raise ValidationError(errors)
