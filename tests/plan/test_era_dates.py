"""Calendar dates in the Japanese era, as the metropolis writes them (one helper for every page)."""

import datetime

from plan.common.fiscal_year import era_date, era_datetime


def test_a_date_takes_the_era_it_falls_in():
    assert era_date(datetime.date(2026, 5, 31)) == "令和8年5月31日"
    assert era_date(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert era_date(datetime.date(2019, 4, 30)) == "平成31年4月30日"


def test_the_western_year_can_stand_beside_it():
    assert era_date(datetime.date(2026, 6, 30), western=True) == "令和8年（2026年）6月30日"


def test_nothing_is_shown_for_no_date():
    assert era_date(None) == "" and era_datetime(None) == ""


def test_a_moment_is_read_in_tokyo_time(settings):
    moment = datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)  # 00:30 on 1 April in Tokyo
    assert era_datetime(moment) == "令和8年4月1日 00:30"
