from django.db import models

from plan.models import FixtureLoaded


class Body(FixtureLoaded):
    """A meeting body: the plan promotion committee, or the support coordination council."""

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


class Tier(FixtureLoaded):
    """A tier of the support coordination council (代表者会議 / 実務者会議 / 個別ケース検討会議)."""

    body = models.ForeignKey(Body, verbose_name="会議体", on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("名称", max_length=60)
    tmg_name = models.CharField("都での呼称", max_length=60, blank=True)
    purpose = models.TextField("内容", blank=True)
    schedule_note = models.CharField("開催時期", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField("順番", default=0)

    class Meta:
        verbose_name = "会議の階層"
        verbose_name_plural = "会議の階層"
        ordering = ["body__position", "position"]
        constraints = [models.UniqueConstraint(fields=["body", "code"], name="tier_unique_code")]

    def __str__(self):
        return f"{self.name}（{self.tmg_name}）" if self.tmg_name else self.name
