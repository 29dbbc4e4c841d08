"""The indicators' small charts: inline SVG that parses, says what it shows to a screen reader,
leaves a gap (labelled データなし) for a year without data, draws the target dashed, and escapes
every text."""

import xml.etree.ElementTree as ET
from decimal import Decimal

from indicators.charts import indicator_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def chart(points, **kwargs):
    kwargs.setdefault("unit", "箇所")
    kwargs.setdefault("title", "② 一時保護委託先の数の推移")
    return ET.fromstring(indicator_chart_svg(points, **kwargs))


def bars(root):
    return {rect.get("data-year"): rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"}


def texts(root):
    return [element.text for element in root.iter(f"{SVG}text")]


def test_it_is_an_image_with_a_title_and_a_description():
    root = chart([(2024, Decimal("12")), (2025, None)], target=Decimal("20"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "② 一時保護委託先の数の推移"
    description = root.find(f"{SVG}desc").text
    assert description == "2024年度 12 箇所、2025年度 データなし、目標値 20 箇所"
    assert root.get("aria-label") == f"② 一時保護委託先の数の推移：{description}"


def test_a_year_without_data_is_a_labelled_gap_never_a_zero_bar():
    root = chart([(2024, Decimal("12")), (2025, None), (2026, Decimal("0"))])
    assert set(bars(root)) == {"2024", "2026"}
    assert float(bars(root)["2026"].get("height")) == 0  # a real zero has its (flat) bar
    assert texts(root).count("データなし") == 1
    assert "0" in texts(root)  # the zero's value is written; the gap's is not


def test_all_years_without_data_and_no_target():
    root = chart([(2024, None), (2025, None)])
    assert bars(root) == {}
    assert texts(root).count("データなし") == 2
    assert "目標値 未設定" in root.find(f"{SVG}desc").text
    assert [line.get("class") for line in root.iter(f"{SVG}line") if line.get("class")] == []


def test_target_dashed_and_baseline_dotted_at_their_heights():
    root = chart(
        [(2024, Decimal("50")), (2025, Decimal("100"))], baseline=Decimal("50"), target=Decimal("100")
    )
    lines = {line.get("class"): line for line in root.iter(f"{SVG}line") if line.get("class")}
    assert set(lines) == {"baseline", "target"}
    assert lines["target"].get("stroke-dasharray")
    # The target's line stands at the top of the 100 bar, the baseline's at the top of the 50 bar.
    assert float(lines["target"].get("y1")) == float(bars(root)["2025"].get("y"))
    assert float(lines["baseline"].get("y1")) == float(bars(root)["2024"].get("y"))
    assert "基準値 50 箇所" in root.find(f"{SVG}desc").text


def test_a_share_is_drawn_on_a_scale_of_100():
    root = chart([(2024, Decimal("50.0"))], unit="％", title="①")
    bar = bars(root)["2024"]
    full = float(root.get("height")) - 14 - 18
    assert float(bar.get("height")) == full / 2
    assert "50" in texts(root)


def test_every_text_is_escaped():
    svg = indicator_chart_svg([(2024, Decimal("1"))], unit='<b>"&', title='<script>alert("x")</script>')
    root = ET.fromstring(svg)  # still well-formed
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script>'
    assert root.find(f"{SVG}desc").text == '2024年度 1 <b>"&、目標値 未設定'


def test_no_script_no_outside_reference():
    svg = indicator_chart_svg(
        [(2024, Decimal("3")), (2025, Decimal("4"))], target=Decimal("5"), unit="人", title="③"
    )
    root = ET.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "desc", "line", "rect", "text"}
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "font-family" not in svg or 'font-family="inherit"' in svg


def test_years_not_begun_say_so_and_draw_nothing():
    root = chart([(2026, Decimal("3")), (2027, Decimal("3")), (2028, None)], not_yet=[2027, 2028])
    assert set(bars(root)) == {"2026"}
    assert texts(root).count("未到来") == 2
    assert "データなし" not in texts(root)
    assert root.find(f"{SVG}desc").text == "2026年度 3 箇所、2027年度 未到来、2028年度 未到来、目標値 未設定"
