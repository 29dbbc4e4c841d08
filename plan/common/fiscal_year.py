"""Japanese fiscal years (年度): 1 April to 31 March, labelled by the Reiwa era.

FY2025 runs from 2025-04-01 to 2026-03-31 and is 令和7年度. A fiscal year is labelled by the era
of the calendar year it starts in, as the government labels it: FY2019 is 令和元年度 although
April 2019 was still Heisei, and FY1988 is 昭和63年度 although it ended in Heisei.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

REIWA_FIRST_FISCAL_YEAR = 2019  # 令和元年度
HEISEI_FIRST_FISCAL_YEAR = 1989  # 平成元年度


@dataclass(frozen=True, order=True)
class FiscalYear:
    year: int  # the calendar year in which the fiscal year starts

    @classmethod
    def of(cls, day: datetime.date) -> "FiscalYear":
        if isinstance(day, datetime.datetime):
            day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def current(cls, today: datetime.date | None = None) -> "FiscalYear":
        return cls.of(today or timezone.localdate())

    @classmethod
    def range(cls, first: int, last: int) -> list["FiscalYear"]:
        return [cls(year) for year in range(first, last + 1)]

    @classmethod
    def default_reporting_year(cls, *, today=None, first: int, last: int) -> "FiscalYear":
        """The year that just ended, kept inside the plan's period.

        Return rounds report on the fiscal year that ended on 31 March, so from April onwards
        the default is last fiscal year.
        """
        year = cls.current(today).year - 1
        return cls(min(max(year, first), last))

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 4, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.year + 1, 3, 31)

    def __contains__(self, day: datetime.date) -> bool:
        return FiscalYear.of(day) == self

    @property
    def era_label(self) -> str:
        """「令和7年度」, 「令和元年度」, 「平成30年度」."""
        if self.year >= REIWA_FIRST_FISCAL_YEAR:
            era, number = "令和", self.year - REIWA_FIRST_FISCAL_YEAR + 1
        elif self.year >= HEISEI_FIRST_FISCAL_YEAR:
            era, number = "平成", self.year - HEISEI_FIRST_FISCAL_YEAR + 1
        else:
            era, number = "昭和", self.year - 1925
        return f"{era}{'元' if number == 1 else number}年度"

    @property
    def label(self) -> str:
        """「令和7年度（2025年度）」."""
        return f"{self.era_label}（{self.year}年度）"

    def __str__(self) -> str:
        return self.label

    def next(self) -> "FiscalYear":
        return FiscalYear(self.year + 1)

    def previous(self) -> "FiscalYear":
        return FiscalYear(self.year - 1)


# --- calendar dates in the era ----------------------------------------------------------------------
# A calendar date takes the era it falls in (令和 began on 1 May 2019, 平成 on 8 January 1989).
_DATE_ERAS = [
    (datetime.date(2019, 5, 1), "令和", 2018),
    (datetime.date(1989, 1, 8), "平成", 1988),
    (datetime.date(1926, 12, 25), "昭和", 1925),
]


def era_date(day, *, western: bool = False) -> str:
    """「令和8年5月31日」 (「令和元年5月1日」), or with `western` 「令和8年（2026年）5月31日」; empty for
    None. A datetime is read in local time."""
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    for start, era, offset in _DATE_ERAS:
        if day >= start:
            number = day.year - offset
            year = f"{era}{'元' if number == 1 else number}年" + (f"（{day.year}年）" if western else "")
            return f"{year}{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def era_datetime(moment) -> str:
    """「令和8年5月31日 14:05」 in local time; empty for None."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{era_date(local)} {local:%H:%M}"
