"""The municipal officer's pages: their municipality's return for a round.

- `return_page` (/returns/<pk>/): the return form while it may be edited (一時保存 and 提出する),
  read-only with the reason otherwise, the workflow's log and the secretariat's comments;
- `return_withdraw` (/returns/<pk>/withdraw/): 取下げ, POST only, after a confirmation page;
- `my_returns` (/returns/mine/): the officer's municipality's returns of every round.

Who may open what is municipalities.access; every write is municipalities.services. The
secretariat may open a return page too and enter on the municipality's behalf (docs/returns.md).
`home_cards(user)` gives the officer's card on the home page (config.views.home).
"""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from meetings import access as meetings_access
from meetings.models import Organization
from municipalities import access, services
from municipalities.forms import COUNT_UNITS, RETURN_SECTIONS, AnnualReturnForm
from municipalities.models import AnnualReturn, ReturnState, ReturnTransition
from municipalities.selectors import display_value, field_label, latest_reminders
from plan.common.fiscal_year import FiscalYear, era_date

UNKNOWN_LABEL = "不明"
def era_date_label(day) -> str:
    """「令和8年（2026年）6月30日」: the Japanese era with the Western year beside it."""
    return era_date(day, western=True)


def moment_label(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "Y年n月j日 H:i") if moment else ""


# --- what a page shows ---------------------------------------------------------------------------


def _check_sees_returns(user) -> None:
    """People who see no return at all (viewers, bureau staff) are refused outright (403); an id
    they may not know is a 404 for the others (`access.get_return_for_user_or_404`)."""
    if not access.can_see_returns(user):
        raise PermissionDenied


def _load(request, pk) -> AnnualReturn:
    _check_sees_returns(request.user)
    queryset = AnnualReturn.objects.select_related("updated_by", "submitted_by", "prefilled_from__round")
    return access.get_return_for_user_or_404(request, pk, queryset)


def _transitions(user, annual_return) -> list[ReturnTransition]:
    return list(
        access.transitions_visible_to(user, annual_return.transitions.select_related("by")).order_by(
            "at", "id"
        )
    )


def latest_comment(transitions) -> ReturnTransition | None:
    """The secretariat's latest comment (a send-back's or a reopening's reason)."""
    commented = [transition for transition in transitions if transition.comment]
    return commented[-1] if commented else None


def organization_names(user, organizations) -> list[str]:
    """The names the user may read; organisations whose names they may not read are left out
    (never shown, not even masked)."""
    return [
        organization.shown_name
        for organization in meetings_access.organizations_findable_by(user, organizations)
    ]


def shown_value(user, name: str, value) -> str:
    """An answer as the page shows it: 「不明」 for an unknown number (never 0), the units, the
    organisations as the user may read them."""
    if name in AnnualReturn.ANSWER_M2M_FIELDS:
        names = organization_names(user, Organization.objects.filter(pk__in=value or ()).order_by("name"))
        return "、".join(names) if names else "（なし）"
    if name in COUNT_UNITS:
        return UNKNOWN_LABEL if value is None else f"{value}{COUNT_UNITS[name]}"
    if isinstance(value, datetime.date):
        return era_date_label(value)
    if name.endswith("fiscal_year") or name.startswith("plan_period"):
        return FiscalYear(value).label if isinstance(value, int) else "（空欄）"
    return display_value(name, value)


@dataclass
class ShownChange:
    label: str
    old_display: str
    new_display: str


def conflict_changes(user, conflict) -> list[ShownChange]:
    """What the other person changed, shown as this user may read it (providers' names never: a
    change of organisations the user may not read is left out)."""
    shown = [
        ShownChange(
            change.label,
            shown_value(user, change.name, change.previous),
            shown_value(user, change.name, change.current),
        )
        for change in conflict.changes
    ]
    return [change for change in shown if change.old_display != change.new_display]


def answer_sections(user, annual_return) -> list:
    """[(key, legend, [(label, text)])] for the read-only page."""
    sections = []
    for key, legend, names in RETURN_SECTIONS:
        rows = []
        for name in names:
            if name in AnnualReturn.ANSWER_M2M_FIELDS:
                names_read = organization_names(user, getattr(annual_return, name).all())
                rows.append((field_label(name), "、".join(names_read) if names_read else "（なし）"))
            else:
                rows.append((field_label(name), shown_value(user, name, getattr(annual_return, name))))
        if key == "workers":
            for attendance in annual_return.course_attendances.select_related("course"):
                rows.append((f"研修の受講者数：{attendance.course.name}", f"{attendance.persons}人"))
        sections.append((key, legend, rows))
    return sections


def _reason_heading(annual_return) -> str:
    """Why the page is read-only, in a few words (the model's `edit_refusal()` says the rest)."""
    if annual_return.round.is_closed:
        return "受付終了"
    if annual_return.state == ReturnState.SUBMITTED:
        return "提出済み・事務局の確認待ち"
    if annual_return.state == ReturnState.ACCEPTED:
        return "受理済み"
    return "編集できません"


def _context(request, annual_return, *, form=None, conflict=None, refused=None):
    user = request.user
    transitions = _transitions(user, annual_return)
    refusal = annual_return.edit_refusal()
    return {
        "annual_return": annual_return,
        "round": annual_return.round,
        "year": annual_return.round.year,
        "deadline_label": era_date_label(annual_return.round.deadline),
        "year_end_label": era_date_label(annual_return.round.year.end),
        "form": form,
        "conflict": conflict,
        "conflict_changes": conflict_changes(user, conflict) if conflict else [],
        "refused": refused,
        "refusal": refusal,
        "refusal_heading": _reason_heading(annual_return) if refusal else "",
        "may_save": access.can_edit_return(user, annual_return),
        "may_withdraw": access.can_withdraw_return(user, annual_return),
        "withdraw_refusal": annual_return.withdraw_refusal()
        if access.is_own_return(user, annual_return)
        else None,
        "on_behalf": not access.is_own_return(user, annual_return),
        "transitions": transitions,
        "latest_comment": latest_comment(transitions),
        "answer_sections": answer_sections(user, annual_return) if form is None else [],
        "updated_label": moment_label(annual_return.updated_at),
        "submitted_label": moment_label(annual_return.submitted_at),
    }


# --- the pages -------------------------------------------------------------------------------------

ACTION_SAVE = "save"
ACTION_SUBMIT = "submit"


def return_page(request, pk):
    annual_return = _load(request, pk)
    user = request.user
    if request.method != "POST":
        form = (
            AnnualReturnForm(instance=annual_return, user=user)
            if access.can_edit_return(user, annual_return)
            else None
        )
        return render(
            request, "municipalities/officer/return_page.html", _context(request, annual_return, form=form)
        )

    if not access.may_change_return(user, annual_return):
        raise PermissionDenied
    action = ACTION_SUBMIT if request.POST.get("action") == ACTION_SUBMIT else ACTION_SAVE
    form = AnnualReturnForm(request.POST, instance=annual_return, user=user)
    conflict = refused = None
    status = 400
    if form.is_valid():
        left_blank = form.left_blank()
        try:
            # One savepoint for the save and the submission: an incomplete (or refused) submission
            # rolls the save back too, so nothing is saved half-way; the page keeps what was typed.
            with transaction.atomic():
                saved = services.annual_return_save_draft(
                    annual_return=annual_return,
                    values=form.answer_values(),
                    expected_version=form.cleaned_data["expected_version"],
                    user=user,
                )
                if action == ACTION_SUBMIT:
                    saved = services.annual_return_submit(
                        annual_return=saved, expected_version=saved.version, user=user
                    )
        except services.ReturnConflict as error:
            conflict, status = error, 409
            # Keep what the person typed; the next save starts from the version they have now seen.
            data = request.POST.copy()
            data["expected_version"] = error.current.version
            form = AnnualReturnForm(data, instance=_load(request, pk), user=user)
            form.is_valid()
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_service_errors(error)
            else:
                # The return cannot be changed now (submitted or closed a moment ago).
                refused, status = " ".join(error.messages), 409
        else:
            label = f"{saved.round.year.era_label}の報告"
            if action == ACTION_SUBMIT:
                messages.success(
                    request,
                    f"{label}を提出しました。事務局の確認をお待ちください。"
                    "事務局が確認を始める前であれば、取下げて修正できます。",
                )
            else:
                text = f"{label}を一時保存しました（版 {saved.version}）。提出するには「提出する」を押してください。"
                if left_blank:
                    text += f"空欄の数値（{'、'.join(left_blank)}）は「不明」として保存しました。"
                messages.success(request, text)
            return redirect("municipalities:officer_return", pk=saved.pk)
    # The page's status shows the return as saved; the form keeps what was typed.
    current = _load(request, pk)
    context = _context(request, current, form=form, conflict=conflict, refused=refused)
    context["submit_attempted"] = action == ACTION_SUBMIT
    return render(request, "municipalities/officer/return_page.html", context, status=status)


@require_POST
def return_withdraw(request, pk):
    """取下げ: the officer takes back a submission the secretariat has not opened yet. A POST
    without `confirm` shows what withdrawing means and asks again; with it, withdraws."""
    annual_return = _load(request, pk)
    if not access.is_own_return(request.user, annual_return):
        raise PermissionDenied  # the secretariat sends back instead
    refusal = annual_return.withdraw_refusal()
    if refusal:
        messages.error(request, f"取下げできませんでした。{refusal}")
        return redirect("municipalities:officer_return", pk=annual_return.pk)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "municipalities/officer/withdraw_confirm.html",
            {"annual_return": annual_return, "year": annual_return.round.year},
        )
    try:
        services.annual_return_withdraw(annual_return=annual_return, user=request.user)
    except ValidationError as error:
        # The secretariat opened it a moment ago, or the round closed.
        messages.error(request, f"取下げできませんでした。{' '.join(error.messages)}")
    else:
        messages.success(
            request, "提出を取下げました。報告は「作成中」に戻りました。修正して、もう一度提出してください。"
        )
    return redirect("municipalities:officer_return", pk=annual_return.pk)


def my_returns(request):
    """The officer's municipality's returns, newest round first (the secretariat has its own lists)."""
    if access.officer_municipality_id(request.user) is None:
        raise PermissionDenied
    returns = access.returns_visible_to(
        request.user,
        AnnualReturn.objects.select_related("round", "municipality").order_by("-round__fiscal_year"),
    )
    rows = [(annual_return, era_date_label(annual_return.round.deadline)) for annual_return in returns]
    municipality = request.user.municipal_officer.municipality
    return render(
        request, "municipalities/officer/my_returns.html", {"rows": rows, "municipality": municipality}
    )


# --- the home page's card ---------------------------------------------------------------------------


@dataclass
class ReturnCard:
    annual_return: AnnualReturn
    deadline_label: str
    latest_comment: ReturnTransition | None
    # reminders: when the municipality was last reminded about the round (None: never)
    reminded_at: datetime.datetime | None = None

    @property
    def year(self) -> FiscalYear:
        return self.annual_return.round.year

    @property
    def awaiting_submission(self) -> bool:
        """Not submitted yet (a draft or sent back): the card says so beside the deadline."""
        return self.annual_return.state in (ReturnState.DRAFT, ReturnState.SENT_BACK)

    @property
    def reminded_label(self) -> str:
        return era_date_label(self.reminded_at)


def home_cards(user) -> list[ReturnCard]:
    """For a municipal officer: their municipality's return of each open round, newest first, with
    its deadline, the secretariat's latest comment and the latest reminder. Three queries, however
    many rounds."""
    if access.officer_municipality_id(user) is None:
        return []
    returns = list(
        access.returns_visible_to(
            user,
            AnnualReturn.objects.filter(round__closed_at__isnull=True)
            .select_related("round")
            .order_by("-round__fiscal_year"),
        )
    )
    if not returns:
        return []
    comments = {}
    commented = access.transitions_visible_to(
        user,
        ReturnTransition.objects.filter(annual_return__in=returns).exclude(comment="").order_by("at", "id"),
    )
    for transition in commented:
        comments[transition.annual_return_id] = transition  # the latest wins
    reminded = latest_reminders(returns)  # reminders: one query more, however many rounds
    return [
        ReturnCard(
            annual_return,
            era_date_label(annual_return.round.deadline),
            comments.get(annual_return.pk),
            reminded.get(annual_return.pk),
        )
        for annual_return in returns
    ]
