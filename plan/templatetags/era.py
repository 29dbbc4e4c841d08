"""Dates as the pages write them: the Japanese era with the Western year (plan.common.fiscal_year).

    {% load era %}
    {{ transition.at|era_datetime }}   → 令和8年（2026年）5月31日 14:05
    {{ round.deadline|era_date }}      → 令和8年（2026年）5月31日
"""

from django import template
from django.utils import timezone

from plan.common.fiscal_year import era_date as _era_date

register = template.Library()


@register.filter
def era_date(day) -> str:
    return _era_date(day, western=True)


@register.filter
def era_datetime(moment) -> str:
    if moment is None:
        return ""
    return f"{_era_date(moment, western=True)} {timezone.localtime(moment):%H:%M}"
