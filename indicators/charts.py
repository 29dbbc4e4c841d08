"""Small charts of the indicators, drawn on the server as inline SVG.

Municipal networks are often closed, so a chart is plain markup: no script, no web font (the text
inherits the page's font), nothing fetched from anywhere. A year without data draws no bar and says
「データなし」: a missing figure is never drawn as 0. Every text is escaped here, since the
result is inserted into the page as it is.
"""

from decimal import Decimal
from html import escape

from indicators.selectors import format_value

WIDTH = 320
HEIGHT = 120
LEFT = 8
RIGHT = 40  # room for the baseline's and the target's labels
TOP = 14  # room for the value above the tallest bar
BOTTOM = 18  # room for the years
PERCENT_UNITS = ("％", "%")
NOT_YET = "未到来"


def _number(value: float) -> str:
    """Coordinates with one decimal place at most, so the markup stays short and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _scale_top(values: list[Decimal], unit: str) -> Decimal:
    if unit in PERCENT_UNITS:
        return Decimal(100)
    highest = max(values, default=Decimal(0))
    return highest * Decimal("1.1") if highest > 0 else Decimal(1)


def _description(points, *, baseline, target, unit, not_yet) -> str:
    parts = [
        f"{year}年度 {NOT_YET if year in not_yet else format_value(value, unit)}" for year, value in points
    ]
    if baseline is not None:
        parts.append(f"基準値 {format_value(baseline, unit)}")
    parts.append(f"目標値 {format_value(target, unit)}" if target is not None else "目標値 未設定")
    return "、".join(parts)


def indicator_chart_svg(
    points: list[tuple[int, Decimal | None]],
    *,
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    unit: str,
    title: str,
    not_yet=(),
) -> str:
    """Bars of the values by fiscal year (western year under each), a dotted line at the baseline
    and a dashed line at the target when they are set. `points` are (fiscal year, value or None);
    the years of `not_yet` (not begun) draw no bar and say 「未到来」 instead of 「データなし」."""
    not_yet = set(not_yet)
    points = [(year, None if year in not_yet else value) for year, value in points]
    known = [Decimal(value) for _, value in points if value is not None]
    lines = [Decimal(line) for line in (baseline, target) if line is not None]
    top = _scale_top(known + lines, unit)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    floor = TOP + plot_height

    def y_of(value) -> float:
        share = min(max(float(Decimal(value) / top), 0.0), 1.0)
        return floor - share * plot_height

    description = _description(points, baseline=baseline, target=target, unit=unit, not_yet=not_yet)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="indicator-chart" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}：{escape(description)}" '
        'font-size="10" font-family="inherit">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
        f'<line x1="{LEFT}" y1="{floor}" x2="{LEFT + plot_width}" y2="{floor}" stroke="#555" stroke-width="1"/>',
    ]
    slot = plot_width / max(len(points), 1)
    bar_width = min(slot * 0.6, 36)
    for index, (year, value) in enumerate(points):
        middle = LEFT + slot * index + slot / 2
        parts.append(
            f'<text x="{_number(middle)}" y="{HEIGHT - 5}" text-anchor="middle" fill="#333">{escape(str(year))}</text>'
        )
        if value is None:
            # No bar: the gap is labelled, so that it is not read as a zero.
            css_class, label = ("not-yet", NOT_YET) if year in not_yet else ("no-data", "データなし")
            parts.append(
                f'<text class="{css_class}" x="{_number(middle)}" y="{floor - 4}" text-anchor="middle" fill="#767676">'
                f"{label}</text>"
            )
            continue
        bar_top = y_of(value)
        parts.append(
            f'<rect class="bar" data-year="{escape(str(year))}" x="{_number(middle - bar_width / 2)}" '
            f'y="{_number(bar_top)}" width="{_number(bar_width)}" height="{_number(floor - bar_top)}" fill="#1d5fa8"/>'
        )
        parts.append(
            f'<text x="{_number(middle)}" y="{_number(bar_top - 3)}" text-anchor="middle" fill="#222">'
            f"{escape(format_value(Decimal(value), '').strip())}</text>"
        )
    for value, label, dash, css_class in (
        (baseline, "基準", "2 2", "baseline"),
        (target, "目標", "6 3", "target"),
    ):
        if value is None:
            continue
        y = _number(y_of(value))
        parts.append(
            f'<line class="{css_class}" x1="{LEFT}" y1="{y}" x2="{LEFT + plot_width}" y2="{y}" '
            f'stroke="#b35900" stroke-width="1.5" stroke-dasharray="{dash}"/>'
        )
        parts.append(
            f'<text x="{LEFT + plot_width + 3}" y="{y}" dominant-baseline="middle" fill="#8a4500">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def figures_chart_svg(figures, this_year) -> str:
    """The chart of one indicator's IndicatorFigures (indicators.selectors), years after
    `this_year` (a FiscalYear) marked 未到来: the indicators' page and the briefing's print view."""
    indicator = figures.indicator
    return indicator_chart_svg(
        [(figure.fiscal_year, figure.value) for figure in figures.years],
        baseline=indicator.baseline_value,
        target=indicator.target_value,
        unit=indicator.unit,
        title=f"{indicator.symbol} {indicator.name}の推移",
        not_yet=[figure.fiscal_year for figure in figures.years if figure.fiscal_year > this_year.year],
    )
