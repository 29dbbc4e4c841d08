from django.contrib import admin

from indicators.models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "unit", "baseline_display", "target_display"]
    search_fields = ["name"]
    fields = [
        "number", "name", "unit", "description",
        "baseline_value", "baseline_fiscal_year", "target_value", "target_fiscal_year",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="基準値")
    def baseline_display(self, indicator):
        return "未設定" if indicator.baseline_value is None else f"{indicator.baseline_value} {indicator.unit}"

    @admin.display(description="目標値")
    def target_display(self, indicator):
        return "未設定" if indicator.target_value is None else f"{indicator.target_value} {indicator.unit}"
