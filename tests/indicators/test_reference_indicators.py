from django.conf import settings

from indicators.models import Indicator
from indicators.reference_data import load_indicators
from plan.common.text import normalize

SEED = settings.FIXTURES_DIR / "source" / "000_6cdbc0e959ed2f54.txt"


def seed_text():
    # The PDF extraction wraps lines inside words (「女性相談支\n援センター」): join the lines.
    return normalize("".join(SEED.read_text(encoding="utf-8").splitlines()))


def test_six_indicators_numbered_one_to_six(indicators_data):
    assert list(Indicator.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_names_are_worded_as_in_the_seed(indicators_data):
    text = seed_text()
    for indicator in Indicator.objects.all():
        assert f"{indicator.symbol}{indicator.name}" in text.replace("➀", "①"), indicator.name


def test_names_and_units(indicators_data):
    assert list(Indicator.objects.values_list("number", "name", "unit")) == [
        (1, "女性相談支援センターが行う個別ケース検討会議に本人が参加する割合", "％"),
        (2, "一時保護委託先の数", "箇所"),
        (3, "女性相談支援センターが実施する研修に参加した女性相談支援員の数", "人"),
        (4, "協働する民間団体数", "団体"),
        (5, "法に基づく基本計画を策定している区市町村数", "区市町村"),
        (6, "支援調整会議を設置している区市町村数", "区市町村"),
    ]


def test_each_indicator_says_how_it_is_computed(indicators_data):
    for indicator in Indicator.objects.all():
        assert indicator.description, indicator.name
        # Folded YAML lines must not leave spaces inside the Japanese text.
        assert " " not in indicator.description, indicator.name


def test_no_baseline_or_target_is_set(indicators_data):
    for indicator in Indicator.objects.all():
        assert indicator.baseline_value is None
        assert indicator.baseline_fiscal_year is None
        assert indicator.target_value is None
        assert indicator.target_fiscal_year is None


def test_loading_twice_changes_nothing(indicators_data):
    before = list(Indicator.objects.values_list("number", "name", "unit", "description"))
    report = load_indicators()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert report.conflicts == []
    assert list(Indicator.objects.values_list("number", "name", "unit", "description")) == before


def test_a_target_entered_by_the_secretariat_survives_a_reload(indicators_data):
    Indicator.objects.filter(number=6).update(target_value=62, target_fiscal_year=2028)
    report = load_indicators()
    indicator = Indicator.objects.get(number=6)
    assert (indicator.target_value, indicator.target_fiscal_year) == (62, 2028)
    assert report.conflicts == []
