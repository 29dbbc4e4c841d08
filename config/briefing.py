"""The committee briefing workbook (issue 12): one xlsx with the plan's progress for a fiscal year,
composed from every app's selectors and written by the project's one spreadsheet writer.

Two forms (DESIGN.md, Privacy): 委員用 for the promotion committee, which meets in closed session,
and 公表用, which holds what a viewer may see and nothing more. Neither holds case-level data: case
reviews leave as counts. Temporary-protection providers' names are masked in both forms, because
only the secretariat and holders of the case permission may read them and the committee's members
are neither. The public form leaves out every municipal free text (reasons, requests to the
metropolis, names typed by municipalities); the members' form keeps the reasons and requests.

Sheets: 概要 (laid out for reading), then data sheets that follow the national government's rules
for machine-readable spreadsheets — one record per row, no merged cells, numbers as numbers — so
that the public form can be published as open data as it is: 施策の進捗, 指標, 区市町村,
区市町村（集計） (the totals, which equal indicators ③ ⑤ ⑥, kept out of the records' sheet so that
no total row sits among the records), 会議.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from django.utils import timezone

from indicators.computations import MunicipalityCount, TrainedWorkers
from indicators.selectors import IndicatorFigures, indicator_year_figures
from meetings.models import AgendaItem, Body, CaseReview, Meeting
from meetings.provider_names import mask_provider_names
from municipalities.models import AnnualReturn, Municipality, ReturnState
from plan.common.fiscal_year import FiscalYear, era_date
from plan.common.spreadsheets import Chart, Sheet, write_xlsx
from plan.models import Plan
from plan.progress.selectors import ProgressFilters, progress_counts, progress_listings


class BriefingForm:
    MEMBERS = "members"
    PUBLIC = "public"
    LABELS = {MEMBERS: "委員用", PUBLIC: "公表用"}
    ALL = (MEMBERS, PUBLIC)


class BriefingError(ValueError):
    """The workbook cannot be made as asked; the message is in Japanese, for the user."""


@dataclass
class _Context:
    plan: Plan
    year: FiscalYear
    form: str
    as_of: datetime.date
    # Reads free text as someone who may not see providers' names (for_reader caches the names on
    # it, so they are loaded once per workbook).
    reader: object

    @property
    def public(self) -> bool:
        return self.form == BriefingForm.PUBLIC

    def mask(self, text) -> str:
        return mask_provider_names(text or "", self.reader)


def briefing_filename(*, fiscal_year: int, form: str) -> str:
    return f"推進委員会資料_{FiscalYear(fiscal_year).era_label}_{BriefingForm.LABELS[form]}.xlsx"


def briefing_plan_and_year(fiscal_year: int) -> tuple[Plan, FiscalYear]:
    """The current plan and the year, or BriefingError when the year is outside the plan's period."""
    plan = Plan.objects.current()
    if plan is None:
        raise BriefingError(
            "基本計画が登録されていません。参照データを読み込んでください（manage.py load_reference_data）。"
        )
    if not plan.start_fiscal_year <= fiscal_year <= plan.end_fiscal_year:
        raise BriefingError(
            f"{fiscal_year}年度は計画期間（{plan.period_label}）の外です。"
            f"{plan.start_fiscal_year}〜{plan.end_fiscal_year}の年度を指定してください。"
        )
    return plan, FiscalYear(fiscal_year)


def briefing_workbook(*, fiscal_year: int, form: str, as_of: datetime.date | None = None) -> bytes:
    """The briefing workbook for `fiscal_year` in `form` ("members" or "public"), as xlsx bytes."""
    context, figures, returns, municipality_rows, totals = _prepare(fiscal_year, form, as_of)
    sheets = [
        _overview_sheet(context, figures, returns, totals),
        _progress_sheet(context),
        _indicator_sheet(context, figures),
        Sheet(
            title="区市町村",
            headers=_municipality_headers(context),
            rows=municipality_rows,
            column_widths=_municipality_widths(context),
        ),
        _totals_sheet(totals),
        _meeting_sheet(context),
    ]
    footer = f"{era_date(context.as_of, western=True)}現在"
    return write_xlsx(sheets, title=_title(context), footer=footer)


def _prepare(fiscal_year: int, form: str, as_of: datetime.date | None):
    """What every part of the briefing is made from, read once: the year's indicator figures, its
    returns and the municipalities' records and totals (the workbook and the print view share it)."""
    if form not in BriefingForm.ALL:
        raise BriefingError("資料の種類は members（委員用）か public（公表用）を指定してください。")
    plan, year = briefing_plan_and_year(int(fiscal_year))
    context = _Context(plan, year, form, as_of or timezone.localdate(), AnonymousUser())
    # Every plan year up to the briefing's, for the indicators' trend; the drill-down (which
    # municipalities count) only for the briefing's year, the one the 区市町村 sheet lists.
    figures = indicator_year_figures(FiscalYear.range(plan.start_fiscal_year, year.year), detail_years=[year.year])
    returns = _year_returns(year)
    municipality_rows, totals = _municipality_rows(context, figures, returns)
    return context, figures, returns, municipality_rows, totals


def _title(context: _Context) -> str:
    return f"{context.plan.short_name} 推進委員会資料 {context.year.label}（{BriefingForm.LABELS[context.form]}）"


# --- briefing print view (issue 12 item 4) ---------------------------------------------------------


@dataclass
class BriefingSummary:
    """The 概要 and 指標 content of the briefing workbook, for the print view
    (config.briefing_views.briefing_print): the 概要 sheet the workbook writes, and the indicator
    figures its 指標 sheet is made from (the page shows their labels and charts)."""

    title: str
    year: FiscalYear
    form: str
    as_of: datetime.date
    overview: Sheet
    figures: list[IndicatorFigures]

    @property
    def form_label(self) -> str:
        return BriefingForm.LABELS[self.form]

    @property
    def as_of_label(self) -> str:
        return era_date(self.as_of, western=True)


def briefing_summary(*, fiscal_year: int, form: str, as_of: datetime.date | None = None) -> BriefingSummary:
    """The 概要 and 指標 content of the briefing for `fiscal_year` in `form`, as data to render."""
    context, figures, returns, _rows, totals = _prepare(fiscal_year, form, as_of)
    return BriefingSummary(
        title=_title(context),
        year=context.year,
        form=form,
        as_of=context.as_of,
        overview=_overview_sheet(context, figures, returns, totals),
        figures=figures,
    )


# --- end briefing print view ---


# --- 概要 -----------------------------------------------------------------------------------------


def _overview_sheet(context: _Context, figures: list[IndicatorFigures], returns, totals) -> Sheet:
    plan, year = context.plan, context.year
    rows = [
        ["資料", "計画", plan.name, ""],
        [
            "資料",
            "計画期間",
            f"{plan.period_label}（{plan.start_fiscal_year}〜{plan.end_fiscal_year}年度）",
            "",
        ],
        ["資料", "対象年度", year.label, ""],
        ["資料", "作成日（時点）", era_date(context.as_of, western=True), ""],
        ["資料", "資料の種類", BriefingForm.LABELS[context.form], _form_note(context)],
    ]
    for goal_counts in progress_counts(plan=plan, fiscal_year=year.year):
        goal = goal_counts.goal
        for _value, label, count in goal_counts.cells:
            rows.append(["施策の進捗", f"{goal.label} {label}", count, ""])
        rows.append(["施策の進捗", f"{goal.label} 未入力", goal_counts.unassessed, ""])
        rows.append(
            ["施策の進捗", f"{goal.label} 施策数", goal_counts.records, f"{goal.title}（再掲は数えません）"]
        )
    for indicator_figures in figures:
        indicator, figure = indicator_figures.indicator, indicator_figures.years[-1]
        rows.append(
            [
                "指標",
                f"{indicator.symbol} {indicator.name}",
                figure.value_label,
                f"基準値：{indicator_figures.baseline_label}／目標値：{indicator_figures.target_label}"
                f"／評価：{figure.grade_label}／{figure.state_label}",
            ]
        )
    states = defaultdict(int)
    for state in returns.values():
        states[state] += 1
    rows.append(
        ["区市町村の年次報告", f"{year.era_label}の報告 区市町村数", totals["all"]["municipalities"], ""]
    )
    rows.append(
        [
            "区市町村の年次報告",
            "提出あり（提出済み・差戻し・受理）",
            sum(
                states[state]
                for state in (ReturnState.SUBMITTED, ReturnState.SENT_BACK, ReturnState.ACCEPTED)
            ),
            "",
        ]
    )
    rows.append(["区市町村の年次報告", "受理", states[ReturnState.ACCEPTED], ""])
    rows.append(
        [
            "区市町村の年次報告",
            "未提出（作成中・受付なし）",
            totals["all"]["municipalities"]
            - sum(
                states[state]
                for state in (ReturnState.SUBMITTED, ReturnState.SENT_BACK, ReturnState.ACCEPTED)
            ),
            "",
        ]
    )
    held, case_reviews = _meeting_counts(context)
    for label, count in held:
        rows.append(["会議", f"{label} 開催回数", count, "開催済みの会議"])
    total, attended = case_reviews
    rows.append(["会議", "個別ケース検討会議（女性相談支援センター） 開催回数", total, "件数のみ"])
    rows.append(["会議", "うち本人が参加（指標①）", attended, "件数のみ"])
    return Sheet(
        title="概要", headers=["区分", "項目", "値", "備考"], rows=rows, column_widths=[18, 48, 40, 60]
    )


def _form_note(context: _Context) -> str:
    if context.public:
        return "公表用：区市町村の記述（理由・要望等）と一時保護委託先の名称を含みません。個別ケースは件数のみです。"
    return "委員用（非公開）：一時保護委託先の名称は含みません。個別ケースは件数のみです。"


# --- 施策の進捗 ---------------------------------------------------------------------------------


PROGRESS_HEADERS = [
    "基本目標",
    "基本目標の名称",
    "施策の方向",
    "施策の方向の名称",
    "No.",
    "再掲",
    "再掲元",
    "事項",
    "内容",
    "所管",
    "進捗状況",
    "今後の方向性",
    "実績",
    "課題",
    "今後の取組",
]
PROGRESS_WIDTHS = [9, 24, 10, 24, 6, 6, 22, 24, 50, 24, 12, 14, 50, 40, 40]


def _progress_sheet(context: _Context) -> Sheet:
    listings = progress_listings(
        plan=context.plan, fiscal_year=context.year.year, filters=ProgressFilters(), user=context.reader
    )
    originals = {listing.measure_id: listing for listing in listings if not listing.relisted}

    def rows():
        for listing in listings:
            area, record = listing.area, listing.record
            base = [
                area.goal.number,
                area.goal.title,
                area.letter,
                area.title,
                listing.measure.number,
                "再掲" if listing.relisted else "",
            ]
            if listing.relisted:
                original = originals.get(listing.measure_id)
                reference = f"{original.area.label} No.{listing.measure.number}" if original else ""
                # The measure's progress is on its original row; a re-listing refers to it.
                yield [
                    *base,
                    reference,
                    context.mask(listing.heading),
                    context.mask(listing.content),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
                continue
            yield [
                *base,
                "",
                context.mask(listing.heading),
                context.mask(listing.content),
                record.department_names if record else "",
                record.get_assessment_display() if record and record.assessment else "",
                record.get_direction_display() if record and record.direction else "",
                context.mask(record.achievements) if record else "",
                context.mask(record.issues) if record else "",
                context.mask(record.next_steps) if record else "",
            ]

    return Sheet(title="施策の進捗", headers=PROGRESS_HEADERS, rows=rows(), column_widths=PROGRESS_WIDTHS)


# --- 指標 -------------------------------------------------------------------------------------------


def _indicator_sheet(context: _Context, figures: list[IndicatorFigures]) -> Sheet:
    years = [figure.year for figure in figures[0].years] if figures else [context.year]
    headers = [
        "番号",
        "指標",
        "単位",
        "基準値（未設定は空欄）",
        "基準値の年度",
        "目標値（未設定は空欄）",
        "目標年度",
        *[year.label for year in years],
        f"{context.year.era_label}の値の種類",
        f"{context.year.era_label}の値の出典",
        f"{context.year.era_label}の評価",
        "目標に対する進捗（％）",
    ]
    first_value_column = 8
    rows, charts = [], []
    for index, indicator_figures in enumerate(figures):
        indicator, current = indicator_figures.indicator, indicator_figures.years[-1]
        rows.append(
            [
                indicator.number,
                indicator.name,
                indicator.unit,
                indicator.baseline_value,
                FiscalYear(indicator.baseline_fiscal_year).label if indicator.baseline_fiscal_year else "",
                indicator.target_value,
                FiscalYear(indicator.target_fiscal_year).label if indicator.target_fiscal_year else "",
                *[figure.value for figure in indicator_figures.years],
                current.state_label,
                context.mask(current.source),
                current.grade_label,
                current.progress,
            ]
        )
        charts.append(
            Chart(
                title=f"{indicator.symbol} {indicator.name}",
                row=index,
                first_column=first_value_column,
                last_column=first_value_column + len(years) - 1,
                y_axis_title=indicator.unit,
                # Two charts side by side below the table.
                anchor=f"{'A' if index % 2 == 0 else 'H'}{len(figures) + 3 + (index // 2) * 16}",
            )
        )
    widths = [6, 40, 8, 12, 22, 12, 22, *[14] * len(years), 16, 30, 16, 12]
    return Sheet(title="指標", headers=headers, rows=rows, column_widths=widths, charts=charts)


# --- 区市町村 ---------------------------------------------------------------------------------------


def _year_returns(year: FiscalYear) -> dict[int, str]:
    """{municipality id: the state of its return in the year's round}."""
    return dict(
        AnnualReturn.objects.filter(round__fiscal_year=year.year).values_list("municipality_id", "state")
    )


def _municipality_headers(context: _Context) -> list[str]:
    headers = [
        "地域",
        "団体コード",
        "区市町村",
        "種別",
        "情報の年度（受理済みの最新の報告）",
        "基本計画の策定状況",
        "指標⑤に計上（1=計上）",
        "支援調整会議の設置状況",
        "指標⑥に計上（1=計上）",
        "代表者会議",
        "実務者会議",
        "個別ケース検討会議",
        "民間団体の参加",
        "参加している民間団体の数",
        "女性相談支援員の配置",
        "常勤の人数",
        "非常勤の人数",
        f"研修を受講した支援員の実人数（{context.year.era_label}の受理済みの報告・指標③に計上）",
        f"{context.year.era_label}の報告の状態",
    ]
    if not context.public:
        headers += ["基本計画の策定予定がない理由", "支援調整会議を設置していない理由", "課題・都への要望"]
    return headers


def _municipality_widths(context: _Context) -> list[int]:
    widths = [8, 10, 12, 6, 20, 22, 10, 18, 10, 8, 8, 10, 10, 10, 20, 8, 8, 16, 12]
    return widths if context.public else widths + [40, 40, 50]


def _held(value: bool) -> str:
    return "あり" if value else "なし"


def _municipality_rows(context: _Context, figures: list[IndicatorFigures], returns: dict[int, str]):
    """The records (one per municipality, grouped by region, in code order within it) and the
    totals, both read from the computations of ③ ⑤ ⑥ for the year, so they cannot disagree."""
    by_number = {item.indicator.number: item.years[-1].computation for item in figures}
    plans: MunicipalityCount = by_number[5].detail
    councils: MunicipalityCount = by_number[6].detail
    trained: TrainedWorkers = by_number[3].detail
    council_rows = {row.municipality.pk: row for row in councils.rows}
    trained_rows = {row.municipality.pk: row for row in trained.municipal_rows}
    organization_counts = dict(
        AnnualReturn.council_organizations.through.objects.values("annualreturn_id")
        .annotate(n=Count("organization_id"))
        .values_list("annualreturn_id", "n")
    )
    regions = dict(Municipality.Region.choices)
    region_order = {value: index for index, value in enumerate(regions)}
    empty = {"municipalities": 0, "reported": 0, "with_plan": 0, "with_council": 0, "trained": 0}
    totals = {region: dict(empty) for region in regions} | {"all": dict(empty)}
    state_labels = dict(ReturnState.choices)

    records = []
    for plan_row in sorted(
        plans.rows, key=lambda row: (region_order.get(row.municipality.region, 99), row.municipality.code)
    ):
        municipality, annual_return = plan_row.municipality, plan_row.annual_return
        council_row = council_rows[municipality.pk]
        trained_row = trained_rows.get(municipality.pk)
        trained_count = trained_row.workers_trained if trained_row else None
        for key in (municipality.region, "all"):
            total = totals.setdefault(key, dict(empty))
            total["municipalities"] += 1
            total["reported"] += annual_return is not None
            total["with_plan"] += plan_row.counted
            total["with_council"] += council_row.counted
            total["trained"] += trained_count or 0
        state = returns.get(municipality.pk)
        record = [
            regions.get(municipality.region, municipality.region),
            municipality.code,
            municipality.name,
            municipality.get_kind_display(),
            FiscalYear(plan_row.information_year).label if annual_return else "受理済みの報告なし",
            annual_return.get_plan_status_display() if annual_return else "",
            int(plan_row.counted),
            annual_return.get_council_status_display() if annual_return else "",
            int(council_row.counted),
        ]
        if annual_return is not None:
            in_place = annual_return.council_is_set_up
            record += [
                _held(annual_return.council_has_representatives) if in_place else "",
                _held(annual_return.council_has_practitioners) if in_place else "",
                _held(annual_return.council_has_case_review) if in_place else "",
                annual_return.get_council_private_participation_display() if in_place else "",
                organization_counts.get(annual_return.pk, 0) if in_place else None,
                annual_return.get_workers_placement_display(),
                annual_return.workers_full_time,
                annual_return.workers_part_time,
            ]
        else:
            record += ["", "", "", "", None, "", None, None]
        record += [trained_count, state_labels.get(state, "受付なし") if state else "受付なし"]
        if not context.public:
            record += [
                context.mask(annual_return.plan_not_planned_reason) if annual_return else "",
                context.mask(annual_return.council_not_set_up_reason) if annual_return else "",
                context.mask(annual_return.requests_to_metro) if annual_return else "",
            ]
        records.append(record)
    totals["metro_trained"] = trained.metro.total if trained.metro else None
    totals["indicators"] = {number: by_number[number].value for number in (3, 5, 6)}
    return records, totals


def _totals_sheet(totals: dict) -> Sheet:
    regions = dict(Municipality.Region.choices)
    rows = [
        [
            label,
            totals[key]["municipalities"],
            totals[key]["reported"],
            totals[key]["with_plan"],
            totals[key]["with_council"],
            totals[key]["trained"],
        ]
        for key, label in regions.items()
        if totals.get(key, {}).get("municipalities")
    ]
    overall = totals["all"]
    rows.append(
        [
            "区市町村計",
            overall["municipalities"],
            overall["reported"],
            overall["with_plan"],
            overall["with_council"],
            overall["trained"],
        ]
    )
    rows.append(
        [
            "都（女性相談支援センター・福祉事務所の支援員、事務局の入力）",
            None,
            None,
            None,
            None,
            totals["metro_trained"],
        ]
    )
    indicators = totals["indicators"]
    rows.append(["合計（指標の算出値）", None, None, indicators[5], indicators[6], indicators[3]])
    return Sheet(
        title="区市町村（集計）",
        headers=[
            "区分",
            "区市町村数",
            "受理済みの報告あり",
            "基本計画を策定（指標⑤）",
            "支援調整会議を設置（指標⑥）",
            "研修を受講した支援員の実人数（指標③）",
        ],
        rows=rows,
        column_widths=[44, 12, 14, 16, 16, 20],
    )


# --- 会議 ---------------------------------------------------------------------------------------------


def _meeting_counts(context: _Context):
    """([(body and tier, meetings held)], (case reviews, of which the woman took part)): counts only."""
    year = context.year
    counts = {
        (body_id, tier_id): year_counts[year.year][0]
        for body_id, tier_id, year_counts in Meeting.objects.counts_by_fiscal_year([year])
    }
    held = []
    for body in Body.objects.prefetch_related("tiers").order_by("position", "pk"):
        tiers = [tier for tier in body.tiers.all() if not tier.is_case_review] if body.has_tiers else []
        if not tiers:
            held.append((body.short_name, counts.get((body.pk, None), 0)))
        for tier in tiers:
            held.append((f"{body.short_name} {tier.name}", counts.get((body.pk, tier.pk), 0)))
    case_reviews = CaseReview.objects.counts_by_fiscal_year([year]).get(year.year, (0, 0))
    return held, case_reviews


def _meeting_sheet(context: _Context) -> Sheet:
    meetings = (
        Meeting.objects.in_fiscal_year(context.year)
        .select_related("body", "tier")
        .prefetch_related("agenda_items__measures")
        .order_by("body__position", "body_id", "tier__position", "date", "start_time", "pk")
    )

    def rows():
        for meeting in meetings:
            base = [
                context.year.label,
                meeting.body.short_name,
                meeting.tier.name if meeting.tier_id else "",
                meeting.date,
                meeting.get_status_display(),
                meeting.get_openness_display(),
                context.mask(meeting.title),
            ]
            items: list[AgendaItem] = list(meeting.agenda_items.all())
            if not items:
                yield [*base, None, "", ""]
            for item in items:
                numbers = sorted(measure.number for measure in item.measures.all())
                yield [*base, item.position, context.mask(item.title), "、".join(f"No.{n}" for n in numbers)]

    return Sheet(
        title="会議",
        headers=[
            "年度",
            "会議体",
            "階層",
            "開催日",
            "状態",
            "公開・非公開",
            "会議名",
            "議題の順番",
            "議題",
            "関連する施策",
        ],
        rows=rows(),
        column_widths=[22, 16, 14, 11, 10, 10, 36, 8, 50, 24],
    )
