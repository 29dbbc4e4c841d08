"""The plan's structure: goals, lettered areas, measures and where the plan lists them.

Also the user model and departments, because every other app points at them.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from plan.common.fiscal_year import FiscalYear
from plan.common.text import measure_number_in, search_key, search_words


class FixtureLoaded(models.Model):
    """A row the reference-data loader keeps in step with a fixture.

    `fixture_values` holds the values the loader last wrote, so that a later load can tell a
    corrected fixture line (update it) from a change someone made in the system (report it).
    """

    fixture_values = models.JSONField("フィクスチャから読み込んだ値", default=dict, blank=True, editable=False)

    class Meta:
        abstract = True


class Department(FixtureLoaded):
    """A metropolitan bureau (局) or one of its divisions (部・課)."""

    class Level(models.TextChoices):
        BUREAU = "bureau", "局"
        DIVISION = "division", "部・課"

    name = models.CharField("名称", max_length=100)
    level = models.CharField("区分", max_length=10, choices=Level.choices, default=Level.BUREAU)
    parent = models.ForeignKey(
        "self",
        verbose_name="上位の局",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="divisions",
    )
    position = models.PositiveIntegerField("表示順", default=0)
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        verbose_name = "所管局・所管課"
        verbose_name_plural = "所管局・所管課"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="department_unique_bureau_name"
            ),
            models.CheckConstraint(
                condition=Q(level="bureau", parent__isnull=True) | Q(level="division", parent__isnull=False),
                name="department_bureau_has_no_parent",
            ),
        ]

    def __str__(self):
        return f"{self.parent.name} {self.name}" if self.parent_id else self.name


class User(AbstractUser):
    """An account. Roles are Django groups (see plan.accounts.roles); accounts are deactivated, never deleted."""

    departments = models.ManyToManyField(
        Department,
        verbose_name="所属（所管局・所管課）",
        blank=True,
        related_name="staff",
        help_text="所管局の職員が編集できる施策の範囲を決めます。",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = "ユーザー"
        verbose_name_plural = "ユーザー"
        permissions = [
            ("handle_case_records", "個別ケース検討会議の記録を扱う"),
        ]

    def __str__(self):
        full_name = f"{self.last_name} {self.first_name}".strip()
        return full_name or self.username

    @property
    def display_name(self):
        return str(self)


class CasePermissionChange(models.Model):
    """One grant or withdrawal of the case permission: written only by plan.accounts.services, never edited.

    The permission opens every individual case review, so who gave it to whom, when and why must
    stay answerable after the fact.
    """

    class Action(models.TextChoices):
        GRANT = "grant", "付与"
        REVOKE = "revoke", "取消"

    class Via(models.TextChoices):
        ADMIN = "admin", "管理画面"
        COMMAND = "command", "管理コマンド"
        AUTOMATIC = "automatic", "自動（役割の変更・無効化）"

    action = models.CharField("操作", max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="対象ユーザー",
        on_delete=models.PROTECT,
        related_name="case_permission_changes",
    )
    # Empty only for an automatic withdrawal that no signed-in person triggered (e.g. a command).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="実施者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField("日時", default=timezone.now, db_index=True)
    reason = models.TextField("理由")
    via = models.CharField("経路", max_length=10, choices=Via.choices)

    class Meta:
        verbose_name = "個別ケース記録の権限の変更記録"
        verbose_name_plural = verbose_name
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["grant", "revoke"]), name="case_permission_action_known"),
            models.CheckConstraint(
                condition=Q(via__in=["admin", "command", "automatic"]), name="case_permission_via_known"
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()}：{self.user}（{timezone.localtime(self.changed_at):%Y-%m-%d %H:%M}）"


class PlanQuerySet(models.QuerySet):
    def current(self):
        return self.order_by("-start_fiscal_year").first()


class Plan(FixtureLoaded):
    name = models.CharField("計画名", max_length=200)
    short_name = models.CharField("略称", max_length=100)
    start_fiscal_year = models.PositiveIntegerField("計画期間（開始年度）")
    end_fiscal_year = models.PositiveIntegerField("計画期間（終了年度）")
    reporting_fiscal_year = models.PositiveIntegerField(
        "報告対象年度",
        null=True,
        blank=True,
        help_text="各画面が既定で表示する年度。事務局が設定します（未設定の場合は前年度）。",
    )
    source_note = models.TextField("出典", blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = "基本計画"
        verbose_name_plural = "基本計画"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_fiscal_year__gte=models.F("start_fiscal_year")), name="plan_period_ordered"
            ),
        ]

    def __str__(self):
        return self.short_name

    @property
    def fiscal_years(self):
        return FiscalYear.range(self.start_fiscal_year, self.end_fiscal_year)

    @property
    def period_label(self):
        return f"{FiscalYear(self.start_fiscal_year).era_label}〜{FiscalYear(self.end_fiscal_year).era_label}"

    def current_reporting_year(self, today=None):
        """The year pages default to: the one the secretariat set, else the last completed one."""
        if self.reporting_fiscal_year:
            return FiscalYear(self.reporting_fiscal_year)
        return FiscalYear.default_reporting_year(
            today=today, first=self.start_fiscal_year, last=self.end_fiscal_year
        )


class Goal(FixtureLoaded):
    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="goals")
    number = models.PositiveSmallIntegerField("番号", validators=[MinValueValidator(1)])
    title = models.CharField("基本目標", max_length=200)

    class Meta:
        verbose_name = "基本目標"
        verbose_name_plural = "基本目標"
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="goal_unique_number")]

    def __str__(self):
        return f"基本目標{self.number} {self.title}"

    @property
    def label(self):
        return f"基本目標{self.number}"


class Area(FixtureLoaded):
    """A lettered policy area (ア, イ, ウ …) under a goal."""

    goal = models.ForeignKey(Goal, verbose_name="基本目標", on_delete=models.CASCADE, related_name="areas")
    position = models.PositiveSmallIntegerField("順番", validators=[MinValueValidator(1)])
    letter = models.CharField("記号", max_length=2)
    title = models.CharField("施策の方向", max_length=200)

    class Meta:
        verbose_name = "施策の方向（ア・イ・ウ…）"
        verbose_name_plural = "施策の方向（ア・イ・ウ…）"
        ordering = ["goal__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "position"], name="area_unique_position"),
            models.UniqueConstraint(fields=["goal", "letter"], name="area_unique_letter"),
        ]

    def __str__(self):
        return f"{self.goal.number}-{self.letter} {self.title}"

    @property
    def label(self):
        return f"基本目標{self.goal.number} {self.letter}"


class MeasureQuerySet(models.QuerySet):
    def with_listings(self):
        return self.prefetch_related(
            models.Prefetch(
                "listings",
                queryset=Listing.objects.select_related("area__goal").order_by(
                    "relisted", "area__goal__number", "area__position", "position"
                ),
            )
        )

    def search(self, text):
        """Measures whose number is `text` (「86」, 「８６」, 「No. 86」), or whose heading or content (own
        or re-listed) contains every word of it, width and case aside (plan.common.text.search_key).

        Compared in Python, one query (a row per listing): the plan has 120 measures and 18
        re-listings, and the database's own case-insensitive match knows nothing of widths.
        """
        words = search_words(text)
        if not words:
            return self.none()
        number = measure_number_in(text)
        if number is not None:
            return self.filter(number=number)
        texts = defaultdict(set)
        for row in self.order_by().values_list(
            "pk", "heading", "content", "listings__own_heading", "listings__own_content"
        ):
            texts[row[0]].update(row[1:])
        matching = []
        for pk, values in texts.items():
            keys = [search_key(value) for value in values if value]
            if all(any(word in key for key in keys) for word in words):
                matching.append(pk)
        return self.filter(pk__in=matching)


class Measure(FixtureLoaded):
    """A numbered measure (No. 1–120): its heading (事項) and content (内容)."""

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField("No.", validators=[MinValueValidator(1), MaxValueValidator(999)])
    heading = models.CharField("事項", max_length=200)
    heading_inferred = models.BooleanField(
        "事項は推定",
        default=False,
        help_text="原文でこの行の事項欄が空欄（結合セル）だったため、隣接する行から推定した事項です。",
    )
    heading_reviewed_at = models.DateTimeField("事項の確認日時", null=True, blank=True)
    heading_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="事項の確認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content = models.TextField("内容")

    history = HistoricalRecords(excluded_fields=["fixture_values"])
    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = "施策（取組）"
        verbose_name_plural = "施策（取組）"
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="measure_unique_number")]

    def __str__(self):
        return f"No.{self.number} {self.heading}"

    @property
    def heading_needs_review(self):
        return self.heading_inferred and self.heading_reviewed_at is None

    def _listings(self):
        # Uses the prefetched listings when the caller asked for them (MeasureQuerySet.with_listings).
        return list(self.listings.all())

    @property
    def original_listing(self):
        return next((listing for listing in self._listings() if not listing.relisted), None)

    @property
    def relistings(self):
        return [listing for listing in self._listings() if listing.relisted]


class Listing(FixtureLoaded):
    """A row of the plan's tables: a measure where it stands, or shown again (再掲) under another area."""

    measure = models.ForeignKey(Measure, verbose_name="施策", on_delete=models.CASCADE, related_name="listings")
    area = models.ForeignKey(Area, verbose_name="施策の方向", on_delete=models.CASCADE, related_name="listings")
    position = models.PositiveSmallIntegerField("表内の順番", validators=[MinValueValidator(1)])
    relisted = models.BooleanField("再掲", default=False)
    own_heading = models.CharField(
        "再掲での事項", max_length=200, blank=True, help_text="再掲先で事項が元の施策と異なる場合のみ。"
    )
    own_content = models.TextField(
        "再掲での内容", blank=True, help_text="再掲先で文言が元の施策と異なる場合のみ。"
    )

    history = HistoricalRecords(excluded_fields=["fixture_values"])

    class Meta:
        verbose_name = "掲載（再掲を含む）"
        verbose_name_plural = "掲載（再掲を含む）"
        ordering = ["area__goal__number", "area__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["area", "position"], name="listing_unique_position"),
            models.UniqueConstraint(
                fields=["measure"], condition=Q(relisted=False), name="listing_one_original_per_measure"
            ),
            models.CheckConstraint(
                condition=Q(relisted=True) | (Q(own_heading="") & Q(own_content="")),
                name="listing_own_wording_only_when_relisted",
            ),
        ]

    def __str__(self):
        suffix = "（再掲）" if self.relisted else ""
        return f"{self.area.label} No.{self.measure.number}{suffix}"

    @property
    def heading(self):
        return self.own_heading or self.measure.heading

    @property
    def content(self):
        return self.own_content or self.measure.content

    @property
    def has_own_wording(self):
        return bool(self.own_heading or self.own_content)


# --- Measure progress ------------------------------------------------------------------------
# Who may edit, the rules a save must meet and the writes are in plan.progress.


class MeasureResponsibility(FixtureLoaded):
    """Which departments are responsible for a measure (所管). Provisional until confirmed.

    The seed does not say; fixtures/responsibilities.yaml proposes a mapping inferred from each
    measure's text, and plan administrators confirm or correct it. Each fiscal year's progress
    record copies the departments when the year is started (see plan.progress.services).
    """

    measure = models.OneToOneField(
        Measure, verbose_name="施策", on_delete=models.CASCADE, related_name="responsibility"
    )
    departments = models.ManyToManyField(
        Department, verbose_name="所管", related_name="responsibilities", blank=True
    )
    basis = models.TextField("推定の根拠", blank=True, help_text="参照データが所管を推定した理由。")
    confirmed_at = models.DateTimeField("確認日時", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="確認者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(m2m_fields=[departments], excluded_fields=["fixture_values"])

    class Meta:
        verbose_name = "施策の所管"
        verbose_name_plural = "施策の所管"

    def __str__(self):
        return f"No.{self.measure.number} の所管"

    @property
    def is_provisional(self):
        return self.confirmed_at is None


class ProgressAssessment(models.TextChoices):
    """進捗状況: the five grades Tokyo's plan evaluations use (see docs/progress.md)."""

    ON_TRACK = "on_track", "順調"
    MOSTLY_ON_TRACK = "mostly_on_track", "概ね順調"
    DELAYED = "delayed", "遅れ"
    NOT_STARTED = "not_started", "未着手"
    COMPLETED = "completed", "完了"


class ProgressDirection(models.TextChoices):
    """今後の方向性 for the coming year (see docs/progress.md)."""

    EXPAND = "expand", "拡充"
    CONTINUE = "continue", "継続"
    REVISE = "revise", "見直し・改善"
    END = "end", "終了"


class MeasureProgress(models.Model):
    """A measure's progress in one fiscal year: one record per measure, re-listings included."""

    Assessment = ProgressAssessment
    Direction = ProgressDirection

    # The fields a person edits (form, admin, spreadsheet), in the order they are shown.
    EDITABLE_FIELDS = ["assessment", "direction", "achievements", "issues", "next_steps"]

    measure = models.ForeignKey(
        Measure, verbose_name="施策", on_delete=models.PROTECT, related_name="progress_records"
    )
    fiscal_year = models.PositiveIntegerField("年度")
    assessment = models.CharField("進捗状況", max_length=20, choices=ProgressAssessment.choices, blank=True)
    direction = models.CharField("今後の方向性", max_length=20, choices=ProgressDirection.choices, blank=True)
    achievements = models.TextField("実績", blank=True)
    issues = models.TextField("課題", blank=True)
    next_steps = models.TextField("今後の取組", blank=True)
    departments = models.ManyToManyField(
        Department, verbose_name="所管", related_name="progress_records", blank=True
    )
    # Optimistic locking: every save claims version n → n + 1 with a conditional UPDATE, so a save
    # based on an older version is refused instead of overwriting someone else's change.
    version = models.PositiveIntegerField("版", default=1, editable=False)
    started_at = models.DateTimeField("年度開始日時", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新日時", null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="更新者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords(m2m_fields=[departments])

    class Meta:
        verbose_name = "施策の進捗"
        verbose_name_plural = "施策の進捗"
        constraints = [
            models.UniqueConstraint(fields=["measure", "fiscal_year"], name="progress_one_per_measure_and_year"),
            models.CheckConstraint(
                condition=Q(assessment__in=["", *ProgressAssessment.values]),
                name="progress_assessment_known",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["", *ProgressDirection.values]),
                name="progress_direction_known",
            ),
        ]

    def __str__(self):
        return f"No.{self.measure.number} {FiscalYear(self.fiscal_year).era_label}"

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    @property
    def is_updated(self):
        """False (未更新) until someone records this year's progress after the year was started."""
        return self.updated_at is not None

    @property
    def department_names(self):
        return "、".join(str(department) for department in self.departments.all())

