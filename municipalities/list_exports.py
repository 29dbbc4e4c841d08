"""The returns lists as downloads (issue 12 item 6): the secretariat's round page
(/returns/rounds/<year>/) and an officer's own returns (/returns/mine/).

Scoped as the pages are, by municipalities.access alone: the round's rows come from
`selectors.round_rows` (returns_visible_to) under the page's filter form (RoundFilterForm,
RoundFilters), an officer's from `selectors.municipality_returns` for their own municipality. Viewers
and bureau staff see no returns (the returns carry the municipalities' free text), so they get no
download either. One record per row: the return's state and dates as the page shows them, then
every answer (numbers as numbers, dates as dates, choices as their labels, the organisations as
counts), free text with providers' names masked for whoever may not see them.
"""

from django.db.models import Count

from meetings.provider_names import mask_provider_names
from municipalities import selectors
from municipalities.models import AnnualReturn, ReturnRound
from municipalities.review_forms import RoundFilterForm
from plan.common.list_exports import ListExport, form_conditions

STATE_HEADERS = [
    "年度",
    "団体コード",
    "区市町村",
    "地域",
    "種別",
    "状態",
    "提出（期限との関係）",
    "最初の提出日時",
    "受理日時",
    "最終変更",
    "最終変更日時",
]
COUNT_HEADERS = ["参加している民間団体の数（一覧から選択）", "協働している民間団体の数（一覧から選択）"]


def _answer_headers() -> list[str]:
    return [selectors.field_label(name) for name in AnnualReturn.ANSWER_FIELDS]


def _answer_value(annual_return: AnnualReturn, name: str, user):
    value = getattr(annual_return, name)
    field = AnnualReturn._meta.get_field(name)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if field.choices:
        return dict(field.choices).get(value, value) or ""
    if isinstance(value, str):
        return mask_provider_names(value, user)
    return value  # a number, a date or None (unknown stays empty, never 0)


def _organization_counts(returns: list[AnnualReturn]) -> dict[str, dict[int, int]]:
    """{m2m field: {return id: organisations chosen}}: one grouped query per field."""
    ids = [annual_return.pk for annual_return in returns]
    counts = {}
    for name in AnnualReturn.ANSWER_M2M_FIELDS:
        through = getattr(AnnualReturn, name).through
        counts[name] = dict(
            through.objects.filter(annualreturn_id__in=ids)
            .values_list("annualreturn_id")
            .annotate(n=Count("organization_id"))
            .values_list("annualreturn_id", "n")
        )
    return counts


def _rows(round_rows: list[selectors.RoundRow], user):
    counts = _organization_counts([row.annual_return for row in round_rows])
    for row in round_rows:
        annual_return, municipality = row.annual_return, row.municipality
        change = row.last_change
        yield [
            annual_return.round.year.label,
            municipality.code,
            municipality.name,
            municipality.get_region_display(),
            municipality.get_kind_display(),
            annual_return.get_state_display(),
            row.timeliness_label,
            row.first_submitted_at,
            annual_return.accepted_at,
            f"{change.what}：{change.by or 'システム'}" if change else "未着手",
            change.at if change else None,
            *[_answer_value(annual_return, name, user) for name in AnnualReturn.ANSWER_FIELDS],
            *[counts[name].get(annual_return.pk, 0) for name in AnnualReturn.ANSWER_M2M_FIELDS],
        ]


def _headers() -> list[str]:
    return [*STATE_HEADERS, *_answer_headers(), *COUNT_HEADERS]


def round_query(round: ReturnRound, user, params):
    """The round page's rows under its filters (an invalid form filters nothing, as on the page)."""
    form = RoundFilterForm(params or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.RoundFilters(
        **{name: data.get(name, "") for name in ("region", "kind", "state", "timeliness")}
    )
    rows = [row for row in selectors.round_rows(round, user) if filters.matches(row)]
    return form, rows


def round_export(round: ReturnRound, user, params) -> ListExport:
    form, rows = round_query(round, user, params)
    for row in rows:
        row.annual_return.round = round  # the rows' round, without a query per row
    return ListExport(
        title=f"区市町村の報告 {round.year.label}",
        filename=f"区市町村の報告_{round.year.era_label}",
        sheet_title="区市町村の報告",
        headers=_headers(),
        rows=_rows(rows, user),
        conditions=form_conditions(form),
        notes=["事務局用：区市町村の記述（理由・要望等）を含みます。取扱いに注意してください。"],
    )


def officer_returns_export(user, municipality) -> ListExport:
    """The officer's municipality's returns, newest round first, as on /returns/mine/."""
    returns = selectors.municipality_returns(municipality, user)
    for annual_return in returns:
        annual_return.municipality = municipality  # known: the officer's own, no query per row
    rows = [selectors.RoundRow(annual_return, annual_return.round.deadline) for annual_return in returns]
    return ListExport(
        title=f"{municipality.name}の報告",
        filename=f"{municipality.name}の報告",
        sheet_title="報告",
        headers=_headers(),
        rows=_rows(rows, user),
        conditions=[("区市町村", municipality.name)],
    )
