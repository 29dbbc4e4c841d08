import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from plan.common.fiscal_year import FiscalYear
from plan.common.model_fields import acting_user_field
from plan.models import FixtureLoaded, Plan


def check_digit(code5: str) -> int:
    """The check digit of a 5-digit local government code (総務省 全国地方公共団体コード)."""
    weighted = sum(int(digit) * weight for digit, weight in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - weighted % 11) % 10


def validate_local_government_code(code6: str) -> None:
    if len(code6) != 6 or not code6.isdigit():
        raise ValidationError("団体コードは6桁の数字で入力してください。", code="format")
    if check_digit(code6[:5]) != int(code6[5]):
        raise ValidationError(
            "団体コード %(code)s の検査数字が正しくありません（正しくは %(expected)s）。",
            code="check_digit",
            params={"code": code6, "expected": f"{code6[:5]}{check_digit(code6[:5])}"},
        )


class Municipality(FixtureLoaded):
    """One of Tokyo's 62 区市町村, listed in local-government-code order."""

    class Kind(models.TextChoices):
        WARD = "区", "特別区"
        CITY = "市", "市"
        TOWN = "町", "町"
        VILLAGE = "村", "村"

    class Region(models.TextChoices):
        WARDS = "区部", "区部"
        TAMA = "多摩", "多摩"
        ISLANDS = "島しょ", "島しょ"

    code = models.CharField(
        "団体コード（6桁）", max_length=6, unique=True, validators=[validate_local_government_code]
    )
    code5 = models.CharField(
        "団体コード（5桁）", max_length=5, validators=[RegexValidator(r"^\d{5}$", "5桁の数字で入力してください。")]
    )
    name = models.CharField("名称", max_length=20, unique=True)
    kana = models.CharField("よみ（カタカナ）", max_length=40)
    kind = models.CharField("種別", max_length=2, choices=Kind.choices)
    region = models.CharField("地域", max_length=3, choices=Region.choices)

    class Meta:
        verbose_name = "区市町村"
        verbose_name_plural = "区市町村"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.code and self.code5 and self.code[:5] != self.code5:
            raise ValidationError({"code5": "6桁コードの先頭5桁と一致しません。"})


class MunicipalOfficer(models.Model):
    """Links a municipal officer's account to exactly one municipality."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="ユーザー",
        on_delete=models.CASCADE,
        related_name="municipal_officer",
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name="区市町村", on_delete=models.PROTECT, related_name="officers"
    )

    class Meta:
        verbose_name = "区市町村担当者"
        verbose_name_plural = "区市町村担当者"
        ordering = ["municipality__code", "user__username"]

    def __str__(self):
        return f"{self.municipality.name} {self.user}"


# --- annual returns (取組状況の年次報告) ----------------------------------------------------------
#
# A return round per reporting fiscal year; one annual return per municipality and round; the
# center's training courses and each return's attendance at them; the log of every transition of a
# return and of every reminder sent. The field rules are here (`clean()`, constraints); what a
# submission must hold besides is `AnnualReturn.completeness_errors()`; every write is
# municipalities.services; who may see what is municipalities.access. See docs/returns.md.

EARLIEST_DATE = datetime.date(2000, 4, 1)
EARLIEST_FISCAL_YEAR = 2000
# How far ahead a fiscal year typed on a return may lie (a plan period, an expected year).
YEARS_AHEAD = 10
MAX_COUNT = 9999
ROUND_CLOSED_MESSAGE = "この年度の提出受付は終了しました。"


def count_field(verbose_name, help_text=""):
    """A whole number ≥ 0 that may be unknown: empty (None) is 「不明・該当なし」, never 0."""
    return models.PositiveIntegerField(
        verbose_name,
        null=True,
        blank=True,
        help_text=help_text,
        # With a lower bound of its own, Django adds no second one from the database's range, so the
        # person sees this message only.
        validators=[
            MinValueValidator(0, message="0以上の整数で入力してください。"),
            MaxValueValidator(MAX_COUNT, message=f"{MAX_COUNT}以下の整数で入力してください。"),
        ],
    )


def fiscal_year_field(verbose_name, help_text=""):
    return models.PositiveIntegerField(
        verbose_name,
        null=True,
        blank=True,
        help_text=help_text or "西暦の年度（令和7年度なら2025）",
        validators=[
            MinValueValidator(EARLIEST_FISCAL_YEAR, message=f"{EARLIEST_FISCAL_YEAR}年度以降の年度を入力してください。"),
            MaxValueValidator(2100, message="2100年度以前の年度を入力してください。"),
        ],
    )


def _date_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class ReturnRound(models.Model):
    """The annual return round for one reporting fiscal year (令和Y年度の取組状況).

    The round for year Y reports what happened during Y and the status at 31 March of Y + 1 (the
    year's end); it is opened after the year by a plan administrator, with a deadline and a
    message, and closed when the secretariat stops taking submissions. The deadline is what the
    municipalities are told: a return is still taken after it, until the round is closed."""

    fiscal_year = models.PositiveIntegerField(
        "報告対象年度",
        unique=True,
        error_messages={"unique": "この年度の報告の受付は既に開始されています。"},
    )
    deadline = models.DateField("提出期限")
    message = models.TextField("区市町村へのお知らせ", blank=True)
    opened_at = models.DateTimeField("受付開始日時", default=timezone.now, editable=False)
    opened_by = acting_user_field("受付開始者")
    closed_at = models.DateTimeField("受付終了日時", null=True, blank=True, editable=False)
    closed_by = acting_user_field("受付終了者")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "年次報告の受付"
        verbose_name_plural = "年次報告の受付"
        ordering = ["-fiscal_year"]

    def __str__(self):
        return f"{self.year.era_label}の取組状況"

    @property
    def year(self) -> FiscalYear:
        return FiscalYear(self.fiscal_year)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def clean(self):
        super().clean()
        if not self.fiscal_year:
            return
        # The plan's period bounds the years a round may report on.
        plan = Plan.objects.current()
        if plan and not plan.start_fiscal_year <= self.fiscal_year <= plan.end_fiscal_year:
            raise ValidationError(
                {
                    "fiscal_year": f"{self.year.label}は計画期間（{plan.period_label}）の外です。"
                    "計画期間内の年度を選んでください。"
                }
            )
        if self.deadline:
            # The status at the year's end cannot be reported before the year has ended.
            if self.deadline <= self.year.end:
                raise ValidationError(
                    {"deadline": f"提出期限は報告対象年度の末日（{_date_label(self.year.end)}）より後の日付にしてください。"}
                )
            latest = self.year.end.replace(year=self.year.end.year + 2)
            if self.deadline > latest:
                raise ValidationError({"deadline": f"提出期限は{_date_label(latest)}以前の日付にしてください。"})


class TrainingTopic(models.TextChoices):
    """The contents of the center's tiered training named in seed 000."""

    WOMEN = "women", "女性福祉"
    CHILDREN = "children", "児童福祉"
    SINGLE_PARENTS = "single_parents", "ひとり親福祉"
    DISABILITY = "disability", "障害者福祉"
    ELDERLY = "elderly", "高齢者福祉"
    POVERTY = "poverty", "生活困窮者支援"
    DOMESTIC_VIOLENCE = "domestic_violence", "配偶者暴力被害者支援"
    SOCIAL_WORK = "social_work", "ソーシャルワーク演習"


class TrainingCourse(models.Model):
    """One of the Women's Consultation Support Center's courses (階層別研修) in a fiscal year, kept
    by the secretariat in the admin. Municipalities report how many of their workers attended."""

    fiscal_year = models.PositiveIntegerField("年度")
    name = models.CharField("研修名", max_length=200)
    career_stage = models.CharField(
        "階層（対象）", max_length=60, blank=True, help_text="研修の案内に書かれている対象の階層"
    )
    start_date = models.DateField("開始日")
    end_date = models.DateField("終了日", null=True, blank=True, help_text="1日だけの研修なら空欄")
    topics = models.JSONField("内容", default=list, blank=True, help_text="講義・演習の分野（複数選択）")
    note = models.TextField("備考", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "研修（階層別研修）"
        verbose_name_plural = "研修（階層別研修）"
        ordering = ["-fiscal_year", "start_date", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "name"], name="training_course_unique_name_in_year"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="training_course_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{FiscalYear(self.fiscal_year).era_label} {self.name}"

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(TrainingTopic.choices)
        return [labels.get(topic, topic) for topic in self.topics]

    def clean(self):
        super().clean()
        errors = {}
        if not isinstance(self.topics, list) or any(topic not in TrainingTopic.values for topic in self.topics):
            errors["topics"] = "内容は一覧から選んでください。"
        else:
            self.topics = [topic for topic in TrainingTopic.values if topic in self.topics]
        if self.fiscal_year and self.start_date and self.start_date not in FiscalYear(self.fiscal_year):
            errors["start_date"] = f"開始日は{FiscalYear(self.fiscal_year).label}の日付にしてください。"
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "終了日は開始日以降にしてください。"
        if errors:
            raise ValidationError(errors)


class ReturnState(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "提出済み"
    SENT_BACK = "sent_back", "差戻し"
    ACCEPTED = "accepted", "受理"


class PlanStatus(models.TextChoices):
    """The municipality's own basic plan under the Act (市町村基本計画, a duty of effort)."""

    MADE = "made", "策定済み"
    INTEGRATED = "integrated", "他の計画に含めて策定（一体的に策定）"
    IN_PROGRESS = "in_progress", "策定中"
    NOT_PLANNED = "not_planned", "策定予定なし"
    UNANSWERED = "", "未回答"


class CouncilStatus(models.TextChoices):
    SET_UP = "set_up", "設置済み"
    EXISTING = "existing", "既存の会議を活用"
    NOT_SET_UP = "not_set_up", "未設置"
    UNANSWERED = "", "未回答"


class YesNoUnknown(models.TextChoices):
    YES = "yes", "はい"
    NO = "no", "いいえ"
    UNKNOWN = "unknown", "不明"
    UNANSWERED = "", "未回答"


class WorkerPlacement(models.TextChoices):
    """Women's consultation support workers. 「都が配置」: towns and villages without a welfare
    office of their own, whose workers the metropolis places in its welfare offices (町村部)."""

    PLACED = "placed", "配置あり"
    NOT_PLACED = "not_placed", "配置なし"
    METRO = "metro", "都が配置（町村部の福祉事務所）"
    UNANSWERED = "", "未回答"


# The council's three tiers as the return asks about them: (whether held, meetings in the year).
COUNCIL_TIERS = {
    "representatives": ("council_has_representatives", "council_representatives_meetings", "代表者会議"),
    "practitioners": ("council_has_practitioners", "council_practitioners_meetings", "実務者会議"),
    "case_review": ("council_has_case_review", "council_case_review_meetings", "個別ケース検討会議"),
}


class AnnualReturnQuerySet(models.QuerySet):
    def accepted(self):
        return self.filter(state=ReturnState.ACCEPTED)


class AnnualReturn(models.Model):
    """A municipality's return for one round: its sections as fields, and where it is in the
    workflow (作成中 → 提出済み → 差戻し / 受理). The workflow fields are written only by the services.

    Whole numbers are `count_field`s: empty means 「不明・該当なし」 and is a different answer from 0.
    A draft may be incomplete (only `clean()` applies); a submission may not
    (`completeness_errors()`)."""

    State = ReturnState
    PlanStatus = PlanStatus
    CouncilStatus = CouncilStatus
    YesNoUnknown = YesNoUnknown
    WorkerPlacement = WorkerPlacement

    # The answers, in the order the form shows them (the many-to-many ones apart).
    ANSWER_FIELDS = [
        "plan_status",
        "plan_made_on",
        "plan_name",
        "plan_period_start",
        "plan_period_end",
        "integrated_plan_name",
        "plan_expected_fiscal_year",
        "plan_not_planned_reason",
        "council_status",
        "council_existing_name",
        "council_set_up_on",
        "council_has_representatives",
        "council_has_practitioners",
        "council_has_case_review",
        "council_representatives_meetings",
        "council_practitioners_meetings",
        "council_case_review_meetings",
        "council_private_participation",
        "council_new_organization_names",
        "council_expected_fiscal_year",
        "council_not_set_up_reason",
        "workers_placement",
        "workers_full_time",
        "workers_part_time",
        "workers_trained",
        "workers_trained_explanation",
        "collaboration_note",
        "requests_to_metro",
    ]
    ANSWER_M2M_FIELDS = ["council_organizations", "collaboration_organizations"]
    # Answers about the year itself, which a new year's draft does not take over from the last
    # accepted return: meetings held, workers trained and the courses they attended, names still to
    # be reconciled, the year's issues and requests.
    YEARLY_FIELDS = [
        "council_representatives_meetings",
        "council_practitioners_meetings",
        "council_case_review_meetings",
        "council_new_organization_names",
        "workers_trained",
        "workers_trained_explanation",
        "requests_to_metro",
    ]
    TEXT_FIELDS = [
        "plan_not_planned_reason",
        "council_new_organization_names",
        "council_not_set_up_reason",
        "workers_trained_explanation",
        "collaboration_note",
        "requests_to_metro",
    ]
    TEXT_MAX_LENGTH = 2000

    round = models.ForeignKey(ReturnRound, verbose_name="受付", on_delete=models.PROTECT, related_name="returns")
    municipality = models.ForeignKey(
        Municipality, verbose_name="区市町村", on_delete=models.PROTECT, related_name="annual_returns"
    )

    # 市町村基本計画
    plan_status = models.CharField(
        "基本計画の策定状況", max_length=20, choices=PlanStatus.choices, blank=True, default=""
    )
    plan_made_on = models.DateField("策定日", null=True, blank=True)
    plan_name = models.CharField("計画の名称", max_length=200, blank=True)
    plan_period_start = fiscal_year_field("計画期間（開始年度）")
    plan_period_end = fiscal_year_field("計画期間（終了年度）")
    integrated_plan_name = models.CharField(
        "一体的に策定した計画の名称",
        max_length=200,
        blank=True,
        help_text="例：配偶者暴力対策基本計画、男女平等参画推進計画",
    )
    plan_expected_fiscal_year = fiscal_year_field("策定予定年度")
    plan_not_planned_reason = models.TextField("策定予定がない理由", blank=True)

    # 支援調整会議
    council_status = models.CharField(
        "支援調整会議の設置状況", max_length=20, choices=CouncilStatus.choices, blank=True, default=""
    )
    council_existing_name = models.CharField(
        "活用している既存の会議の名称",
        max_length=200,
        blank=True,
        help_text="例：要保護児童対策地域協議会、配偶者暴力防止等連絡会議",
    )
    council_set_up_on = models.DateField("設置日", null=True, blank=True)
    council_has_representatives = models.BooleanField("代表者会議を設けている", default=False)
    council_has_practitioners = models.BooleanField("実務者会議を設けている", default=False)
    council_has_case_review = models.BooleanField("個別ケース検討会議を設けている", default=False)
    council_representatives_meetings = count_field("代表者会議の開催回数（年度内）", "不明の場合は空欄")
    council_practitioners_meetings = count_field("実務者会議の開催回数（年度内）", "不明の場合は空欄")
    council_case_review_meetings = count_field("個別ケース検討会議の開催回数（年度内）", "不明の場合は空欄")
    council_private_participation = models.CharField(
        "民間団体の参加", max_length=10, choices=YesNoUnknown.choices, blank=True, default=""
    )
    council_organizations = models.ManyToManyField(
        "meetings.Organization", verbose_name="参加している民間団体", blank=True, related_name="council_returns"
    )
    council_new_organization_names = models.TextField(
        "一覧にない参加団体の名称",
        blank=True,
        help_text="一覧にない団体の名称を1行に1団体ずつ。事務局が団体の一覧と照合します。",
    )
    council_expected_fiscal_year = fiscal_year_field("設置予定年度")
    council_not_set_up_reason = models.TextField("設置していない理由", blank=True)

    # 女性相談支援員
    workers_placement = models.CharField(
        "女性相談支援員の配置", max_length=20, choices=WorkerPlacement.choices, blank=True, default=""
    )
    workers_full_time = count_field("常勤の人数（年度末時点）", "不明の場合は空欄")
    workers_part_time = count_field("非常勤の人数（年度末時点）", "不明の場合は空欄")
    workers_trained = count_field(
        "女性相談支援センターの研修を受講した支援員の実人数（年度内）",
        "複数の研修を受講した人も1人と数えます。不明の場合は空欄",
    )
    workers_trained_explanation = models.TextField(
        "受講者数が配置人数を超える理由", blank=True, help_text="例：年度途中の異動・退職があったため"
    )

    # 支援調整会議以外での民間団体との協働
    collaboration_note = models.TextField("民間団体との協働（支援調整会議以外）", blank=True)
    collaboration_organizations = models.ManyToManyField(
        "meetings.Organization", verbose_name="協働している民間団体", blank=True, related_name="collaboration_returns"
    )

    # 都への課題・要望
    requests_to_metro = models.TextField("課題・都への要望", blank=True)

    # The workflow: written by municipalities.services only.
    state = models.CharField(
        "状態", max_length=20, choices=ReturnState.choices, default=ReturnState.DRAFT, editable=False
    )
    # Rises by one with every save and transition: a save or submission based on an older version
    # is refused without losing what was typed.
    version = models.PositiveIntegerField("版", default=1, editable=False)
    updated_at = models.DateTimeField("最終保存日時", null=True, blank=True, editable=False)
    updated_by = acting_user_field("最終保存者")
    prefilled_from = models.ForeignKey(
        "self",
        verbose_name="転記元の報告",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提出日時", null=True, blank=True, editable=False)
    submitted_by = acting_user_field("提出者")
    # Set when the secretariat first opens a submitted return: the officer may withdraw it only before.
    opened_by_secretariat_at = models.DateTimeField("事務局の確認開始日時", null=True, blank=True, editable=False)
    opened_by_secretariat_by = acting_user_field("確認を開始した職員")
    accepted_at = models.DateTimeField("受理日時", null=True, blank=True, editable=False)
    accepted_by = acting_user_field("受理者")
    entered_by_secretariat = models.BooleanField(
        "事務局が代理入力", default=False, editable=False, help_text="区市町村から受け取ったExcelを事務局が入力した報告"
    )

    history = HistoricalRecords(m2m_fields=[council_organizations, collaboration_organizations])
    objects = AnnualReturnQuerySet.as_manager()

    class Meta:
        verbose_name = "年次報告（取組状況）"
        verbose_name_plural = "年次報告（取組状況）"
        ordering = ["-round__fiscal_year", "municipality__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "municipality"], name="annual_return_one_per_round"),
            models.CheckConstraint(condition=Q(state__in=ReturnState.values), name="annual_return_state_known"),
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(accepted_at__isnull=False), name="annual_return_accepted_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["submitted", "accepted"]) | Q(submitted_at__isnull=False),
                name="annual_return_submitted_has_date",
            ),
            models.CheckConstraint(condition=Q(plan_status__in=PlanStatus.values), name="annual_return_plan_known"),
            models.CheckConstraint(
                condition=Q(council_status__in=CouncilStatus.values), name="annual_return_council_known"
            ),
            models.CheckConstraint(
                condition=Q(council_private_participation__in=YesNoUnknown.values),
                name="annual_return_participation_known",
            ),
            models.CheckConstraint(
                condition=Q(workers_placement__in=WorkerPlacement.values), name="annual_return_placement_known"
            ),
        ]

    def __str__(self):
        return f"{self.municipality.name} {self.round}"

    @property
    def year(self) -> FiscalYear:
        return self.round.year

    # --- the workflow, as the pages will explain it ------------------------------------------------

    @property
    def is_locked_for_municipality(self) -> bool:
        return self.state in (ReturnState.SUBMITTED, ReturnState.ACCEPTED)

    def edit_refusal(self) -> str | None:
        """Why nobody may change the answers now (None: they may). Said on the page, and the
        services refuse with the same words."""
        if self.round.is_closed:
            return ROUND_CLOSED_MESSAGE
        if self.state == ReturnState.SUBMITTED:
            return "提出済みのため編集できません（事務局の確認待ち）。修正する場合は、事務局が確認を始める前に取下げてください。"
        if self.state == ReturnState.ACCEPTED:
            return "受理済みのため編集できません。修正が必要な場合は事務局に連絡してください。"
        return None

    def submit_refusal(self) -> str | None:
        """Why the return cannot be submitted now, its contents apart (None: it can)."""
        if self.round.is_closed:
            return ROUND_CLOSED_MESSAGE
        if self.state == ReturnState.SUBMITTED:
            return "この報告は既に提出されています。"
        if self.state == ReturnState.ACCEPTED:
            return "この報告は既に受理されています。"
        return None

    def withdraw_refusal(self) -> str | None:
        if self.round.is_closed:
            return ROUND_CLOSED_MESSAGE
        if self.state != ReturnState.SUBMITTED:
            return "取下げできるのは、提出済みで事務局の確認前の報告だけです。"
        if self.opened_by_secretariat_at is not None:
            return "事務局が確認を始めたため、取下げできません。修正が必要な場合は事務局に連絡してください。"
        return None

    @property
    def council_is_set_up(self) -> bool:
        """For indicator ⑥: a council of its own, or an existing council serving as one."""
        return self.council_status in (CouncilStatus.SET_UP, CouncilStatus.EXISTING)

    @property
    def has_basic_plan(self) -> bool:
        """For indicator ⑤: a plan of its own, or one made as part of another plan."""
        return self.plan_status in (PlanStatus.MADE, PlanStatus.INTEGRATED)

    @property
    def new_organization_name_list(self) -> list[str]:
        """The council's organisations typed by name, one a line, blank lines and repeats left out."""
        names = [line.strip() for line in self.council_new_organization_names.splitlines()]
        return list(dict.fromkeys(name for name in names if name))

    @property
    def workers_placed(self) -> int | None:
        """Full-time plus part-time workers; None when neither is known."""
        if self.workers_full_time is None and self.workers_part_time is None:
            return None
        return (self.workers_full_time or 0) + (self.workers_part_time or 0)

    # --- rules ---------------------------------------------------------------------------------

    def clean(self):
        """The rules every save meets, a draft's included: ranges of numbers, dates and years."""
        super().clean()
        errors = {}
        year = self.round.year if self.round_id else None
        if year is not None:
            # Dates and years as the status at the reporting year's end.
            # Values that are not dates or whole numbers yet have their field's own error already.
            for name in ("plan_made_on", "council_set_up_on"):
                day = getattr(self, name)
                if not isinstance(day, datetime.date):
                    continue
                if day < EARLIEST_DATE:
                    errors[name] = f"{_date_label(EARLIEST_DATE)}以降の日付を入力してください。"
                elif day > year.end:
                    errors[name] = (
                        f"報告対象年度の末日（{_date_label(year.end)}）より後の日付は入力できません"
                        "（年度末時点の状況を報告してください）。"
                    )
            latest_year = year.year + YEARS_AHEAD
            for name in ("plan_period_start", "plan_period_end"):
                value = getattr(self, name)
                if isinstance(value, int) and value > latest_year:
                    errors[name] = f"{FiscalYear(latest_year).label}以前の年度を入力してください。"
            for name in ("plan_expected_fiscal_year", "council_expected_fiscal_year"):
                value = getattr(self, name)
                if not isinstance(value, int):
                    continue
                if value <= year.year:
                    errors[name] = (
                        f"予定年度は報告対象年度（{year.label}）より後の年度を入力してください"
                        "（年度末時点でまだ策定・設置していないため）。"
                    )
                elif value > latest_year:
                    errors[name] = f"{FiscalYear(latest_year).label}以前の年度を入力してください。"
        if (
            isinstance(self.plan_period_start, int)
            and isinstance(self.plan_period_end, int)
            and self.plan_period_end < self.plan_period_start
            and "plan_period_end" not in errors
        ):
            errors["plan_period_end"] = "計画期間の終了年度は開始年度以降にしてください。"
        if self.workers_placement == WorkerPlacement.METRO and self.municipality_id:
            if self.municipality.kind not in (Municipality.Kind.TOWN, Municipality.Kind.VILLAGE):
                errors["workers_placement"] = "「都が配置」を選べるのは町村だけです。"
        for name in self.TEXT_FIELDS:
            value = getattr(self, name) or ""
            if len(value) > self.TEXT_MAX_LENGTH:
                errors[name] = f"{self.TEXT_MAX_LENGTH}文字以内で入力してください（現在 {len(value)} 文字）。"
        if errors:
            raise ValidationError(errors)

    def completeness_errors(self) -> dict[str, str]:
        """What a submission needs besides `clean()`, as {field: message in Japanese}; empty when
        the return may be submitted. A draft may lack all of it.

        Reads the organisations and the course attendance from the database (the return is saved)."""
        errors = {}
        # 市町村基本計画
        if not self.plan_status:
            errors["plan_status"] = "基本計画の策定状況を選んでください。"
        elif self.plan_status == PlanStatus.MADE and self.plan_made_on is None:
            errors["plan_made_on"] = "「策定済み」の場合は策定日を入力してください。"
        elif self.plan_status == PlanStatus.INTEGRATED and not self.integrated_plan_name.strip():
            errors["integrated_plan_name"] = "「他の計画に含めて策定」の場合は、その計画の名称を入力してください。"
        elif self.plan_status == PlanStatus.IN_PROGRESS and self.plan_expected_fiscal_year is None:
            errors["plan_expected_fiscal_year"] = "「策定中」の場合は策定予定年度を入力してください。"
        elif self.plan_status == PlanStatus.NOT_PLANNED and not self.plan_not_planned_reason.strip():
            errors["plan_not_planned_reason"] = "「策定予定なし」の場合は理由を入力してください。"

        # 支援調整会議
        tiers_held = [held for held, _, _ in COUNCIL_TIERS.values() if getattr(self, held)]
        if not self.council_status:
            errors["council_status"] = "支援調整会議の設置状況を選んでください。"
        elif self.council_status == CouncilStatus.SET_UP and not tiers_held:
            errors["council_has_representatives"] = (
                "「設置済み」の場合は、設けている会議（代表者会議・実務者会議・個別ケース検討会議）を1つ以上選んでください。"
            )
        elif self.council_status == CouncilStatus.EXISTING and not self.council_existing_name.strip():
            errors["council_existing_name"] = "「既存の会議を活用」の場合は、その会議の名称を入力してください。"
        elif (
            self.council_status == CouncilStatus.NOT_SET_UP
            and self.council_expected_fiscal_year is None
            and not self.council_not_set_up_reason.strip()
        ):
            errors["council_not_set_up_reason"] = "「未設置」の場合は、設置予定年度か設置していない理由を入力してください。"
        for held, meetings, label in COUNCIL_TIERS.values():
            if not getattr(self, held) and (getattr(self, meetings) or 0) > 0:
                errors[meetings] = f"{label}を設けていない場合は、開催回数を入力しないでください（設けている場合はチェックしてください）。"
        if self.council_is_set_up:
            if not self.council_private_participation:
                errors["council_private_participation"] = "民間団体の参加の有無を選んでください。"
            elif (
                self.council_private_participation == YesNoUnknown.YES
                and not self.council_organizations_named()
            ):
                errors["council_organizations"] = (
                    "民間団体が参加している場合は、参加している団体を一覧から選ぶか、一覧にない団体の名称を入力してください。"
                )

        # 女性相談支援員
        if not self.workers_placement:
            errors["workers_placement"] = "女性相談支援員の配置を選んでください。"
        elif self.workers_placement == WorkerPlacement.PLACED and self.workers_placed is None:
            errors["workers_full_time"] = "「配置あり」の場合は、常勤・非常勤の人数を入力してください（いない方は0）。"
        elif self.workers_placement != WorkerPlacement.PLACED and self.workers_placed:
            errors["workers_full_time"] = "「配置あり」以外の場合は、配置人数を入力しないでください。"
        trained = self.workers_trained
        if self.workers_placement == WorkerPlacement.METRO and (
            trained is not None or (self.pk and self.course_attendances.exists())
        ):
            # Indicator ③ counts the workers the metropolis places from the secretariat's own figures.
            errors["workers_trained"] = (
                "「都が配置」の場合、研修の受講者数は都（事務局）が計上します。受講者数と研修ごとの人数は空欄にしてください。"
            )
        elif (
            trained is not None
            and trained > (self.workers_placed or 0)
            and not self.workers_trained_explanation.strip()
        ):
            errors["workers_trained_explanation"] = (
                f"研修の受講者（{trained}人）が配置人数（{self.workers_placed or 0}人）を超えています。"
                "人数を確かめるか、理由（年度途中の異動・退職など）を入力してください。"
            )
        if self.pk and trained is not None and "workers_trained" not in errors:
            largest = self.course_attendances.aggregate(largest=models.Max("persons"))["largest"]
            if largest is not None and largest > trained:
                errors["workers_trained"] = (
                    f"研修の受講者の実人数（{trained}人）が、1つの研修の受講者数（{largest}人）より少なくなっています。"
                )
        return errors

    def council_organizations_named(self) -> bool:
        """Whether the council's organisations are named at all: chosen from the registry or typed."""
        if self.new_organization_name_list:
            return True
        return bool(self.pk) and self.council_organizations.exists()


class ReturnCourseAttendance(models.Model):
    """How many of a municipality's workers attended one of the center's courses in the year."""

    annual_return = models.ForeignKey(
        AnnualReturn, verbose_name="年次報告", on_delete=models.CASCADE, related_name="course_attendances"
    )
    course = models.ForeignKey(
        TrainingCourse, verbose_name="研修", on_delete=models.PROTECT, related_name="attendances"
    )
    persons = models.PositiveIntegerField(
        "受講者数",
        validators=[
            MinValueValidator(0, message="0以上の整数で入力してください。"),
            MaxValueValidator(MAX_COUNT, message=f"{MAX_COUNT}以下の整数で入力してください。"),
        ],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "研修の受講者数"
        verbose_name_plural = "研修の受講者数"
        ordering = ["course__start_date", "course__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["annual_return", "course"], name="course_attendance_one_per_course"),
        ]

    def __str__(self):
        return f"{self.course.name} {self.persons}人"

    def clean(self):
        super().clean()
        if self.annual_return_id and self.course_id and self.course.fiscal_year != self.annual_return.round.fiscal_year:
            raise ValidationError({"course": "報告対象年度の研修を選んでください。"})


class ReturnTransition(models.Model):
    """One step of a return through the workflow: who, when, from which state to which, and the
    comment (the reason for a send-back or a reopening). Written by the services only; shown to
    the municipality and to the secretariat."""

    annual_return = models.ForeignKey(
        AnnualReturn, verbose_name="年次報告", on_delete=models.PROTECT, related_name="transitions"
    )
    from_state = models.CharField("変更前の状態", max_length=20, choices=ReturnState.choices)
    to_state = models.CharField("変更後の状態", max_length=20, choices=ReturnState.choices)
    at = models.DateTimeField("日時", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実施者", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("操作", max_length=40)
    comment = models.TextField("コメント", blank=True)

    class Meta:
        verbose_name = "年次報告の状態の変更記録"
        verbose_name_plural = "年次報告の状態の変更記録"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action}（{self.get_from_state_display()} → {self.get_to_state_display()}）"


class ReturnReminder(models.Model):
    """A reminder sent to a municipality about a round (the sending itself comes with the pages)."""

    class Channel(models.TextChoices):
        BUTTON = "button", "画面から送信"
        COMMAND = "command", "定期実行（管理コマンド）"

    round = models.ForeignKey(ReturnRound, verbose_name="受付", on_delete=models.PROTECT, related_name="reminders")
    municipality = models.ForeignKey(
        Municipality, verbose_name="区市町村", on_delete=models.PROTECT, related_name="return_reminders"
    )
    sent_at = models.DateTimeField("送信日時", default=timezone.now)
    # Empty for the scheduled command.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="送信者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField("経路", max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = "年次報告の督促記録"
        verbose_name_plural = "年次報告の督促記録"
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["button", "command"]), name="return_reminder_channel_known"),
        ]

    def __str__(self):
        return f"{self.municipality.name} {self.round}（{timezone.localtime(self.sent_at):%Y-%m-%d %H:%M}）"


# The return's answers by section, (title, field names), in the order every page, the admin and the
# Excel template show them (each council tier beside its count of meetings).
RETURN_SECTIONS = [
    (
        "市町村基本計画",
        [
            "plan_status",
            "plan_made_on",
            "plan_name",
            "plan_period_start",
            "plan_period_end",
            "integrated_plan_name",
            "plan_expected_fiscal_year",
            "plan_not_planned_reason",
        ],
    ),
    (
        "支援調整会議",
        [
            "council_status",
            "council_existing_name",
            "council_set_up_on",
            "council_has_representatives",
            "council_representatives_meetings",
            "council_has_practitioners",
            "council_practitioners_meetings",
            "council_has_case_review",
            "council_case_review_meetings",
            "council_private_participation",
            "council_organizations",
            "council_new_organization_names",
            "council_expected_fiscal_year",
            "council_not_set_up_reason",
        ],
    ),
    (
        "女性相談支援員",
        ["workers_placement", "workers_full_time", "workers_part_time", "workers_trained", "workers_trained_explanation"],
    ),
    ("民間団体との協働（支援調整会議以外）", ["collaboration_note", "collaboration_organizations"]),
    ("課題・都への要望", ["requests_to_metro"]),
]


# --- good practices (好事例) --------------------------------------------------------------------------
#
# Measure 104 (spreading good practice): the secretariat picks a municipality's accepted return and
# writes up what is worth sharing, in its own words, for every municipality to read. The
# municipality's own free text is never published as it is. A draft (published_at empty) is seen
# by the secretariat only. Written by municipalities.services (good_practice_…); who sees which is
# municipalities.access. See docs/returns.md 「区市町村への還元」.


class GoodPractice(models.Model):
    """A good practice the secretariat took from an accepted annual return and may publish."""

    TITLE_MAX_LENGTH = 100
    BODY_MAX_LENGTH = 2000
    FROM_ACCEPTED_ONLY_MESSAGE = "好事例として登録できるのは、受理された報告だけです。"

    annual_return = models.ForeignKey(
        AnnualReturn, verbose_name="元の年次報告", on_delete=models.PROTECT, related_name="good_practices"
    )
    title = models.CharField(
        "題名",
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "blank": "題名を入力してください。",
            "max_length": "%(limit_value)d文字以内で入力してください（現在 %(show_value)d 文字）。",
        },
    )
    body = models.TextField(
        "内容",
        help_text="事務局が作成した文章です。区市町村が記入した文章がそのまま公開されることはありません。",
        error_messages={"blank": "内容を入力してください。"},
    )
    published_at = models.DateTimeField("公開日時", null=True, blank=True, editable=False)
    published_by = acting_user_field("公開者")
    created_at = models.DateTimeField("作成日時", default=timezone.now, editable=False)
    created_by = acting_user_field("作成者")
    updated_at = models.DateTimeField("最終更新日時", default=timezone.now, editable=False)
    updated_by = acting_user_field("最終更新者")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "好事例"
        verbose_name_plural = "好事例"
        ordering = [models.F("published_at").desc(nulls_first=True), "-updated_at", "-id"]
        constraints = [
            # Who published goes with when: a draft has neither.
            models.CheckConstraint(
                condition=Q(published_at__isnull=True, published_by__isnull=True) | Q(published_at__isnull=False),
                name="good_practice_publisher_only_when_published",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def publish_refusal(self) -> str | None:
        """Why the practice cannot be published now (None: it can). A return reopened after the
        practice was written is being corrected: what it says may still change."""
        if self.is_published:
            return "この好事例は既に公開されています。"
        if self.annual_return.state != ReturnState.ACCEPTED:
            return (
                "元の報告が受理された状態ではない（受理の取消し後、修正中など）ため、公開できません。"
                "報告が再び受理されてから公開してください。"
            )
        return None

    def clean(self):
        super().clean()
        errors = {}
        # Only a new practice must come from an accepted return: one whose return was reopened
        # later is kept, and its wording may still be corrected.
        if self._state.adding and self.annual_return_id and self.annual_return.state != ReturnState.ACCEPTED:
            errors["annual_return"] = self.FROM_ACCEPTED_ONLY_MESSAGE
        # Spaces alone are no title or text (the field's own check lets them through).
        if self.title is not None and self.title != "" and not self.title.strip():
            errors["title"] = "題名を入力してください。"
        body = self.body or ""
        if body and not body.strip():
            errors["body"] = "内容を入力してください。"
        elif len(body) > self.BODY_MAX_LENGTH:
            errors["body"] = f"{self.BODY_MAX_LENGTH}文字以内で入力してください（現在 {len(body)} 文字）。"
        if errors:
            raise ValidationError(errors)
