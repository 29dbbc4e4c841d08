"""The meetings list (/meetings/) and the organisation registry (/meetings/organizations/) as
downloads (issue 12 item 6), for everyone who reads the lists, as they read them.

The rows are the pages' own: the same filter forms (meetings.forms.MeetingFilterForm,
meetings.search.MeetingSearchForm, meetings.forms.OrganizationSearchForm), the same scoped querysets
(meetings.access.meetings_visible_to, organizations_visible_to, organizations_findable_by) and the
same masking of providers' names (meetings.provider_names for free text, the registry's
`shown_name` for its names). Case reviews are never rows here: they are not meetings of the list,
and the list counts them only. All in a fixed number of queries, whatever the number of rows.
"""

from django.db.models import Count
from django.utils import timezone

from meetings import access
from meetings.models import Meeting, Organization
from meetings.provider_names import mask_provider_names
from meetings.selectors import MeetingListQuery, OrganizationListQuery, with_meeting_counts
from plan.common.fiscal_year import FiscalYear
from plan.common.list_exports import ListExport, form_conditions

PUBLICATION_NOTE = "公表用：閲覧者（推進委員等）向けの内容です。一時保護委託先の名称は伏せ字です。"
MASKED_NOTE = "一時保護委託先の名称は伏せ字です。"


def reader_notes(user) -> list[str]:
    """What the reader's form leaves out, stated on the 「条件」 sheet."""
    if access.gets_publication_form(user):
        return [PUBLICATION_NOTE]
    return [] if access.can_see_provider_names(user) else [MASKED_NOTE]


# --- meetings -----------------------------------------------------------------------------------


MEETING_HEADERS = [
    "年度",
    "開催日",
    "開始時刻",
    "終了時刻",
    "会議体",
    "階層",
    "会議名",
    "状態",
    "公開・非公開",
    "出席団体数",
]
MEETING_WIDTHS = [20, 11, 8, 8, 24, 16, 50, 10, 12, 10]


def meeting_list_export(query: MeetingListQuery, user) -> ListExport:
    meetings = list(query.meetings)
    counts = dict(
        Meeting.attending_organizations.through.objects.filter(meeting_id__in=[m.pk for m in meetings])
        .values_list("meeting_id")
        .annotate(n=Count("id"))
        .values_list("meeting_id", "n")
    )
    rows = [
        [
            FiscalYear.of(meeting.date).label,
            meeting.date,
            meeting.start_time,
            meeting.end_time,
            meeting.body.short_name,
            meeting.tier.name if meeting.tier_id else "",
            mask_provider_names(meeting.title, user),
            meeting.status_shown,
            meeting.get_openness_display(),
            counts.get(meeting.pk, 0),
        ]
        for meeting in meetings
    ]
    conditions = [("年度", query.fiscal_year.label if query.fiscal_year else "すべての年度")]
    conditions += form_conditions(query.filters, skip=("year",))
    conditions += form_conditions(query.search)
    year_part = query.fiscal_year.era_label if query.fiscal_year else "全年度"
    return ListExport(
        title=f"会議の一覧 {query.fiscal_year.label if query.fiscal_year else 'すべての年度'}",
        filename=f"会議の一覧_{year_part}",
        sheet_title="会議の一覧",
        headers=MEETING_HEADERS,
        rows=rows,
        conditions=conditions,
        notes=reader_notes(user),
        column_widths=MEETING_WIDTHS,
    )


# --- organisations ------------------------------------------------------------------------------


ORGANIZATION_HEADERS = ["名称", "種別", "現在の役割", "出席した会議の数"]
ORGANIZATION_WIDTHS = [50, 16, 50, 12]


def organization_list_export(query: OrganizationListQuery, user) -> ListExport:
    """One row per organisation; a row whose name is masked for the reader carries the mask only,
    as on the page (no kind, no role, no count that could tell it apart)."""
    organizations: list[Organization] = with_meeting_counts(query.organizations)
    rows = []
    for organization in organizations:
        if organization.name_hidden:
            rows.append([organization.shown_name, "", "", None])
            continue
        roles = "、".join(role.get_role_display() for role in organization.roles.all() if role.is_active)
        rows.append(
            [
                mask_provider_names(organization.shown_name, user),
                organization.get_kind_display(),
                roles,
                organization.meeting_count,
            ]
        )
    today = timezone.localdate()
    return ListExport(
        title="団体の一覧",
        filename="団体の一覧",
        headers=ORGANIZATION_HEADERS,
        rows=rows,
        conditions=form_conditions(query.form),
        notes=[*reader_notes(user), "現在の役割は出力日に有効なものです。"],
        column_widths=ORGANIZATION_WIDTHS,
        as_of=today,
    )
