"""Every write on the annual returns: rounds, returns through their workflow, training courses.

One function per action, named `<entity>_<action>`, with keyword-only arguments. The pages (next
step), the admin, commands and tests all call these, and nothing else writes. Each function:

- checks who may do it (municipalities.access) and refuses with PermissionDenied;
- checks what the workflow allows now (the round open, the state) and refuses with a
  ValidationError whose message says why, in Japanese;
- validates with the models' `full_clean()` (and, at submission, `completeness_errors()`);
- runs in one transaction, locking the return (SELECT … FOR UPDATE) and then its round, so that
  two people acting on one return at the same moment are taken one after the other: the second
  sees what the first did and is told so;
- writes history (django-simple-history: who, and why in Japanese) and, for a change of state, a
  ReturnTransition;
- returns the object written.

See docs/returns.md for the workflow.
"""

import datetime
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from meetings.models import Organization
from municipalities import access
from municipalities.models import (
    ROUND_CLOSED_MESSAGE,
    AnnualReturn,
    GoodPractice,
    Municipality,
    ReturnCourseAttendance,
    ReturnReminder,
    ReturnRound,
    ReturnState,
    ReturnTransition,
    TrainingCourse,
)
from municipalities.selectors import (
    NO_ADDRESS_MESSAGE,
    ReminderPlan,
    answer_values,
    differences,
    last_accepted_before,
    reminder_plan,
)
from plan.common.fiscal_year import FiscalYear, era_date, era_datetime

# Why a history entry was written, as people read it.
REASON_ROUND_OPEN = "受付開始"
REASON_ROUND_UPDATE = "提出期限・お知らせの変更"
REASON_ROUND_CLOSE = "受付終了"
REASON_ROUND_REOPEN = "受付再開"
REASON_CREATED = "受付開始により作成"
REASON_PREFILL = "前回受理された報告から転記"
REASON_DRAFT = "下書き保存"
REASON_OPENED = "事務局が確認を開始"
REASON_COURSE = "研修の登録・変更"

# The workflow's actions, as the transition log names them.
ACTION_SUBMIT = "提出"
ACTION_WITHDRAW = "取下げ"
ACTION_SEND_BACK = "差戻し"
ACTION_ACCEPT = "受理"
ACTION_REOPEN = "受理の取消し（再開）"

# The key of `values` that carries the course attendance: {course (or its id): persons}.
ATTENDANCE_KEY = "course_attendance"


def _with_history(obj, user, reason: str):
    obj._history_user = user
    obj._change_reason = reason[:100]
    return obj


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "Y年n月j日 H:i") if moment else ""


# --- rounds ---------------------------------------------------------------------------------------


def check_deadline_ahead(deadline) -> None:
    """A deadline being set must not have passed (the round's form checks it too)."""
    if deadline and deadline < timezone.localdate():
        raise ValidationError({"deadline": "提出期限が過去の日付です。今日以降の日付を入力してください。"})


@transaction.atomic
def return_round_open(*, fiscal_year: int, deadline, message: str = "", user) -> ReturnRound:
    """Open the round for a reporting fiscal year within the plan's period: the round, and one
    return per municipality in code order, each a draft pre-filled from the municipality's last
    accepted return (`annual_return_prefill`). A year is opened once."""
    access.check_can_review_returns(user, action="報告の受付を開始")
    year = FiscalYear(int(fiscal_year))
    already = f"{year.label}の報告の受付は既に開始されています。同じ年度を二度開始することはできません。"
    if ReturnRound.objects.filter(fiscal_year=year.year).exists():
        raise ValidationError({"fiscal_year": already})
    round = ReturnRound(
        fiscal_year=year.year, deadline=deadline, message=_clean_text(message), opened_by=user, opened_at=timezone.now()
    )
    round.full_clean()
    check_deadline_ahead(round.deadline)
    try:
        with transaction.atomic():
            _with_history(round, user, f"{REASON_ROUND_OPEN}（{year.era_label}）").save()
    except IntegrityError:  # opened at the same moment by someone else
        raise ValidationError({"fiscal_year": already}) from None
    for municipality in Municipality.objects.order_by("code"):
        annual_return = AnnualReturn(round=round, municipality=municipality)
        _with_history(annual_return, user, REASON_CREATED).save()
        annual_return_prefill(annual_return=annual_return, user=user)
    return round


def _lock_round(round: ReturnRound) -> ReturnRound:
    return ReturnRound.objects.select_for_update().get(pk=round.pk)


@transaction.atomic
def return_round_update(*, round: ReturnRound, deadline, message: str, user) -> ReturnRound:
    """Change a round's deadline or message (the fiscal year stays)."""
    access.check_can_review_returns(user, action="提出期限・お知らせを変更")
    current = _lock_round(round)
    deadline_changed = deadline != current.deadline
    current.deadline = deadline
    current.message = _clean_text(message)
    current.full_clean()
    if deadline_changed:
        check_deadline_ahead(current.deadline)
    _with_history(current, user, REASON_ROUND_UPDATE).save()
    return current


@transaction.atomic
def return_round_close(*, round: ReturnRound, user) -> ReturnRound:
    """Stop taking returns for the round: no more saves, submissions or withdrawals, no sending
    back (the secretariat may still accept what was submitted)."""
    access.check_can_review_returns(user, action="報告の受付を終了")
    current = _lock_round(round)
    if current.is_closed:
        raise ValidationError(f"{current.year.label}の報告の受付は既に終了しています。")
    current.closed_at = timezone.now()
    current.closed_by = user
    _with_history(current, user, REASON_ROUND_CLOSE).save()
    return current


@transaction.atomic
def return_round_reopen(*, round: ReturnRound, user) -> ReturnRound:
    """Take returns for a closed round again (a late return, a correction)."""
    access.check_can_review_returns(user, action="報告の受付を再開")
    current = _lock_round(round)
    if current.is_open:
        raise ValidationError(f"{current.year.label}の報告は受付中です。")
    current.closed_at = None
    current.closed_by = None
    _with_history(current, user, REASON_ROUND_REOPEN).save()
    return current


# --- the values of a return -------------------------------------------------------------------------

_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_COUNT_FIELDS = {
    name
    for name in AnnualReturn.ANSWER_FIELDS
    if AnnualReturn._meta.get_field(name).get_internal_type() == "PositiveIntegerField"
}
_BOOLEAN_FIELDS = {
    name for name in AnnualReturn.ANSWER_FIELDS if AnnualReturn._meta.get_field(name).get_internal_type() == "BooleanField"
}
_DATE_FIELDS = {
    name for name in AnnualReturn.ANSWER_FIELDS if AnnualReturn._meta.get_field(name).get_internal_type() == "DateField"
}


def _clean_text(value) -> str:
    """Text as stored: NFKC (full-width letters and digits as typed in Excel), line ends as \\n,
    no spaces around the whole text."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def to_whole_number(value):
    """A typed whole number as stored: full-width digits (１２) normalised (NFKC), empty as None
    (「不明」, which is not 0). Anything else is returned as it is, for the field's own check to
    refuse with its message."""
    if value is None or isinstance(value, int):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text):
        return text
    try:
        return int(text)
    except ValueError:
        # More digits than Python converts (4,300): far past any count, refused by the field's check
        # like any other text, where it used to be a server error.
        return text


def _clean_value(name: str, value):
    if name in _COUNT_FIELDS:
        return to_whole_number(value)
    if name in _BOOLEAN_FIELDS:
        return bool(value)
    if name in _DATE_FIELDS:
        return None if value == "" else value
    return _clean_text(value)


@dataclass
class ReturnValues:
    """The answers of one save, split by where they are stored."""

    fields: dict = field(default_factory=dict)
    organizations: dict = field(default_factory=dict)  # m2m field name: [ids]
    attendance: dict | None = None  # {course id: persons}; None: leave as it is


def _course_id(course) -> int | None:
    if isinstance(course, TrainingCourse):
        return course.pk
    value = to_whole_number(course)
    return value if isinstance(value, int) else None


def _split_values(values: dict) -> ReturnValues:
    split = ReturnValues()
    for name, value in values.items():
        if name in AnnualReturn.ANSWER_FIELDS:
            split.fields[name] = _clean_value(name, value)
        elif name in AnnualReturn.ANSWER_M2M_FIELDS:
            split.organizations[name] = sorted({getattr(item, "pk", item) for item in value or ()})
        elif name == ATTENDANCE_KEY:
            split.attendance = {
                _course_id(course): to_whole_number(persons) for course, persons in (value or {}).items()
            }
        else:
            # A caller's mistake, not a person's: the workflow fields are the services' own.
            raise ValueError(f"{name!r} is not an answer of an annual return")
    return split


def _check_organizations(split: ReturnValues) -> dict:
    errors = {}
    for name, ids in split.organizations.items():
        if Organization.objects.filter(pk__in=ids).count() != len(ids):
            errors[name] = "一覧にない団体が選ばれています。選び直してください。"
    return errors


def _attendance_rows(annual_return: AnnualReturn, attendance: dict) -> tuple[list, dict]:
    """The attendance rows to keep ({course id: persons}, persons None meaning "remove"), checked:
    (rows as unsaved ReturnCourseAttendance, errors)."""
    errors = []
    courses = TrainingCourse.objects.in_bulk([pk for pk in attendance if pk is not None])
    rows = []
    for pk, persons in attendance.items():
        course = courses.get(pk)
        if course is None:
            errors.append("一覧にない研修が選ばれています。")
            continue
        if persons is None:
            continue
        row = ReturnCourseAttendance(annual_return=annual_return, course=course, persons=persons)
        try:
            row.full_clean(exclude=["annual_return"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            messages = [message for messages in error.message_dict.values() for message in messages]
            errors.append(f"{course.name}：{'／'.join(messages)}")
            continue
        rows.append(row)
    return rows, ({ATTENDANCE_KEY: errors} if errors else {})


def _write_attendance(annual_return: AnnualReturn, rows: list, *, user, reason: str) -> None:
    existing = {row.course_id: row for row in annual_return.course_attendances.all()}
    wanted = {row.course_id: row for row in rows}
    for course_id, row in existing.items():
        if course_id not in wanted:
            _with_history(row, user, reason).delete()
    for course_id, row in wanted.items():
        stored = existing.get(course_id)
        if stored is None:
            _with_history(row, user, reason).save()
        elif stored.persons != row.persons:
            stored.persons = row.persons
            _with_history(stored, user, reason).save()


def _set_organizations(annual_return: AnnualReturn, organizations: dict) -> None:
    """Set the many-to-many answers without history entries of their own: the return's save that
    follows writes the one entry, which holds them."""
    annual_return.skip_history_when_saving = True
    try:
        for name, ids in organizations.items():
            getattr(annual_return, name).set(ids)
    finally:
        del annual_return.skip_history_when_saving


# --- a return: locking, conflicts ------------------------------------------------------------------


class ReturnConflict(Exception):
    """Someone saved the return after the version the caller started from; nothing was saved.

    `current` is the return as it is now; `changes` what was changed since `expected_version`."""

    def __init__(self, *, current: AnnualReturn, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        self.changes = _changes_since(current, expected_version)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        who = self.current.updated_by or "他の利用者"
        when = _when(self.current.updated_at)
        listed = "、".join(change.label for change in self.changes)
        return (
            f"この報告は、あなたが編集を始めた後に{who}さんが{when}に保存したため、保存しませんでした"
            f"（版 {self.expected_version} → {self.current.version}）。"
            + (f"変更された項目：{listed}。" if listed else "")
            + "あなたの入力は消えていません。最新の内容を確認して、もう一度保存してください。"
        )


def _changes_since(current: AnnualReturn, version: int) -> list:
    then = current.history.filter(version=version).order_by("-history_date", "-history_id").first()
    if then is None:
        return []
    before = {name: getattr(then, name) for name in AnnualReturn.ANSWER_FIELDS}
    for name in AnnualReturn.ANSWER_M2M_FIELDS:
        # simple_history's snapshot of the organisations saved with that version.
        before[name] = set(getattr(then, name).values_list("organization_id", flat=True))
    return differences(before, answer_values(current))


def _lock(annual_return: AnnualReturn) -> AnnualReturn:
    """The return as it is now, locked until the transaction ends, and its round locked after it
    (always in this order, so that two writers never wait for each other in a circle)."""
    current = AnnualReturn.objects.select_for_update().get(pk=annual_return.pk)
    current.round = _lock_round(current.round)
    return current


def _check_may_change(user, annual_return: AnnualReturn) -> None:
    if not access.may_change_return(user, annual_return):
        raise PermissionDenied("この報告を変更する権限がありません。")


def _refuse(message: str | None, code: str) -> None:
    if message:
        raise ValidationError(message, code=code)


def _check_version(current: AnnualReturn, expected_version: int) -> None:
    if current.version != expected_version:
        raise ReturnConflict(current=current, expected_version=expected_version)


def _transition(current: AnnualReturn, to_state: str, *, user, action: str, comment: str = "") -> ReturnTransition:
    """Move the return to `to_state` (saved by the caller) and log the step."""
    transition = ReturnTransition.objects.create(
        annual_return=current,
        from_state=current.state,
        to_state=to_state,
        by=user,
        action=action,
        comment=comment,
        at=timezone.now(),
    )
    current.state = to_state
    current.version += 1
    _with_history(current, user, f"{action}：{comment}" if comment else action)
    current._history_date = transition.at
    return transition


# --- a return: the answers ---------------------------------------------------------------------------


@transaction.atomic
def annual_return_save_draft(
    *, annual_return: AnnualReturn, values: dict, expected_version: int, user, reason: str = REASON_DRAFT
) -> AnnualReturn:
    """Save answers of a draft (or a sent-back return) as they are, complete or not.

    `values` holds any of `AnnualReturn.ANSWER_FIELDS` and `ANSWER_M2M_FIELDS` (organisations or
    their ids), and `course_attendance`: {course or id: persons} replacing the attendance (persons
    empty: no row). Returns the return as saved, whose `version` is the new version.

    Refuses, saving nothing: PermissionDenied for someone who does not change this return;
    ValidationError when the return cannot be edited now (why: submitted, accepted, round closed)
    or the values break the field rules (by field); ReturnConflict when someone saved the return
    after `expected_version`.
    """
    current = _lock(annual_return)
    _check_may_change(user, current)
    _refuse(current.edit_refusal(), "not_editable")
    _check_version(current, expected_version)
    split = _split_values(values)
    for name, value in split.fields.items():
        setattr(current, name, value)
    errors = _check_organizations(split)
    rows = None
    if split.attendance is not None:
        rows, attendance_errors = _attendance_rows(current, split.attendance)
        errors |= attendance_errors
    try:
        current.full_clean()
    except ValidationError as error:
        errors = error.message_dict | errors
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    current.version += 1
    current.updated_at = now
    current.updated_by = user
    if not access.is_own_return(user, current):
        current.entered_by_secretariat = True
    if rows is not None:
        _write_attendance(current, rows, user=user, reason=reason)
    _set_organizations(current, split.organizations)
    _with_history(current, user, reason)._history_date = now
    current.save()
    return current


def _drop_invalid_answers(annual_return: AnnualReturn) -> list[str]:
    """Empty the answers that break this year's field rules (a year expected "next year" a year
    ago is this year now): the officer answers them again. Returns their names."""
    try:
        annual_return.full_clean()
    except ValidationError as error:
        dropped = [name for name in error.message_dict if name in AnnualReturn.ANSWER_FIELDS]
        for name in dropped:
            setattr(annual_return, name, AnnualReturn._meta.get_field(name).get_default())
        return dropped
    return []


@transaction.atomic
def annual_return_prefill(*, annual_return: AnnualReturn, user=None) -> AnnualReturn:
    """Copy the municipality's last accepted return's answers into this new draft, so that an
    unchanged year is quick: every answer but the year's own (`AnnualReturn.YEARLY_FIELDS` and the
    course attendance), never the workflow. An answer this year's rules refuse is left empty.

    Only for a draft nobody has saved or submitted yet; without an earlier accepted return it
    changes nothing. `user` None: the system (the round's opening passes its opener)."""
    current = _lock(annual_return)
    if current.state != ReturnState.DRAFT or current.updated_at is not None or current.transitions.exists():
        raise ValidationError("前回の報告から転記できるのは、まだ誰も保存していない作成中の報告だけです。")
    source = last_accepted_before(current)
    if source is None:
        return current
    for name in AnnualReturn.ANSWER_FIELDS:
        if name not in AnnualReturn.YEARLY_FIELDS:
            setattr(current, name, getattr(source, name))
    _drop_invalid_answers(current)
    current.prefilled_from = source
    current.version += 1
    _set_organizations(
        current,
        {name: list(getattr(source, name).values_list("pk", flat=True)) for name in AnnualReturn.ANSWER_M2M_FIELDS},
    )
    _with_history(current, user, f"{REASON_PREFILL}（{source.round.year.era_label}）").save()
    return current


# --- a return: the workflow ----------------------------------------------------------------------------


@transaction.atomic
def annual_return_submit(*, annual_return: AnnualReturn, expected_version: int, user) -> AnnualReturn:
    """Submit a draft or a sent-back return as it is saved: locked for the municipality from now.

    Refuses, changing nothing: when the round is closed, when it is already submitted or accepted
    (by someone else a moment ago, say who and when), when it changed since `expected_version`
    (ReturnConflict), and when it is incomplete (ValidationError by field)."""
    current = _lock(annual_return)
    _check_may_change(user, current)
    if current.state == ReturnState.SUBMITTED and current.submitted_at:
        raise ValidationError(
            f"この報告は既に{current.submitted_by or '他の利用者'}さんが{_when(current.submitted_at)}に提出しています。"
            "提出された内容は報告の画面で確認できます。",
            code="already_submitted",
        )
    _refuse(current.submit_refusal(), "not_submittable")
    _check_version(current, expected_version)
    current.full_clean()
    errors = current.completeness_errors()
    if errors:
        raise ValidationError(errors)
    transition = _transition(current, ReturnState.SUBMITTED, user=user, action=ACTION_SUBMIT)
    current.submitted_at = transition.at
    current.submitted_by = user
    current.opened_by_secretariat_at = None
    current.opened_by_secretariat_by = None
    current.save()
    return current


@transaction.atomic
def annual_return_withdraw(*, annual_return: AnnualReturn, user) -> AnnualReturn:
    """The municipality takes back its submission to correct it (取下げ): back to a draft. Only its
    officers, and only before the secretariat has opened the submission."""
    current = _lock(annual_return)
    if not access.is_own_return(user, current):
        raise PermissionDenied("取下げできるのは、その区市町村の担当者だけです。")
    _refuse(current.withdraw_refusal(), "not_withdrawable")
    _transition(current, ReturnState.DRAFT, user=user, action=ACTION_WITHDRAW)
    current.submitted_at = None
    current.submitted_by = None
    current.save()
    return current


@transaction.atomic
def annual_return_mark_opened(*, annual_return: AnnualReturn, user) -> AnnualReturn:
    """Record that the secretariat has opened a submitted return (from then on it cannot be
    withdrawn). Opening it again changes nothing."""
    access.check_can_review_returns(user, action="報告の確認を開始")
    current = _lock(annual_return)
    if current.state != ReturnState.SUBMITTED:
        raise ValidationError("確認を開始できるのは提出済みの報告だけです。")
    if current.opened_by_secretariat_at is None:
        current.opened_by_secretariat_at = timezone.now()
        current.opened_by_secretariat_by = user
        _with_history(current, user, REASON_OPENED).save()
    return current


@transaction.atomic
def annual_return_send_back(*, annual_return: AnnualReturn, comment: str, user) -> AnnualReturn:
    """Send a submitted return back to the municipality with a comment: editable again."""
    access.check_can_review_returns(user, action="差戻し")
    comment = _clean_text(comment)
    if not comment:
        raise ValidationError({"comment": "差戻しの理由（区市町村へのコメント）を入力してください。"})
    current = _lock(annual_return)
    if current.round.is_closed:
        raise ValidationError(f"{ROUND_CLOSED_MESSAGE}差し戻すには、先に受付を再開してください。")
    if current.state != ReturnState.SUBMITTED:
        raise ValidationError(f"差戻しできるのは提出済みの報告だけです（この報告は「{current.get_state_display()}」です）。")
    _transition(current, ReturnState.SENT_BACK, user=user, action=ACTION_SEND_BACK, comment=comment)
    if current.opened_by_secretariat_at is None:
        current.opened_by_secretariat_at = timezone.now()
        current.opened_by_secretariat_by = user
    current.save()
    return current


@transaction.atomic
def annual_return_accept(*, annual_return: AnnualReturn, user) -> AnnualReturn:
    """Accept a submitted return: locked; it becomes the municipality's latest accepted information.
    Allowed after the round has closed (the review of what came in goes on)."""
    access.check_can_review_returns(user, action="受理")
    current = _lock(annual_return)
    if current.state != ReturnState.SUBMITTED:
        raise ValidationError(f"受理できるのは提出済みの報告だけです（この報告は「{current.get_state_display()}」です）。")
    transition = _transition(current, ReturnState.ACCEPTED, user=user, action=ACTION_ACCEPT)
    current.accepted_at = transition.at
    current.accepted_by = user
    if current.opened_by_secretariat_at is None:
        current.opened_by_secretariat_at = transition.at
        current.opened_by_secretariat_by = user
    current.save()
    return current


@dataclass
class AcceptReport:
    """What `annual_returns_accept` did: the returns accepted, and those refused with the reason."""

    accepted: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # [(annual return, message)]

    @property
    def summary(self) -> str:
        text = f"{len(self.accepted)}件を受理しました。"
        if self.refused:
            text += "受理できなかった報告：" + "／".join(
                f"{annual_return.municipality.name}（{message}）" for annual_return, message in self.refused
            )
        return text


@transaction.atomic
def annual_returns_accept(*, returns, user) -> AcceptReport:
    """Accept several submitted returns at once, each on its own: a return that cannot be accepted
    (withdrawn a moment ago, already accepted) is reported with the reason and the others are
    accepted all the same — not all-or-nothing, since one municipality's withdrawal should not hold
    up the other sixty."""
    access.check_can_review_returns(user, action="受理")
    report = AcceptReport()
    ordered = sorted(returns, key=lambda annual_return: (annual_return.municipality.code, annual_return.pk))
    for annual_return in ordered:
        try:
            with transaction.atomic():
                report.accepted.append(annual_return_accept(annual_return=annual_return, user=user))
        except ValidationError as error:
            report.refused.append((annual_return, "".join(error.messages)))
    return report


@transaction.atomic
def annual_return_reopen(*, annual_return: AnnualReturn, reason: str, user) -> AnnualReturn:
    """Reopen an accepted return, with a reason: it goes back to the municipality as sent back
    (差戻し), so that its officers see the reason as they see a send-back's comment and can
    correct and submit it again. It stops counting as accepted until it is accepted again."""
    access.check_can_review_returns(user, action="受理済みの報告の再開")
    reason = _clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "再開する理由を入力してください。"})
    current = _lock(annual_return)
    if current.round.is_closed:
        raise ValidationError(f"{ROUND_CLOSED_MESSAGE}再開するには、先に受付を再開してください。")
    if current.state != ReturnState.ACCEPTED:
        raise ValidationError(f"再開できるのは受理済みの報告だけです（この報告は「{current.get_state_display()}」です）。")
    _transition(current, ReturnState.SENT_BACK, user=user, action=ACTION_REOPEN, comment=reason)
    current.accepted_at = None
    current.accepted_by = None
    current.save()
    return current


# --- training courses ------------------------------------------------------------------------------


def _save_course(course: TrainingCourse, *, user) -> TrainingCourse:
    if not access.can_manage_training_courses(user):
        raise PermissionDenied("研修を登録・変更できるのは計画管理者（事務局）だけです。")
    course.full_clean()
    _with_history(course, user, REASON_COURSE).save()
    return course


@transaction.atomic
def training_course_create(*, course: TrainingCourse, user) -> TrainingCourse:
    return _save_course(course, user=user)


@transaction.atomic
def training_course_update(*, course: TrainingCourse, user) -> TrainingCourse:
    return _save_course(course, user=user)


@transaction.atomic
def training_course_delete(*, course: TrainingCourse, user) -> None:
    """Delete a course entered by mistake; one that a return reports attendance at is kept."""
    if not access.can_manage_training_courses(user):
        raise PermissionDenied("研修を削除できるのは計画管理者（事務局）だけです。")
    if course.attendances.exists():
        raise ValidationError("この研修には区市町村の受講者数の報告があるため削除できません。")
    _with_history(course, user, "研修の削除").delete()


# --- reminders ---------------------------------------------------------------------------------------

logger = logging.getLogger(__name__)

REMINDER_ROUND_CLOSED = f"{ROUND_CLOSED_MESSAGE}督促するには、先に受付を再開してください。"
REMINDER_MAIL_FAILED = "メールを送信できませんでした（メールサーバーの状態を確認して、もう一度督促してください）"


@dataclass
class ReminderReport:
    """What `return_reminders_send` did, municipality by municipality: reminded (mail sent and
    recorded), left out (already reminded that day; no officer with an address) or failed (the
    mail could not be sent: nothing recorded, so that the next run tries again)."""

    plan: ReminderPlan
    reminded: list = field(default_factory=list)  # [ReminderTarget]
    failed: list = field(default_factory=list)  # [(ReminderTarget, message)]

    @property
    def round(self) -> ReturnRound:
        return self.plan.round

    @property
    def already_today(self) -> list:
        return self.plan.already_today

    @property
    def no_address(self) -> list:
        return self.plan.no_address

    @property
    def summary(self) -> str:
        """The outcome in a few Japanese sentences, for the page's message and the command."""
        label = self.round.year.label

        def names(targets):
            return "、".join(target.municipality.name for target in targets)

        if not self.plan.not_submitted:
            return f"{label}：未提出の区市町村はありません（督促していません）。"
        parts = [f"{label}：{len(self.reminded)}団体に督促しました" + (f"（{names(self.reminded)}）。" if self.reminded else "。")]
        if self.already_today:
            parts.append(f"本日督促済みのため送らなかった団体：{names(self.already_today)}。")
        if self.no_address:
            parts.append(f"{NO_ADDRESS_MESSAGE}：{names(self.no_address)}。")
        if self.failed:
            parts.append(
                "メールを送信できなかった団体（督促の記録はしていません）："
                + "、".join(target.municipality.name for target, _ in self.failed)
                + "。"
            )
        return "".join(parts)


def _reminder_moment(today: datetime.date | None) -> datetime.datetime:
    """When a reminder is recorded: now; or, for a caller that names the day (tests, the command's
    hidden --today), that day at the current time of day, so that "once a day" is judged on the
    day the caller means."""
    now = timezone.now()
    if today is None:
        return now
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.datetime.combine(today, local.time()))


def return_reminder_link(annual_return: AnnualReturn) -> str:
    """The officer's return page as an absolute address (a mail has no request to build it from)."""
    return settings.SITE_URL.rstrip("/") + reverse("municipalities:officer_return", args=[annual_return.pk])


def _reminder_message(target) -> EmailMessage:
    """One plain-text mail to all of the municipality's officers, without attachments (municipal
    networks strip them): the year, the deadline in the era, the state, the link."""
    annual_return = target.annual_return
    round = annual_return.round
    context = {
        "municipality": target.municipality,
        "year_label": round.year.label,
        "deadline_label": era_date(round.deadline, western=True),
        "state_label": annual_return.get_state_display(),
        "sent_back": annual_return.state == ReturnState.SENT_BACK,
        "message": round.message,
        "link": return_reminder_link(annual_return),
    }
    subject = " ".join(render_to_string("emails/return_reminder_subject.txt", context).split())
    body = render_to_string("emails/return_reminder.txt", context)
    return EmailMessage(subject=subject, body=body, to=target.addresses)


@transaction.atomic
def return_reminders_send(*, round: ReturnRound, user=None, channel: str, today: datetime.date | None = None):
    """Remind every municipality of the round whose return is not submitted (作成中 or 差戻し) by
    mail to its active officers, and record each reminder (ReturnReminder), while the round is open.

    Never twice the same day (Tokyo's date, `today` unless given): a municipality reminded already
    that day, by the button or the command, is left out and reported. A municipality none of whose
    officers has an address is reported and not recorded (nobody was reminded). Each mail is sent
    before its reminder is recorded; a mail that fails is reported and not recorded, and the others
    go on (one municipality's address must not hold up the other sixty).

    `channel` is ReturnReminder.Channel: BUTTON for a plan administrator on the round page (`user`),
    COMMAND for the scheduled `send_return_reminders` (`user` None). Refuses with PermissionDenied
    for anyone but the secretariat, with ValidationError (in Japanese) when the round is closed.

    The round is locked (SELECT … FOR UPDATE) for the whole run, so that the button and the command
    at the same moment are taken one after the other and the second sees the first's reminders."""
    if channel not in ReturnReminder.Channel.values:
        raise ValueError(f"unknown reminder channel {channel!r}")
    if channel == ReturnReminder.Channel.BUTTON or user is not None:
        access.check_can_review_returns(user, action="督促")
    current = _lock_round(round)
    if current.is_closed:
        raise ValidationError(REMINDER_ROUND_CLOSED, code="round_closed")
    report = ReminderReport(plan=reminder_plan(current, today=today))
    for target in report.plan.to_remind:
        target.annual_return.round = current
        try:
            _reminder_message(target).send()
        except Exception:
            # Whatever the mail system raised (SMTP refusals, a connection refused, a bad address):
            # the municipality is reported and not recorded, and the next run tries it again.
            logger.exception("Reminder mail to %s failed", target.municipality.name)
            report.failed.append((target, REMINDER_MAIL_FAILED))
            continue
        ReturnReminder.objects.create(
            round=current,
            municipality=target.municipality,
            sent_at=_reminder_moment(today),
            sent_by=user if channel == ReturnReminder.Channel.BUTTON else None,
            channel=channel,
        )
        report.reminded.append(target)
    return report


# --- good practices ----------------------------------------------------------------------------------
# The secretariat's write-ups of what an accepted return shows worth sharing (measure 104). The text
# is the secretariat's own: nothing here copies the municipality's free text. Publishing makes a
# practice visible to every role (municipalities.access.practices_visible_to).

REASON_PRACTICE_CREATE = "好事例の登録（下書き）"
REASON_PRACTICE_UPDATE = "好事例の文章の変更"
REASON_PRACTICE_PUBLISH = "好事例の公開"
REASON_PRACTICE_UNPUBLISH = "好事例の公開の取消し（非公開に戻す）"


def _lock_practice(practice: GoodPractice) -> GoodPractice:
    """The practice as it is now, locked, and then its return (a reopening waits for a publishing
    that has begun, and the other way round)."""
    current = GoodPractice.objects.select_for_update().get(pk=practice.pk)
    current.annual_return = _lock(current.annual_return)
    return current


def _write_practice(practice: GoodPractice, *, user, reason: str) -> GoodPractice:
    practice.updated_at = timezone.now()
    practice.updated_by = user
    practice.full_clean()
    _with_history(practice, user, reason)._history_date = practice.updated_at
    practice.save()
    return practice


@transaction.atomic
def good_practice_create(*, annual_return: AnnualReturn, title: str, body: str, user) -> GoodPractice:
    """Write a good practice from an accepted return, as a draft (`good_practice_publish` makes it
    visible). Refuses, saving nothing, for a return that is not accepted and for a missing or too
    long title or text (ValidationError by field)."""
    access.check_can_manage_good_practices(user, action="好事例を登録")
    current = _lock(annual_return)
    practice = GoodPractice(
        annual_return=current, title=_clean_text(title), body=_clean_text(body), created_by=user, created_at=timezone.now()
    )
    return _write_practice(practice, user=user, reason=REASON_PRACTICE_CREATE)


def good_practice_conflict_message(current: GoodPractice) -> str:
    """What someone is told when the practice was saved by another since they opened it."""
    return (
        f"この好事例は、ページを開いた後に{current.updated_by or 'システム'}さんが"
        f"{era_datetime(current.updated_at)}に変更しています。保存していません。"
        "入力した内容は残っています。ページを開き直して相手の変更を確かめてから、もう一度保存してください。"
    )


@transaction.atomic
def good_practice_update(
    *, practice: GoodPractice, title: str, body: str, user, loaded_at: str | None = None
) -> GoodPractice:
    """Change a practice's title and text. A published practice stays published: the new wording
    is what everyone reads from now on. Allowed after its return was reopened (the wording is the
    secretariat's).

    `loaded_at`: the practice's `updated_at` (ISO format) when the editing page was loaded. If
    someone saved it since, nothing is saved and the person is told who and when: their text is
    still in their form, and the other's is not silently overwritten."""
    access.check_can_manage_good_practices(user, action="好事例を変更")
    current = _lock_practice(practice)
    if loaded_at is not None and loaded_at != current.updated_at.isoformat():
        raise ValidationError(good_practice_conflict_message(current), code="conflict")
    current.title = _clean_text(title)
    current.body = _clean_text(body)
    return _write_practice(current, user=user, reason=REASON_PRACTICE_UPDATE)


@transaction.atomic
def good_practice_publish(*, practice: GoodPractice, user) -> GoodPractice:
    """Publish a draft: every municipality's officers (and every role) read it from now on. Only
    while its return is accepted."""
    access.check_can_manage_good_practices(user, action="好事例を公開")
    current = _lock_practice(practice)
    _refuse(current.publish_refusal(), "not_publishable")
    current.published_at = timezone.now()
    current.published_by = user
    return _write_practice(current, user=user, reason=REASON_PRACTICE_PUBLISH)


@transaction.atomic
def good_practice_unpublish(*, practice: GoodPractice, user) -> GoodPractice:
    """Take a published practice back to a draft: only the secretariat sees it again."""
    access.check_can_manage_good_practices(user, action="好事例の公開を取り消")
    current = _lock_practice(practice)
    if not current.is_published:
        raise ValidationError("この好事例は公開されていません（下書きです）。", code="not_published")
    current.published_at = None
    current.published_by = None
    return _write_practice(current, user=user, reason=REASON_PRACTICE_UNPUBLISH)


# --- Excel returns ------------------------------------------------------------------------------------
#
# A municipality's return sent in as the template workbook and entered by the secretariat on its
# behalf (municipalities.return_workbook reads the file; docs/returns.md 「Excelで届いた報告」).

REASON_EXCEL = "Excelから事務局が代理入力"


def annual_return_check_values(*, annual_return: AnnualReturn, values: dict) -> tuple[ReturnValues, dict]:
    """The values as `annual_return_save_draft` would store them (NFKC text, numbers, ids), and
    what its rules would refuse in them as {field: [messages]}, without writing or locking
    anything: the Excel preview shows every refusal at its cell before anything is saved. The save
    checks them again."""
    current = AnnualReturn.objects.select_related("round", "municipality").get(pk=annual_return.pk)
    split = _split_values(values)
    for name, value in split.fields.items():
        setattr(current, name, value)
    errors = {name: [message] for name, message in _check_organizations(split).items()}
    if split.attendance is not None:
        errors |= _attendance_rows(current, split.attendance)[1]
    try:
        current.full_clean()
    except ValidationError as error:
        errors = error.message_dict | errors
    return split, errors


@transaction.atomic
def annual_return_import_workbook(
    *, annual_return: AnnualReturn, values: dict, expected_version: int, user, submit: bool = False
) -> AnnualReturn:
    """Save the answers read from a municipality's workbook as the secretariat's entry on its
    behalf (marked 事務局が代理入力), from the version the preview was made against, and submit it
    too when asked — all or nothing.

    Refuses, saving nothing, as `annual_return_save_draft` and `annual_return_submit` do: the return
    locked (submitted, accepted, round closed), a ReturnConflict when it was saved after
    `expected_version`, field errors, and (with `submit`) what a submission lacks. Only the
    secretariat imports workbooks (officers fill in the form)."""
    access.check_can_review_returns(user, action="Excelからの取込み")
    saved = annual_return_save_draft(
        annual_return=annual_return, values=values, expected_version=expected_version, user=user, reason=REASON_EXCEL
    )
    if submit:
        saved = annual_return_submit(annual_return=saved, expected_version=saved.version, user=user)
    return saved
