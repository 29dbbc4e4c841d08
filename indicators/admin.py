"""The indicators in the admin: for plan administrators only (indicators.access), every save
through indicators.services. The six indicators are fixed (no add or delete); entered values are
taken back by emptying them, never deleted; a year is closed by adding its closing, and republished
by giving a reason on the closing's page; nothing here is ever deleted or restored from history."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from indicators import access, services
from indicators.models import FiscalYearClosure, Indicator, IndicatorValue, MetroTrainedWorkers
from indicators.selectors import format_value, indicator_year_figures
from plan.adminsite.search import FoldedSearchAdmin
from plan.adminsite.site import AdmittedOnlyAdmin
from plan.common.fiscal_year import FiscalYear


class IndicatorsAdminMixin(AdmittedOnlyAdmin):
    """Only the secretariat sees these (indicators.access); nothing is deleted."""

    def admits(self, user) -> bool:
        return access.can_manage_indicators(user)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # Something changed between the form's check and the service (a year closed a moment
            # ago): nothing was saved.
            self.message_user(request, "".join(error.messages), messages.ERROR)
        return redirect(request.path)


def _year_label(year):
    return FiscalYear(year).label if year else ""


@admin.register(Indicator)
class IndicatorAdmin(FoldedSearchAdmin, IndicatorsAdminMixin, SimpleHistoryAdmin):
    list_display = ["number", "name", "unit", "baseline_display", "target_display", "thresholds"]
    search_fields = ["name"]
    fields = [
        "number",
        "name",
        "unit",
        "description",
        "baseline_value",
        "baseline_fiscal_year",
        "target_value",
        "target_fiscal_year",
        "grade_a_threshold",
        "grade_b_threshold",
    ]
    # Number, name and description come from fixtures/indicators.yaml.
    readonly_fields = ["number", "name", "description"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="基準値")
    def baseline_display(self, indicator):
        if indicator.baseline_value is None:
            return "未設定"
        return f"{format_value(indicator.baseline_value, indicator.unit)}（{_year_label(indicator.baseline_fiscal_year)}）"

    @admin.display(description="目標値")
    def target_display(self, indicator):
        if indicator.target_value is None:
            return "未設定"
        return f"{format_value(indicator.target_value, indicator.unit)}（{_year_label(indicator.target_fiscal_year)}）"

    @admin.display(description="評価の基準")
    def thresholds(self, indicator):
        return f"A：{indicator.grade_a_threshold}％以上／B：{indicator.grade_b_threshold}％以上"

    def save_model(self, request, obj, form, change):
        services.indicator_set_target(
            indicator=obj,
            baseline_value=obj.baseline_value,
            baseline_fiscal_year=obj.baseline_fiscal_year,
            target_value=obj.target_value,
            target_fiscal_year=obj.target_fiscal_year,
            unit=obj.unit,
            grade_a_threshold=obj.grade_a_threshold,
            grade_b_threshold=obj.grade_b_threshold,
            user=request.user,
        )


class IndicatorValueAdminForm(forms.ModelForm):
    class Meta:
        model = IndicatorValue
        fields = ["indicator", "fiscal_year", "entered_value", "entered_source"]

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("fiscal_year") or getattr(self.instance, "fiscal_year", None)
        if year and FiscalYearClosure.objects.filter(fiscal_year=year).exists():
            raise ValidationError(
                f"{FiscalYear(year).label}は締められているため、値を変更できません。"
                "公表値を改める場合は、年度の締めの画面から理由を添えて再公表してください。"
            )
        if self.instance.pk is None and cleaned.get("entered_value") is None:
            self.add_error("entered_value", "値を入力してください。")
        return cleaned


@admin.register(IndicatorValue)
class IndicatorValueAdmin(IndicatorsAdminMixin, SimpleHistoryAdmin):
    """A value entered where the system has no data (with its source); emptying it takes it back.
    The published figure is written by closing the year, never here."""

    form = IndicatorValueAdminForm
    list_display = [
        "indicator",
        "fiscal_year_label",
        "entered_display",
        "entered_source",
        "published_display",
        "published_computed",
        "published_at",
    ]
    list_select_related = ["indicator", "entered_by", "published_by"]
    list_filter = ["indicator", "fiscal_year"]
    published_fields = [
        "entered_at",
        "entered_by",
        "published_value",
        "published_computed",
        "published_source",
        "published_at",
        "published_by",
        "published_reason",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["indicator", "fiscal_year", "entered_value", "entered_source"]
        return ["indicator", "fiscal_year", "entered_value", "entered_source", *self.published_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["indicator", "fiscal_year", *self.published_fields]

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, value):
        return _year_label(value.fiscal_year)

    @admin.display(description="入力値")
    def entered_display(self, value):
        return "" if value.entered_value is None else format_value(value.entered_value, value.indicator.unit)

    @admin.display(description="公表値")
    def published_display(self, value):
        if not value.is_published:
            return "（未確定）"
        return format_value(value.published_value, value.indicator.unit)

    def save_model(self, request, obj, form, change):
        if obj.entered_value is None:
            # Emptied on the change page: the entered value is taken back.
            if change and form.initial.get("entered_value") is not None:
                services.indicator_value_clear(indicator=obj.indicator, fiscal_year=obj.fiscal_year, user=request.user)
            return
        saved = services.indicator_value_enter(
            indicator=obj.indicator,
            fiscal_year=obj.fiscal_year,
            value=obj.entered_value,
            source=obj.entered_source,
            user=request.user,
        )
        obj.pk = saved.pk
        obj._state.adding = False


class ClosureAdminForm(forms.ModelForm):
    republish_reason = forms.CharField(
        label="再公表の理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="締めの後にデータが変わり、再計算した値が公表値と異なる指標を、現在のデータで公表し直します。",
    )

    class Meta:
        model = FiscalYearClosure
        fields = ["fiscal_year"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            year = cleaned.get("fiscal_year")
            if year:
                try:
                    services.check_fiscal_year_ended(FiscalYear(year))
                except ValidationError as error:
                    self.add_error("fiscal_year", error.message_dict["fiscal_year"])
        elif not (cleaned.get("republish_reason") or "").strip():
            self.add_error("republish_reason", "再公表の理由を入力してください。")
        return cleaned


@admin.register(FiscalYearClosure)
class FiscalYearClosureAdmin(IndicatorsAdminMixin, SimpleHistoryAdmin):
    """Adding a closing closes the year (fiscal_year_close); its page lists the figures whose
    recomputed value differs from the published one, and a reason republishes them."""

    form = ClosureAdminForm
    list_display = ["fiscal_year_label", "closed_at", "closed_by"]
    list_select_related = ["closed_by"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["fiscal_year"]
        return ["fiscal_year", "closed_at", "closed_by", "differences", "republish_reason"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["fiscal_year", "closed_at", "closed_by", "differences"]

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, closure):
        return _year_label(closure.fiscal_year)

    @admin.display(description="再計算した値が公表値と異なる指標")
    def differences(self, closure):
        lines = []
        for row in indicator_year_figures([closure.fiscal_year], detail_years=()):  # the figures only
            figure = row.years[0]
            if figure.differs:
                lines.append(f"{row.indicator.symbol} 公表値 {figure.value_label} → 再計算 {figure.recomputed_label}")
        return "／".join(lines) or "なし（公表値はすべて現在のデータと一致しています）"

    def save_model(self, request, obj, form, change):
        if change:
            services.fiscal_year_republish(
                fiscal_year=obj.fiscal_year, reason=form.cleaned_data["republish_reason"], user=request.user
            )
            return
        closure = services.fiscal_year_close(fiscal_year=obj.fiscal_year, user=request.user)
        obj.pk = closure.pk
        obj.closed_at, obj.closed_by = closure.closed_at, closure.closed_by
        obj._state.adding = False


@admin.register(MetroTrainedWorkers)
class MetroTrainedWorkersAdmin(IndicatorsAdminMixin, SimpleHistoryAdmin):
    list_display = ["fiscal_year_label", "center_workers", "welfare_office_workers", "source_note", "entered_at"]
    list_select_related = ["entered_by"]

    def get_fields(self, request, obj=None):
        fields = ["fiscal_year", "center_workers", "welfare_office_workers", "source_note"]
        return fields if obj is None else [*fields, "entered_at", "entered_by"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["fiscal_year", "entered_at", "entered_by"]

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, figures):
        return _year_label(figures.fiscal_year)

    def save_model(self, request, obj, form, change):
        saved = services.metro_trained_workers_set(
            fiscal_year=obj.fiscal_year,
            center_workers=obj.center_workers,
            welfare_office_workers=obj.welfare_office_workers,
            source_note=obj.source_note,
            user=request.user,
        )
        obj.pk = saved.pk
        obj._state.adding = False
