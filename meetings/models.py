"""Meeting bodies and their tiers, meetings, the organisation registry, and case review records.

Who may see what is decided in meetings.access (which scopes these models' querysets to a user);
writes go through meetings.services. The models keep the field rules (`clean()`, constraints).
"""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from meetings.files import validate_minutes_file
from meetings.names import clean_organization_name, names_are_similar
from plan.common.fiscal_year import FiscalYear, era_date
from plan.models import FixtureLoaded, Plan

CASE_REVIEW_TIER_CODE = "case-review"


class Body(FixtureLoaded):
    """A meeting body: the plan promotion committee, or the support coordination council."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("legal_basis", "purpose", "composition", "schedule_note")

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "推進委員会（専門家会議）"
        COUNCIL = "council", "支援調整会議（連絡調整会議）"

    code = models.SlugField("コード", max_length=40, unique=True)
    name = models.CharField("名称", max_length=200)
    short_name = models.CharField("略称", max_length=60)
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    also_serves_as = models.CharField("兼ねる会議", max_length=200, blank=True)
    legal_basis = models.TextField("設置根拠", blank=True)
    purpose = models.TextField("目的・内容", blank=True)
    composition = models.CharField("会議の構成", max_length=200, blank=True)
    schedule_note = models.CharField("開催予定", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        verbose_name = "会議体"
        verbose_name_plural = "会議体"
        ordering = ["position", "id"]

    def __str__(self):
        return self.short_name

    def get_absolute_url(self):
        return reverse("meetings:body_detail", args=[self.code])

    @property
    def has_tiers(self):
        """The council meets in tiers; every council meeting names its tier."""
        return self.kind == self.Kind.COUNCIL

    @property
    def is_committee(self):
        return self.kind == self.Kind.COMMITTEE


class TierQuerySet(models.QuerySet):
    def for_meetings(self):
        """Tiers a meeting record may have: the case review tier has records of its own."""
        return self.exclude(code=CASE_REVIEW_TIER_CODE)


class Tier(FixtureLoaded):
    """A tier of the support coordination council (代表者会議 / 実務者会議 / 個別ケース検討会議)."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("purpose", "schedule_note")

    body = models.ForeignKey(Body, verbose_name="会議体", on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("名称", max_length=60)
    tmg_name = models.CharField("都での呼称", max_length=60, blank=True)
    purpose = models.TextField("内容", blank=True)
    schedule_note = models.CharField("開催時期", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField("順番", default=0)

    objects = TierQuerySet.as_manager()

    class Meta:
        verbose_name = "会議の階層"
        verbose_name_plural = "会議の階層"
        ordering = ["body__position", "position"]
        constraints = [models.UniqueConstraint(fields=["body", "code"], name="tier_unique_code")]

    def __str__(self):
        return f"{self.name}（{self.tmg_name}）" if self.tmg_name else self.name

    @property
    def is_case_review(self):
        return self.code == CASE_REVIEW_TIER_CODE


class CommitteeMember(models.Model):
    """A member of the promotion committee, for a term. Kept by the secretariat in the admin."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("affiliation", "title")

    body = models.ForeignKey(
        Body,
        verbose_name="会議体",
        on_delete=models.PROTECT,
        related_name="members",
        limit_choices_to={"kind": Body.Kind.COMMITTEE},
    )
    name = models.CharField("氏名", max_length=100)
    affiliation = models.CharField("所属・役職", max_length=200, blank=True)
    title = models.CharField("委員会での役職", max_length=40, blank=True, help_text="例：委員長、副委員長")
    term_start = models.DateField("任期（開始）")
    term_end = models.DateField("任期（終了）", null=True, blank=True)
    position = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        verbose_name = "推進委員会の委員"
        verbose_name_plural = "推進委員会の委員"
        ordering = ["body", "position", "term_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="committee_member_term_ordered",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.body_id and not self.body.is_committee:
            raise ValidationError({"body": "委員は推進委員会にだけ登録できます。"})
        if self.term_start and self.term_end and self.term_end < self.term_start:
            raise ValidationError({"term_end": "任期の終了日は開始日以降にしてください。"})

    def serves_on(self, day: datetime.date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)


# --- the organisation registry ------------------------------------------------------------------


class OrganizationQuerySet(models.QuerySet):
    def with_confidentiality(self):
        """`is_confidential`: the organisation is, or was, a temporary-protection provider.

        A former provider stays confidential: the places where women were sheltered do not become
        safe to name when a contract ends.
        """
        provider_roles = OrganizationRole.objects.filter(
            organization=OuterRef("pk"), role=OrganizationRole.Kind.TEMPORARY_PROTECTION
        )
        return self.annotate(is_confidential=Exists(provider_roles))

    def with_role_on(self, role, day: datetime.date):
        """Organisations holding `role` on `day` (indicators ② and ④ count these at a year's end)."""
        return self.filter(
            Exists(OrganizationRole.objects.filter(organization=OuterRef("pk"), role=role).active_on(day))
        )

    def similar_to(self, name: str, *, exclude_pk=None) -> list["Organization"]:
        """Organisations whose name looks like `name` (see meetings.names). Compared in Python:
        the registry holds hundreds of names, not millions."""
        candidates = self.exclude(pk=exclude_pk) if exclude_pk else self.all()
        return [org for org in candidates.order_by("name") if names_are_similar(name, org.name)]


class Organization(models.Model):
    """An organisation the plan works with: the registry every app points at."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("note",)

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "行政機関"
        PRIVATE = "private", "民間団体"
        MEDICAL = "medical", "医療機関"
        POLICE = "police", "警察"
        SCHOOL = "school", "学校"
        OTHER = "other", "その他"

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    note = models.TextField("備考", blank=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    history = HistoricalRecords()
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = "関係機関・団体"
        verbose_name_plural = "関係機関・団体"
        ordering = ["name", "id"]

    def __str__(self):
        # str() cannot know who reads, so it does not decide: meetings.access does — the name as
        # read by whoever the record was loaded for, or, the reader unknown (logs, the admin's lists
        # of related records), masked for a provider. `shown_str`: masked for one reader
        # (meetings.provider_names.show_masked).
        # (Imported here: meetings.access scopes this module's querysets, so it imports this module.)
        from meetings.access import organization_printed_name

        return self.__dict__.get("shown_str") or organization_printed_name(self)

    def get_absolute_url(self):
        return reverse("meetings:organization_detail", args=[self.pk])

    def clean(self):
        super().clean()
        self.name = clean_organization_name(self.name)
        if not self.name:
            raise ValidationError({"name": "名称を入力してください。"})

    @property
    def is_provider(self):
        """Is, or was, a temporary-protection provider. From the queryset's annotation
        (`with_confidentiality`) or the prefetched roles when loaded with either, so that a list
        costs no query per row; otherwise asks the database."""
        if hasattr(self, "is_confidential"):
            return self.is_confidential
        if self.pk is None:
            return False
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("roles")
        if prefetched is not None:
            return any(role.role == OrganizationRole.Kind.TEMPORARY_PROTECTION for role in prefetched)
        return self.roles.filter(role=OrganizationRole.Kind.TEMPORARY_PROTECTION).exists()


class OrganizationRoleQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class OrganizationRole(models.Model):
    """What an organisation is to the plan, for a period."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("note",)

    class Kind(models.TextChoices):
        METRO_PARTNER = "metro_partner", "協働する民間団体（都）"
        TEMPORARY_PROTECTION = "temporary_protection", "一時保護委託先"
        # For the municipalities' annual returns (indicator ④ counts municipal collaboration too).
        MUNICIPAL_PARTNER = "municipal_partner", "区市町村と協働"

    PARTNER_KINDS = (Kind.METRO_PARTNER, Kind.MUNICIPAL_PARTNER)

    organization = models.ForeignKey(
        Organization, verbose_name="団体", on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField("役割", max_length=30, choices=Kind.choices)
    start_date = models.DateField("開始日")
    end_date = models.DateField("終了日", null=True, blank=True, help_text="継続中なら空欄")
    note = models.CharField("備考", max_length=200, blank=True)

    history = HistoricalRecords()
    objects = OrganizationRoleQuerySet.as_manager()

    class Meta:
        verbose_name = "団体の役割"
        verbose_name_plural = "団体の役割"
        ordering = ["organization", "role", "start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="organization_role_period_ordered",
            )
        ]

    def __str__(self):
        return self.get_role_display()

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "終了日は開始日以降にしてください。"})
        # The organisation may be unsaved yet (a new record and its roles entered on one page).
        organization = self._state.fields_cache.get("organization") or (
            self.organization if self.organization_id else None
        )
        if (
            self.role in self.PARTNER_KINDS
            and organization
            and organization.kind != Organization.Kind.PRIVATE
        ):
            raise ValidationError({"role": "協働の役割は、種別が「民間団体」の団体にだけ設定できます。"})

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    @property
    def is_active(self):
        return self.is_active_on(timezone.localdate())


class OrganizationMerge(models.Model):
    """The record of one merge: which record was folded into which, by whom, and what moved.

    Names are copied, since the removed record is gone and the kept one may be merged again.
    """

    kept = models.ForeignKey(
        Organization,
        verbose_name="残した団体",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",  # hidden: a later merge must not move this history to another record
    )
    kept_name = models.CharField("残した団体の名称", max_length=200)
    removed_pk = models.PositiveBigIntegerField("統合して削除した団体のID")
    removed_name = models.CharField("統合して削除した団体の名称", max_length=200)
    removed_kind = models.CharField(
        "統合して削除した団体の種別", max_length=20, choices=Organization.Kind.choices
    )
    moved = models.JSONField("移した関連", default=dict, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実行者", on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField("実行日時", default=timezone.now)

    class Meta:
        verbose_name = "団体の統合履歴"
        verbose_name_plural = "団体の統合履歴"
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        # `shown_str`: set by meetings.provider_names.show_masked for a reader who may not see the
        # names (the names copied here may be a provider's).
        return self.__dict__.get("shown_str") or f"{self.removed_name} → {self.kept_name}"


# --- meetings -------------------------------------------------------------------------------------


class MeetingQuerySet(models.QuerySet):
    def in_fiscal_year(self, fiscal_year: FiscalYear):
        return self.filter(date__range=(fiscal_year.start, fiscal_year.end))

    def counts_by_fiscal_year(self, fiscal_years: list[FiscalYear]):
        """Rows of (body_id, tier_id, {year: (held, planned)}), one query."""
        aggregates = {}
        for fiscal_year in fiscal_years:
            in_year = Q(date__range=(fiscal_year.start, fiscal_year.end))
            aggregates[f"held_{fiscal_year.year}"] = models.Count(
                "id", filter=in_year & Q(status=Meeting.Status.HELD)
            )
            aggregates[f"planned_{fiscal_year.year}"] = models.Count(
                "id", filter=in_year & Q(status=Meeting.Status.PLANNED)
            )
        rows = self.order_by().values("body_id", "tier_id").annotate(**aggregates)
        return [
            (
                row["body_id"],
                row["tier_id"],
                {fy.year: (row[f"held_{fy.year}"], row[f"planned_{fy.year}"]) for fy in fiscal_years},
            )
            for row in rows
        ]


def minutes_upload_to(meeting, filename):
    # A random name: the stored name says nothing and cannot be guessed; the original name is kept
    # in `minutes_file_name` for the download.
    suffix = PurePath(filename).suffix.lower()
    return f"meetings/minutes/{timezone.localdate():%Y}/{uuid.uuid4().hex}{suffix}"


class Meeting(models.Model):
    """A meeting of the promotion committee or of the council's representatives or practitioners.

    Individual case reviews are not meetings here: they are `CaseReview` records, which hold no free
    text that could describe the woman.
    """

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("title", "place", "minutes", "decisions")

    class Status(models.TextChoices):
        PLANNED = "planned", "予定"
        HELD = "held", "開催済み"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "会場で開催"
        ONLINE = "online", "オンラインで開催"
        HYBRID = "hybrid", "会場とオンラインの併用"

    class Openness(models.TextChoices):
        OPEN = "open", "公開"
        CLOSED = "closed", "非公開"

    body = models.ForeignKey(Body, verbose_name="会議体", on_delete=models.PROTECT, related_name="meetings")
    tier = models.ForeignKey(
        Tier,
        verbose_name="階層",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        help_text="支援調整会議のときは必須。推進委員会のときは空欄。",
    )
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.PLANNED)
    title = models.CharField("会議名", max_length=200, help_text="例：令和7年度 第1回 実務者会議")
    date = models.DateField("開催日")
    start_time = models.TimeField("開始時刻", null=True, blank=True)
    end_time = models.TimeField("終了時刻", null=True, blank=True)
    mode = models.CharField("開催方法", max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.CharField("会場", max_length=200, blank=True)
    openness = models.CharField(
        "公開・非公開", max_length=10, choices=Openness.choices, default=Openness.CLOSED
    )
    attending_organizations = models.ManyToManyField(
        Organization, verbose_name="出席した関係機関・団体", blank=True, related_name="meetings_attended"
    )
    attendee_count = models.PositiveIntegerField("出席者数", null=True, blank=True)
    minutes = models.TextField("議事録（要旨）", blank=True)
    minutes_file = models.FileField(
        "議事録ファイル",
        upload_to=minutes_upload_to,
        blank=True,
        max_length=200,
        validators=[validate_minutes_file],
        help_text="PDF・Word（.docx）・Excel（.xlsx）。大きさの上限は設定によります（既定 30 MB）。",
    )
    minutes_file_name = models.CharField(
        "議事録ファイルの元の名前", max_length=200, blank=True, editable=False
    )
    decisions = models.TextField("決定事項", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    history = HistoricalRecords()
    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "会議"
        verbose_name_plural = "会議"
        ordering = ["-date", "-start_time", "-id"]
        indexes = [models.Index(fields=["date"], name="meeting_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=models.F("start_time")),
                name="meeting_times_ordered",
            )
        ]

    def __str__(self):
        # `shown_str`: the title masked for one reader (meetings.provider_names.show_masked).
        return self.__dict__.get("shown_str") or f"{self.date:%Y/%m/%d} {self.title}"

    def get_absolute_url(self):
        return reverse("meetings:meeting_detail", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        body = self.body if self.body_id else None
        tier = self.tier if self.tier_id else None
        if body is not None:
            if body.has_tiers and tier is None:
                errors["tier"] = "支援調整会議の会議は、階層（代表者会議・実務者会議）を選んでください。"
            elif not body.has_tiers and tier is not None:
                errors["tier"] = f"{body.short_name}の会議には階層を指定できません。空欄にしてください。"
            elif tier is not None and tier.body_id != body.pk:
                errors["tier"] = "この階層は選んだ会議体のものではありません。"
        if tier is not None and tier.is_case_review:
            errors["tier"] = (
                "個別ケース検討会議は「個別ケース検討会議の記録」から登録してください"
                "（本人に関する情報を会議記録に残さないため）。"
            )
        if self.end_time and not self.start_time:
            errors["start_time"] = "終了時刻を入力するときは、開始時刻も入力してください。"
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "終了時刻は開始時刻より後にしてください。"
        if self.mode in (self.Mode.IN_PERSON, self.Mode.HYBRID) and not self.place.strip():
            errors["place"] = "会場で開催するときは、会場を入力してください。"
        if self.status == self.Status.HELD and self.date and self.date > timezone.localdate():
            errors["status"] = "開催日より前に「開催済み」にはできません。"
        if self.date:
            first, last = self.date_range()
            if not first <= self.date <= last:
                # 1900 or 2099 is a typing slip, not a meeting: caught here rather than filed in a
                # year no list shows.
                errors["date"] = (
                    f"開催日は{era_date(first, western=True)}から{era_date(last, western=True)}までの日付で"
                    f"入力してください（計画期間の前後{self.DATE_MARGIN_YEARS}年まで）。"
                )
        if errors:
            raise ValidationError(errors)

    DATE_MARGIN_YEARS = 1

    @classmethod
    def date_range(cls, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
        """The dates a meeting may be recorded on: the plan's period with a margin of a fiscal year
        on each side (the year before it, when the plan was prepared; the year after, for the
        closing committee), stretched to the year after the current one if the plan has ended.
        With no plan loaded: the current fiscal year, five years back (a plan's length) and one on."""
        current = FiscalYear.current(today).year
        plan = Plan.objects.order_by("start_fiscal_year").last()
        if plan is None:
            first, last = current - 5, current
        else:
            first, last = plan.start_fiscal_year, max(plan.end_fiscal_year, current)
        return (
            FiscalYear(first - cls.DATE_MARGIN_YEARS).start,
            FiscalYear(last + cls.DATE_MARGIN_YEARS).end,
        )

    @property
    def fiscal_year(self) -> FiscalYear:
        return FiscalYear.of(self.date)

    @property
    def is_open(self):
        return self.openness == self.Openness.OPEN

    @property
    def is_held(self):
        return self.status == self.Status.HELD

    @property
    def is_past_but_planned(self):
        return self.status == self.Status.PLANNED and self.date < timezone.localdate()

    AWAITING_RECORD_LABEL = "記録待ち"

    @property
    def status_shown(self) -> str:
        """The state as lists show it: a planned meeting whose date has passed is 「記録待ち」 (held,
        most likely, and waiting for the secretariat to record it), not 「予定」."""
        return self.AWAITING_RECORD_LABEL if self.is_past_but_planned else self.get_status_display()

    @property
    def body_label(self):
        return f"{self.body.short_name} {self.tier.name}" if self.tier_id else self.body.short_name


class AgendaItem(models.Model):
    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("title",)

    meeting = models.ForeignKey(
        Meeting, verbose_name="会議", on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField("順番", default=0)
    title = models.CharField("議題", max_length=300)
    measures = models.ManyToManyField(
        "plan.Measure", verbose_name="関連する施策", blank=True, related_name="agenda_items"
    )

    class Meta:
        verbose_name = "議題"
        verbose_name_plural = "議題"
        ordering = ["meeting", "position", "id"]

    def __str__(self):
        return self.__dict__.get("shown_str") or self.title


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done=False)

    def overdue_first(self):
        # Overdue ones have the earliest due dates; those without a date come last.
        return self.order_by(models.F("due_date").asc(nulls_last=True), "meeting__date", "id")


class FollowUp(models.Model):
    """Something a meeting asked someone to do, by a date."""

    # Typed by hand, so a provider's name may be in them: masked for readers who may not see it
    # (meetings.provider_names), and whoever types one is warned.
    FREE_TEXT_FIELDS = ("description", "owner")

    meeting = models.ForeignKey(
        Meeting, verbose_name="会議", on_delete=models.CASCADE, related_name="follow_ups"
    )
    description = models.CharField("対応事項", max_length=300)
    owner = models.CharField("担当", max_length=100, help_text="例：福祉局 育成支援課")
    due_date = models.DateField("期限", null=True, blank=True)
    done = models.BooleanField("完了", default=False)
    done_at = models.DateTimeField("完了日時", null=True, blank=True, editable=False)
    measures = models.ManyToManyField(
        "plan.Measure", verbose_name="関連する施策", blank=True, related_name="follow_ups"
    )

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = "対応事項（フォローアップ）"
        verbose_name_plural = "対応事項（フォローアップ）"
        ordering = ["meeting", "id"]

    def __str__(self):
        return self.__dict__.get("shown_str") or self.description

    def is_overdue(self, today=None) -> bool:
        return not self.done and self.due_date is not None and self.due_date < (today or timezone.localdate())

    @property
    def overdue(self):
        return self.is_overdue()


# --- individual case reviews --------------------------------------------------------------------


class CaseReviewQuerySet(models.QuerySet):
    """Who may read the rows and who only the counts: meetings.access."""

    def in_fiscal_year(self, fiscal_year: FiscalYear):
        return self.filter(date__range=(fiscal_year.start, fiscal_year.end))

    def counts_by_fiscal_year(self, fiscal_years: list[FiscalYear]) -> dict[int, tuple[int, int]]:
        """{year: (case reviews, those in which the woman took part)} in one query: indicator ①."""
        aggregates = {}
        for fiscal_year in fiscal_years:
            in_year = Q(date__range=(fiscal_year.start, fiscal_year.end))
            aggregates[f"all_{fiscal_year.year}"] = models.Count("id", filter=in_year)
            aggregates[f"attended_{fiscal_year.year}"] = models.Count(
                "id", filter=in_year & Q(woman_attended=True)
            )
        row = self.order_by().aggregate(**aggregates) if aggregates else {}
        return {fy.year: (row[f"all_{fy.year}"], row[f"attended_{fy.year}"]) for fy in fiscal_years}


case_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$",
    "ケース番号は半角英数字とハイフン（20文字まで）で入力してください。氏名などは入力しないでください。",
)


class CaseReview(models.Model):
    """One individual case review meeting (個別ケース検討会議) of the Women's Consultation Support
    Center.

    It is about one woman, so it holds only what the plan's privacy rule allows: a case reference
    code, the date, the organisations that took part, and whether she took part herself and, if
    not, why. No name, address, contact details, date of birth or support decided — and no free
    text beyond a short note on why she could not take part.
    """

    class AbsenceReason(models.TextChoices):
        HEALTH = "health", "健康上の理由"
        OTHER = "other", "その他"

    case_code = models.CharField(
        "ケース番号",
        max_length=20,
        validators=[case_code_validator],
        help_text="センターの管理番号（半角英数字とハイフン）。氏名や生年月日は入力しないでください。",
    )
    date = models.DateField("開催日")
    organizations = models.ManyToManyField(
        Organization,
        verbose_name="参加した関係機関・団体",
        through="CaseReviewParticipant",
        blank=True,
        related_name="case_reviews",
    )
    woman_attended = models.BooleanField(
        "本人の参加", help_text="施策No.54：原則として本人も参加して開催します。"
    )
    absence_reason = models.CharField(
        "本人が参加しなかった理由", max_length=10, choices=AbsenceReason.choices, blank=True
    )
    absence_note = models.CharField(
        "理由の補足",
        max_length=100,
        blank=True,
        help_text="100字まで。本人を特定できる情報（氏名・住所・連絡先・生年月日・支援内容）は書かないでください。",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="記録者",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    objects = CaseReviewQuerySet.as_manager()

    class Meta:
        verbose_name = "個別ケース検討会議の記録"
        verbose_name_plural = "個別ケース検討会議の記録"
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(woman_attended=True) & Q(absence_reason="") & Q(absence_note=""))
                | (Q(woman_attended=False) & ~Q(absence_reason="")),
                name="case_review_absence_reason_iff_absent",
            )
        ]

    def __str__(self):
        return f"{self.date:%Y/%m/%d} {self.case_code}"

    def clean(self):
        super().clean()
        if self.woman_attended:
            # She took part: a reason left over from an earlier answer is dropped, not refused.
            self.absence_reason = ""
            self.absence_note = ""
        elif self.woman_attended is False and not self.absence_reason:
            raise ValidationError({"absence_reason": "本人が参加しなかった理由を選んでください。"})
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "開催した会議だけを記録してください（開催日が未来の日付です）。"})

    @property
    def fiscal_year(self) -> FiscalYear:
        return FiscalYear.of(self.date)


class CaseReviewParticipant(models.Model):
    """An organisation taking part in a case review; measure 56: private organisations whose staff
    supported her before take part when she wishes."""

    case_review = models.ForeignKey(
        CaseReview, verbose_name="個別ケース検討会議", on_delete=models.CASCADE, related_name="participants"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="団体", on_delete=models.PROTECT, related_name="case_review_participations"
    )
    supported_before = models.BooleanField(
        "以前から本人を支援していた団体", default=False, help_text="施策No.56：民間団体の職員の参加"
    )

    class Meta:
        verbose_name = "個別ケース検討会議への参加"
        verbose_name_plural = "個別ケース検討会議への参加"
        ordering = ["case_review", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_review", "organization"], name="case_review_participant_unique"
            )
        ]

    def __str__(self):
        return f"{self.case_review_id}: {self.organization_id}"

    def absorb(self, other: "CaseReviewParticipant") -> None:
        """Merging two organisations that both took part in one case review: keep one row."""
        if other.supported_before and not self.supported_before:
            self.supported_before = True
            self.save(update_fields=["supported_before"])
