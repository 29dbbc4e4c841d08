from django.db import models

from plan.models import FixtureLoaded


class Indicator(FixtureLoaded):
    """One of the plan's six indicators (①–⑥). Baselines and targets are entered by the secretariat."""

    number = models.PositiveSmallIntegerField("番号", unique=True)
    name = models.CharField("指標", max_length=200)
    unit = models.CharField("単位", max_length=20)
    description = models.TextField("説明・算出方法", blank=True)
    baseline_value = models.DecimalField("基準値", max_digits=10, decimal_places=1, null=True, blank=True)
    baseline_fiscal_year = models.PositiveIntegerField("基準値の年度", null=True, blank=True)
    target_value = models.DecimalField("目標値", max_digits=10, decimal_places=1, null=True, blank=True)
    target_fiscal_year = models.PositiveIntegerField("目標年度", null=True, blank=True)

    class Meta:
        verbose_name = "指標"
        verbose_name_plural = "指標"
        ordering = ["number"]

    def __str__(self):
        return f"{self.symbol} {self.name}"

    @property
    def symbol(self):
        return "①②③④⑤⑥⑦⑧⑨⑩"[self.number - 1] if 1 <= self.number <= 10 else str(self.number)
