import csv
from collections import Counter

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from municipalities.models import Municipality, validate_local_government_code
from municipalities.reference_data import MunicipalityFileError, load_municipalities

FIXTURE_CSV = settings.FIXTURES_DIR / "municipalities.csv"
# CI checks out ../shared beside the clone; a bare clone does not have it.
REFERENCE_CSV = settings.BASE_DIR.parent / "shared" / "reference" / "municipalities.csv"
HEADER = "code6,code5,name,kana,kind,region\n"
# 札幌市: a valid code that is not in Tokyo, so it can only be in the database if a bad file loaded it.
VALID_FOREIGN_ROW = "011002,01100,札幌市,サッポロシ,市,多摩\n"


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def readme_check_digit(code5):
    """reference/README.md: S = 6a + 5b + 4c + 3d + 2e; the last digit of 11 − (S mod 11)."""
    a, b, c, d, e = (int(digit) for digit in code5)
    s = 6 * a + 5 * b + 4 * c + 3 * d + 2 * e
    return str(11 - s % 11)[-1]


def database_rows():
    return list(Municipality.objects.values_list("code", "code5", "name", "kana", "kind", "region"))


def test_loads_the_62_municipalities_by_kind_and_region(municipalities_data):
    assert Municipality.objects.count() == 62
    assert Counter(Municipality.objects.values_list("kind", flat=True)) == {
        "区": 23,
        "市": 26,
        "町": 5,
        "村": 8,
    }
    assert Counter(Municipality.objects.values_list("region", flat=True)) == {
        "区部": 23,
        "多摩": 30,
        "島しょ": 9,
    }


def test_every_code_carries_the_check_digit_of_the_readme_formula(municipalities_data):
    for municipality in Municipality.objects.all():
        validate_local_government_code(municipality.code)
        assert municipality.code[5] == readme_check_digit(municipality.code[:5]), municipality.name
        assert municipality.code5 == municipality.code[:5], municipality.name


@pytest.mark.parametrize(
    ("name", "code"),
    [("千代田区", "131016"), ("八王子市", "132012"), ("小笠原村", "134210")],
)
def test_known_codes(municipalities_data, name, code):
    assert Municipality.objects.get(name=name).code == code


def test_listed_in_local_government_code_order(municipalities_data):
    codes = [municipality.code for municipality in Municipality.objects.all()]
    assert codes == sorted(codes)
    assert codes[0] == "131016"
    assert codes[-1] == "134210"


def test_a_wrong_check_digit_fails_validation_in_japanese(municipalities_data):
    municipality = Municipality(
        code="131017", code5="13101", name="検査用区", kana="ケンサヨウク", kind="区", region="区部"
    )
    with pytest.raises(ValidationError) as raised:
        municipality.full_clean()
    assert "検査数字が正しくありません" in " ".join(raised.value.message_dict["code"])


def test_database_holds_exactly_the_fixture_rows(municipalities_data):
    fixture_rows = [
        (row["code6"], row["code5"], row["name"], row["kana"], row["kind"], row["region"])
        for row in read_csv(FIXTURE_CSV)
    ]
    assert database_rows() == sorted(fixture_rows)


def test_fixture_is_a_copy_of_the_shared_reference():
    if not REFERENCE_CSV.exists():
        pytest.skip(f"共有の参照データ {REFERENCE_CSV} がないため比較できません（CI では ../shared を配置）")
    assert read_csv(FIXTURE_CSV) == read_csv(REFERENCE_CSV)


def test_loading_twice_changes_nothing(municipalities_data):
    before = database_rows()
    report = load_municipalities()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 62)
    assert report.conflicts == []
    assert database_rows() == before


def test_a_name_changed_in_the_system_survives_a_reload_as_a_conflict(municipalities_data):
    municipality = Municipality.objects.get(code="131016")
    municipality.name = "千代田区（修正）"
    municipality.save()

    report = load_municipalities()

    municipality.refresh_from_db()
    assert municipality.name == "千代田区（修正）"
    assert [
        (conflict.field, conflict.system_value, conflict.fixture_value) for conflict in report.conflicts
    ] == [("名称", "千代田区（修正）", "千代田区")]


def test_overwrite_puts_the_fixture_value_back(municipalities_data):
    Municipality.objects.filter(code="131016").update(name="千代田区（修正）")
    report = load_municipalities(overwrite=True)
    assert Municipality.objects.get(code="131016").name == "千代田区"
    assert report.conflicts == []


@pytest.mark.parametrize(
    ("bad_row", "column"),
    [
        ("131017,13101,千代田区,チヨダク,区,区部\n", "code6"),
        ("131016,13101,千代田区,チヨダク,特別区,区部\n", "kind"),
        ("131016,13101,千代田区,チヨダク,区,都心\n", "region"),
        ("131016,13102,千代田区,チヨダク,区,区部\n", "code5"),
    ],
)
def test_a_bad_line_names_line_and_column_and_loads_nothing(db, tmp_path, bad_row, column):
    path = tmp_path / "municipalities.csv"
    path.write_text(HEADER + VALID_FOREIGN_ROW + bad_row, encoding="utf-8")
    before = database_rows()

    with pytest.raises(MunicipalityFileError, match=f"3行目「{column}」列"):
        load_municipalities(path=path)

    assert database_rows() == before
    assert not Municipality.objects.filter(code="011002").exists()
