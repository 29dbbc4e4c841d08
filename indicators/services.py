"""Every write on the indicators: targets, entered values, the secretariat's figures for ③, closing
a fiscal year and republishing.

One function per action, named `<entity>_<action>`, with keyword-only arguments; the admin, the
pages, commands and tests all call these, and nothing else writes. Each one checks who may do it
(indicators.access, PermissionDenied), validates with the models' `full_clean()` (a
ValidationError in Japanese, nothing saved), runs in one transaction, locks what two people could
change at once (the indicator's row: closing locks all six, so an entry and a closing are taken
one after the other), and writes history with who and why.

See docs/indicators.md for closing and republishing.
"""

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators import access
from indicators.computations import compute_all
from indicators.models import FiscalYearClosure, Indicator, IndicatorValue, MetroTrainedWorkers
from plan.common.fiscal_year import FiscalYear

REASON_TARGET = "基準値・目標値・評価基準の設定"
REASON_ENTER = "値の入力"
REASON_CLEAR = "入力値の取消し"
REASON_CLOSE = "年度の締め"
REASON_REPUBLISH = "再公表"
REASON_METRO = "都の受講者数の入力"
COMPUTED_SOURCE = "システムで算出"
HISTORY_REASON_LENGTH = 100  # django-simple-history's history_change_reason column


def _with_history(obj, user, reason: str):
    obj._history_user = user
    obj._change_reason = reason[:HISTORY_REASON_LENGTH]
    return obj


def _clean_text(value) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()


def to_decimal(value, *, field: str) -> Decimal | None:
    """A typed figure as stored: full-width digits normalised, empty as None (未設定), anything that
    is not a number refused beside its field."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: "数値で入力してください。"}) from None
    if not number.is_finite():
        raise ValidationError({field: "数値で入力してください。"})
    return number


def _to_year(value, *, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(getattr(value, "year", value))
    except (TypeError, ValueError):
        raise ValidationError({field: "年度は西暦の整数で入力してください（令和7年度なら2025）。"}) from None


def _lock_indicator(indicator: Indicator) -> Indicator:
    return Indicator.objects.select_for_update().get(pk=indicator.pk)


def _closure(fiscal_year: int) -> FiscalYearClosure | None:
    return FiscalYearClosure.objects.filter(fiscal_year=fiscal_year).first()


def _refuse_closed(fiscal_year: int) -> None:
    if _closure(fiscal_year) is not None:
        raise ValidationError(
            f"{FiscalYear(fiscal_year).label}は締められているため、値を変更できません。"
            "公表値を改める場合は、理由を添えて再公表してください。"
        )


# --- targets -----------------------------------------------------------------------------------------


@transaction.atomic
def indicator_set_target(
    *,
    indicator: Indicator,
    baseline_value,
    baseline_fiscal_year,
    target_value,
    target_fiscal_year,
    unit: str | None = None,
    grade_a_threshold=None,
    grade_b_threshold=None,
    user,
) -> Indicator:
    """Set the baseline (value and year), the target (value and year), and optionally the unit and
    the grading thresholds (left as they are when not given). Empty values are 未設定."""
    access.check_can_manage_indicators(user, action="基準値・目標値の設定")
    current = _lock_indicator(indicator)
    current.baseline_value = to_decimal(baseline_value, field="baseline_value")
    current.baseline_fiscal_year = _to_year(baseline_fiscal_year, field="baseline_fiscal_year")
    current.target_value = to_decimal(target_value, field="target_value")
    current.target_fiscal_year = _to_year(target_fiscal_year, field="target_fiscal_year")
    if unit is not None:
        current.unit = _clean_text(unit)
    if grade_a_threshold is not None:
        current.grade_a_threshold = to_decimal(grade_a_threshold, field="grade_a_threshold")
    if grade_b_threshold is not None:
        current.grade_b_threshold = to_decimal(grade_b_threshold, field="grade_b_threshold")
    current.full_clean()
    _with_history(current, user, REASON_TARGET).save()
    return current


# --- entered values ---------------------------------------------------------------------------------


def _value_row(indicator: Indicator, fiscal_year: int) -> IndicatorValue:
    """The indicator's row for the year, locked (made if missing; the caller holds the indicator's
    lock, so two callers cannot make it twice)."""
    row = IndicatorValue.objects.select_for_update().filter(indicator=indicator, fiscal_year=fiscal_year).first()
    return row or IndicatorValue(indicator=indicator, fiscal_year=fiscal_year)


@transaction.atomic
def indicator_value_enter(*, indicator: Indicator, fiscal_year, value, source: str, user) -> IndicatorValue:
    """Enter a figure for a year the system has no data for, with its source. It is shown instead
    of the computed one (never replaced by it) until cleared; refused once the year is closed."""
    access.check_can_manage_indicators(user, action="値の入力")
    year = _to_year(fiscal_year, field="fiscal_year")
    current_indicator = _lock_indicator(indicator)
    _refuse_closed(year)
    number = to_decimal(value, field="entered_value")
    if number is None:
        raise ValidationError({"entered_value": "値を入力してください（入力値を消す場合は「入力値の取消し」）。"})
    row = _value_row(current_indicator, year)
    row.entered_value = number
    row.entered_source = _clean_text(source)
    row.entered_at = timezone.now()
    row.entered_by = user
    row.full_clean()
    _with_history(row, user, f"{REASON_ENTER}（{FiscalYear(year).era_label}）").save()
    return row


@transaction.atomic
def indicator_value_clear(*, indicator: Indicator, fiscal_year, user) -> IndicatorValue:
    """Take back an entered figure: the computed one is shown again. Refused once the year is
    closed."""
    access.check_can_manage_indicators(user, action="入力値の取消し")
    year = _to_year(fiscal_year, field="fiscal_year")
    current_indicator = _lock_indicator(indicator)
    _refuse_closed(year)
    row = IndicatorValue.objects.select_for_update().filter(indicator=current_indicator, fiscal_year=year).first()
    if row is None or row.entered_value is None:
        raise ValidationError(f"{current_indicator.symbol}の{FiscalYear(year).label}には入力値がありません。")
    row.entered_value = None
    row.entered_source = ""
    row.entered_at = timezone.now()
    row.entered_by = user
    _with_history(row, user, f"{REASON_CLEAR}（{FiscalYear(year).era_label}）").save()
    return row


# --- the secretariat's figures for ③ ---------------------------------------------------------------------


@transaction.atomic
def metro_trained_workers_set(
    *, fiscal_year, center_workers, welfare_office_workers, source_note: str, user
) -> MetroTrainedWorkers:
    """Enter or correct the year's metropolitan part of ③ (the center's workers and the welfare
    offices' who attended the center's training, as persons). A closed year's published ③ does
    not change: the difference is reported, and the secretariat may republish."""
    access.check_can_manage_indicators(user, action="都の受講者数の入力")
    year = _to_year(fiscal_year, field="fiscal_year")
    figures = MetroTrainedWorkers.objects.select_for_update().filter(fiscal_year=year).first()
    figures = figures or MetroTrainedWorkers(fiscal_year=year)
    figures.center_workers = _whole(center_workers, field="center_workers")
    figures.welfare_office_workers = _whole(welfare_office_workers, field="welfare_office_workers")
    figures.source_note = _clean_text(source_note)
    figures.entered_at = timezone.now()
    figures.entered_by = user
    figures.full_clean()
    try:
        with transaction.atomic():
            _with_history(figures, user, f"{REASON_METRO}（{FiscalYear(year).era_label}）").save()
    except IntegrityError:  # entered for the same year at the same moment by someone else
        raise ValidationError({"fiscal_year": "この年度の人数は他の職員が登録したところです。画面を開き直してください。"}) from None
    return figures


def _whole(value, *, field: str):
    number = to_decimal(value, field=field)
    if number is None:
        raise ValidationError({field: "人数を入力してください（いない場合は0）。"})
    if number != number.to_integral_value():
        raise ValidationError({field: "人数は整数で入力してください。"})
    return int(number)


# --- closing and republishing ---------------------------------------------------------------------------


def _publishable(row: IndicatorValue, computed_value) -> tuple[Decimal | None, bool, str]:
    """What a year's figure is published as: the entered value if there is one (with its source),
    else the computed one (None: no data)."""
    if row.entered_value is not None:
        return row.entered_value, False, row.entered_source
    return computed_value, True, COMPUTED_SOURCE


def _publish(row: IndicatorValue, computed_value, *, user, at, reason_text: str, history_reason: str) -> None:
    row.published_value, row.published_computed, row.published_source = _publishable(row, computed_value)
    row.published_at = at
    row.published_by = user
    row.published_reason = reason_text
    row.full_clean()
    _with_history(row, user, history_reason).save()


def check_fiscal_year_ended(year: FiscalYear) -> None:
    """A year is closed after its last day (its figures are the status at its end)."""
    if timezone.localdate() <= year.end:
        raise ValidationError(
            {"fiscal_year": f"{year.label}はまだ終わっていません（年度末は{year.end.year}年3月31日）。年度が終わってから締めてください。"}
        )


@transaction.atomic
def fiscal_year_close(*, fiscal_year, user) -> FiscalYearClosure:
    """Close a fiscal year that has ended: every indicator's figure is frozen as it stands now (the
    entered value if there is one, else the computed one), with the date and who closed it. Data
    that changes afterwards does not change these figures (see `fiscal_year_republish`)."""
    access.check_can_manage_indicators(user, action="年度の締め")
    year = FiscalYear(_to_year(fiscal_year, field="fiscal_year"))
    indicators = list(Indicator.objects.select_for_update().order_by("number"))
    closure = FiscalYearClosure(fiscal_year=year.year, closed_by=user, closed_at=timezone.now())
    closure.full_clean()  # the plan's period, and a year closed once
    check_fiscal_year_ended(year)
    try:
        with transaction.atomic():
            _with_history(closure, user, f"{REASON_CLOSE}（{year.era_label}）").save()
    except IntegrityError:  # closed at the same moment by someone else
        raise ValidationError({"fiscal_year": "この年度は既に締められています。"}) from None
    computed = compute_all([year], [indicator.number for indicator in indicators])
    for indicator in indicators:
        row = _value_row(indicator, year.year)
        _publish(
            row,
            computed[(indicator.number, year.year)].value,
            user=user,
            at=closure.closed_at,
            reason_text="",
            history_reason=f"{REASON_CLOSE}（{year.era_label}）",
        )
    return closure


@transaction.atomic
def fiscal_year_republish(*, fiscal_year, reason: str, user, indicators=None) -> list[IndicatorValue]:
    """Publish a closed year's figures again from the data as it is now, with a reason (kept on the
    value and in its history with the figure it replaces). `indicators`: those to republish;
    by default every indicator whose recomputed figure differs from the published one. Refused
    when nothing would change."""
    access.check_can_manage_indicators(user, action="再公表")
    year = FiscalYear(_to_year(fiscal_year, field="fiscal_year"))
    reason = _clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "再公表の理由を入力してください。"})
    locked = list(Indicator.objects.select_for_update().order_by("number"))
    if _closure(year.year) is None:
        raise ValidationError(f"{year.label}はまだ締められていません。再公表できるのは締めた年度だけです。")
    wanted = {getattr(item, "number", item) for item in indicators} if indicators is not None else None
    chosen = [indicator for indicator in locked if wanted is None or indicator.number in wanted]
    computed = compute_all([year], [indicator.number for indicator in chosen])
    rows = {
        row.indicator_id: row
        for row in IndicatorValue.objects.select_for_update().filter(fiscal_year=year.year, indicator__in=chosen)
    }
    now = timezone.now()
    republished = []
    for indicator in chosen:
        row = rows.get(indicator.pk) or IndicatorValue(indicator=indicator, fiscal_year=year.year)
        computed_value = computed[(indicator.number, year.year)].value
        new = _publishable(row, computed_value)[:2]
        if wanted is None and row.is_published and new == (row.published_value, row.published_computed):
            continue
        _publish(
            row,
            computed_value,
            user=user,
            at=now,
            reason_text=reason,
            history_reason=f"{REASON_REPUBLISH}（{year.era_label}）：{reason}",
        )
        republished.append(row)
    if not republished:
        raise ValidationError(f"{year.label}の再計算した値は、いずれも公表値と同じです。再公表するものはありません。")
    return republished
