"""The progress list (/plan/progress/) as a download (issue 12 item 6): the rows the list shows to
the user who downloads, with the same filter form (plan.forms.ProgressFilterForm) and the same
selector (plan.progress.selectors.progress_listings, which holds the scope rules).

Not the plan administrators' fill-in workbook (plan.progress.spreadsheet): this is the list as read,
for every role that reads the list. Free text is written as the reader may read it: providers'
names are masked for whoever may not see them, by the meetings app's rule, reached through its
template library by name (the plan app never depends on the meetings app: imports point one way).
"""

from collections.abc import Callable

from django.template import engines

from plan.accounts.roles import reads_publication_form
from plan.common.list_exports import ListExport, form_conditions
from plan.progress.selectors import ProgressListQuery, progress_listings

HEADERS = [
    "年度",
    "基本目標",
    "基本目標の名称",
    "施策の方向",
    "施策の方向の名称",
    "No.",
    "再掲",
    "再掲元",
    "事項",
    "所管",
    "進捗状況",
    "今後の方向性",
    "実績",
    "課題",
    "今後の取組",
    "最終更新日時",
]
WIDTHS = [20, 9, 24, 10, 24, 6, 6, 14, 30, 24, 12, 14, 60, 40, 40, 16]

PUBLICATION_NOTE = "公表用：閲覧者（推進委員等）向けの内容です。一時保護委託先の名称は伏せ字です。"


def provider_name_mask(user) -> Callable[[str], str]:
    """Free text as `user` may read it: the meetings app's `mask_providers` filter, looked up by
    name. Refuses to go on without it rather than write names unmasked."""
    library = engines["django"].engine.template_libraries.get("meetings_tags")
    if library is None or "mask_providers" not in library.filters:
        raise RuntimeError("meetings_tags.mask_providers is needed to mask providers' names")
    mask = library.filters["mask_providers"]
    return lambda text: mask(text or "", user)


def progress_list_export(query: ProgressListQuery, user) -> ListExport:
    """The list's rows for `user`: one row per listing in the plan's order, re-listings as 再掲 rows
    referring to the original, whose row carries the measure's progress for the year."""
    plan, year = query.plan, query.year
    listings = progress_listings(plan=plan, fiscal_year=year.year, filters=query.filters, user=user)
    mask = provider_name_mask(user)

    def rows():
        for listing in listings:
            area, record = listing.area, listing.record
            row = [
                year.label,
                area.goal.number,
                area.goal.title,
                area.letter,
                area.title,
                listing.measure.number,
                "再掲" if listing.relisted else "",
            ]
            if listing.relisted:
                # The measure's progress is on its original row, as the page links to it.
                yield [*row, f"No.{listing.measure.number}", mask(listing.heading), *[""] * 6, None]
                continue
            yield [
                *row,
                "",
                mask(listing.heading),
                record.department_names if record else "",
                record.get_assessment_display() if record and record.assessment else "",
                record.get_direction_display() if record and record.direction else "",
                mask(record.achievements) if record else "",
                mask(record.issues) if record else "",
                mask(record.next_steps) if record else "",
                record.updated_at if record else None,
            ]

    notes = [PUBLICATION_NOTE] if reads_publication_form(user) else []
    return ListExport(
        title=f"施策の進捗 {year.label}",
        filename=f"施策の進捗_{year.era_label}",
        sheet_title="施策の進捗",
        headers=HEADERS,
        rows=rows(),
        conditions=[("年度", year.label), *form_conditions(query.form, skip=("year",))],
        notes=notes,
        column_widths=WIDTHS,
    )
