"""Counts of meetings per body and tier per fiscal year: one table for the page and the download.

Each report reads what its user may read, through meetings.access, as the pages do. Case reviews
are counted from their own records for everyone; the counts are all that leaves the case
permission's boundary. Free text in a download goes through meetings.provider_names, as on the
pages.
"""

from dataclasses import dataclass, field

from meetings import access
from meetings.models import Body
from meetings.provider_names import mask_provider_names
from plan.common.fiscal_year import FiscalYear
from plan.common.spreadsheets import Sheet


@dataclass
class CountRow:
    body: Body
    label: str
    tier: object = None
    is_case_review: bool = False
    is_attendance: bool = False  # the row "of which the woman took part" (indicator ①)
    counts: dict = field(default_factory=dict)  # year -> (held, planned)

    def held(self, year):
        return self.counts.get(year, (0, 0))[0]

    def cells(self, fiscal_years):
        return [self.counts.get(fy.year, (0, 0)) for fy in fiscal_years]


def meeting_count_rows(fiscal_years: list[FiscalYear], *, user) -> list[CountRow]:
    """Rows in the bodies' and tiers' order; three queries whatever the number of meetings."""
    counted = {
        (body_id, tier_id): counts
        for body_id, tier_id, counts in access.meetings_visible_to(user).counts_by_fiscal_year(fiscal_years)
    }
    case_counts = access.case_reviews_counted_for(user).counts_by_fiscal_year(fiscal_years)
    rows = []
    for body in Body.objects.prefetch_related("tiers"):
        tiers = list(body.tiers.all()) if body.has_tiers else []
        if not tiers:
            rows.append(CountRow(body=body, label=body.short_name, counts=counted.get((body.pk, None), {})))
            continue
        for tier in tiers:
            if tier.is_case_review:
                rows.append(
                    CountRow(
                        body=body,
                        tier=tier,
                        label=f"{body.short_name} {tier}",
                        is_case_review=True,
                        counts={year: (total, 0) for year, (total, _) in case_counts.items()},
                    )
                )
                rows.append(
                    CountRow(
                        body=body,
                        tier=tier,
                        label="　うち本人が参加（指標①）",
                        is_case_review=True,
                        is_attendance=True,
                        counts={year: (attended, 0) for year, (_, attended) in case_counts.items()},
                    )
                )
            else:
                rows.append(
                    CountRow(
                        body=body,
                        tier=tier,
                        label=f"{body.short_name} {tier}",
                        counts=counted.get((body.pk, tier.pk), {}),
                    )
                )
    return rows


def meeting_counts_sheet(fiscal_years: list[FiscalYear], *, user) -> Sheet:
    rows = meeting_count_rows(fiscal_years, user=user)
    return Sheet(
        title="会議の開催回数",
        headers=[
            "会議",
            *[f"{fy.label} 開催" for fy in fiscal_years],
            *[f"{fy.label} 予定" for fy in fiscal_years],
        ],
        rows=[
            [
                row.label.strip("　"),
                *[held for held, _ in row.cells(fiscal_years)],
                *[None if row.is_case_review else planned for _, planned in row.cells(fiscal_years)],
            ]
            for row in rows
        ],
    )


def case_review_sheet(case_reviews, *, title: str, user) -> Sheet:
    """The case records themselves: only ever built for holders of the case permission, who may see
    providers' names; the note still goes through the one masking rule, so that a download never
    shows more than the page (meetings.provider_names)."""
    return Sheet(
        title=title,
        headers=[
            "ケース番号",
            "開催日",
            "本人の参加",
            "参加しなかった理由",
            "理由の補足",
            "参加した関係機関・団体",
            "うち以前から支援していた団体",
        ],
        rows=(
            [
                review.case_code,
                review.date,
                "参加" if review.woman_attended else "不参加",
                review.get_absence_reason_display(),
                mask_provider_names(review.absence_note, user),
                "、".join(
                    access.organization_name_for(user, row.organization) for row in review.participants.all()
                ),
                "、".join(
                    access.organization_name_for(user, row.organization)
                    for row in review.participants.all()
                    if row.supported_before
                ),
            ]
            for review in case_reviews
        ),
    )
