"""Every write on the meetings app's records: meetings with their agenda, follow-ups, attendance and
minutes; the organisation registry; bodies, tiers and committee members; case reviews.

One function per action, named `<entity>_<action>`, with keyword-only arguments. The app's pages,
the admin, commands and tests all call these, and nothing else writes. Each function:

- validates with the models' `full_clean()` (their `clean()` and constraints; a page's form has
  already run them, every other caller gets them here);
- records who made the change, and why where there is a reason to give, in the history
  (django-simple-history: the meetings and the registry keep one);
- runs in one transaction, and deletes a file it replaced only once that transaction commits;
- returns the object written.

Who may call which is meetings.access's business, asked by the callers.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from meetings.models import (
    Body,
    CaseReview,
    CaseReviewParticipant,
    CommitteeMember,
    FollowUp,
    Meeting,
    Organization,
    OrganizationMerge,
    OrganizationRole,
    Tier,
)


@dataclass
class ItemChange:
    """One row of a meeting's agenda or follow-ups as edited: the (unsaved) row and its measures
    (None: leave them as they are)."""

    instance: models.Model
    measures: list | None = None


def _with_history_user(obj, user, reason=""):
    obj._history_user = user
    if reason:
        obj._change_reason = reason[:100]
    return obj


def _delete_file_after_commit(storage, name: str) -> None:
    # Only once the change is committed: a rolled-back change must still find its file.
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- meetings ---------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    meeting: Meeting,
    organizations=(),
    agenda_items: list[ItemChange] = (),
    follow_ups: list[ItemChange] = (),
    minutes_upload=None,
    user,
) -> Meeting:
    """Record a meeting with its agenda, follow-ups, attending organisations and minutes file."""
    meeting.created_by = user
    _set_minutes_file(meeting, upload=minutes_upload)
    meeting.full_clean()
    _with_history_user(meeting, user).save()
    meeting.attending_organizations.set(organizations)
    _save_rows(meeting, agenda_items=agenda_items, follow_ups=follow_ups)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    organizations=None,
    agenda_items: list[ItemChange] = (),
    follow_ups: list[ItemChange] = (),
    removed: list[models.Model] = (),
    minutes_upload=None,
    remove_minutes_file: bool = False,
    user,
    reason: str = "",
) -> Meeting:
    """Change a meeting: its fields as set on `meeting`, the agenda items and follow-ups given (new
    or changed; `removed` are deleted), the attending organisations (None: as they are) and the
    minutes file (a new upload replaces it; the replaced or removed file is deleted)."""
    stored_file = _stored_minutes_file(meeting)
    _set_minutes_file(meeting, upload=minutes_upload, remove=remove_minutes_file)
    meeting.full_clean()
    _with_history_user(meeting, user, reason).save()
    if organizations is not None:
        meeting.attending_organizations.set(organizations)
    for row in removed:
        row.delete()
    _save_rows(meeting, agenda_items=agenda_items, follow_ups=follow_ups)
    if stored_file != meeting.minutes_file.name:
        _delete_file_after_commit(meeting.minutes_file.storage, stored_file)
    return meeting


@transaction.atomic
def meeting_record_minutes(
    *,
    meeting: Meeting,
    minutes: str | None = None,
    decisions: str | None = None,
    minutes_upload=None,
    remove_minutes_file: bool = False,
    user,
) -> Meeting:
    """Record what a meeting said and decided, and its minutes file (None: as they are). A file
    replaced or removed is deleted. For commands and imports; the pages and the admin record the
    minutes with the rest of the meeting (`meeting_update`)."""
    if minutes is not None:
        meeting.minutes = minutes
    if decisions is not None:
        meeting.decisions = decisions
    return meeting_update(
        meeting=meeting,
        minutes_upload=minutes_upload,
        remove_minutes_file=remove_minutes_file,
        user=user,
        reason="議事録を記録",
    )


@transaction.atomic
def meeting_delete(*, meeting: Meeting, user) -> None:
    """Delete a meeting with its agenda and follow-ups, and its minutes file."""
    stored_file = _stored_minutes_file(meeting)
    storage = meeting.minutes_file.storage
    _with_history_user(meeting, user).delete()
    _delete_file_after_commit(storage, stored_file)


def _stored_minutes_file(meeting: Meeting) -> str:
    """The file the database holds for `meeting`: the admin's form has already put a new upload
    (or a cleared field) on the object by the time it is saved."""
    if meeting.pk is None:
        return ""
    return Meeting.objects.filter(pk=meeting.pk).values_list("minutes_file", flat=True).first() or ""


def _set_minutes_file(meeting: Meeting, *, upload=None, remove: bool = False) -> None:
    if upload is not None:
        meeting.minutes_file = upload
        meeting.minutes_file_name = _plain_file_name(upload.name)
    elif remove:
        meeting.minutes_file = ""
        meeting.minutes_file_name = ""


def _plain_file_name(name: str) -> str:
    """The original file name without any folder part a browser may send."""
    return name.replace("\\", "/").rsplit("/", 1)[-1][:200]


def _save_rows(meeting: Meeting, *, agenda_items, follow_ups) -> None:
    for change in agenda_items:
        item = change.instance
        item.meeting = meeting
        item.full_clean(exclude=["meeting"])
        item.save()
        if change.measures is not None:
            item.measures.set(change.measures)
    for change in follow_ups:
        follow_up = change.instance
        follow_up.meeting = meeting
        _save_follow_up(follow_up, measures=change.measures)


# --- follow-ups ---------------------------------------------------------------------------------------
# A follow-up keeps no history of its own: the meeting's history records who changed it.


def _save_follow_up(follow_up: FollowUp, *, measures=None) -> None:
    # `done_at` follows `done`, whichever way the follow-up was marked.
    if follow_up.done and follow_up.done_at is None:
        follow_up.done_at = timezone.now()
    elif not follow_up.done:
        follow_up.done_at = None
    follow_up.full_clean(exclude=["meeting"])
    follow_up.save()
    if measures is not None:
        follow_up.measures.set(measures)


def _record_on_meeting(meeting: Meeting, user, reason: str) -> None:
    _with_history_user(meeting, user, reason).save(update_fields=["updated_at"])


def _stored_done(follow_up: FollowUp) -> bool | None:
    if follow_up.pk is None:
        return None
    return FollowUp.objects.filter(pk=follow_up.pk).values_list("done", flat=True).first()


@transaction.atomic
def follow_up_create(*, follow_up: FollowUp, measures=None, user) -> FollowUp:
    _save_follow_up(follow_up, measures=measures)
    _record_on_meeting(follow_up.meeting, user, f"対応事項を追加：{follow_up.description}")
    return follow_up


@transaction.atomic
def follow_up_update(*, follow_up: FollowUp, measures=None, user) -> FollowUp:
    """Change a follow-up as set on `follow_up`; marking it done (or not) on the way is recorded as
    `follow_up_mark_done` (`follow_up_reopen`) records it."""
    was_done = _stored_done(follow_up)
    _save_follow_up(follow_up, measures=measures)
    if follow_up.done and not was_done:
        reason = f"対応事項を完了：{follow_up.description}"
    elif was_done and not follow_up.done:
        reason = f"対応事項を未完了に戻す：{follow_up.description}"
    else:
        reason = f"対応事項を変更：{follow_up.description}"
    _record_on_meeting(follow_up.meeting, user, reason)
    return follow_up


@transaction.atomic
def follow_up_mark_done(*, follow_up: FollowUp, user) -> FollowUp:
    """Mark a follow-up done now; the meeting's history records who closed it."""
    if _stored_done(follow_up):
        return follow_up
    follow_up.done = True
    return follow_up_update(follow_up=follow_up, user=user)


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, user) -> FollowUp:
    if not _stored_done(follow_up):
        return follow_up
    follow_up.done = False
    return follow_up_update(follow_up=follow_up, user=user)


@transaction.atomic
def follow_up_delete(*, follow_up: FollowUp, user) -> None:
    meeting = follow_up.meeting
    follow_up.delete()
    _record_on_meeting(meeting, user, f"対応事項を削除：{follow_up.description}")


# --- the organisation registry ------------------------------------------------------------------------


@transaction.atomic
def organization_create(
    *, organization: Organization, roles: list[OrganizationRole] = (), user
) -> Organization:
    """Enter an organisation with its roles."""
    return _save_organization(organization, roles=roles, removed_roles=(), user=user)


@transaction.atomic
def organization_update(
    *, organization: Organization, roles: list[OrganizationRole] = (), removed_roles=(), user
) -> Organization:
    """Change an organisation, its roles given (new or changed) and `removed_roles`."""
    return _save_organization(organization, roles=roles, removed_roles=removed_roles, user=user)


def _save_organization(organization, *, roles, removed_roles, user) -> Organization:
    organization.full_clean()
    _with_history_user(organization, user).save()
    for role in removed_roles:
        _with_history_user(role, user).delete()
    for role in roles:
        role.organization = organization
        role.full_clean()
        _with_history_user(role, user).save()
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization, user) -> None:
    """Delete an organisation and its roles (a record a case review names cannot be deleted: merge
    it instead). The history keeps the deleted record and who deleted it; a provider's names stay
    masked (meetings.provider_names reads them from there)."""
    for role in organization.roles.all():
        _with_history_user(role, user).delete()
    _with_history_user(organization, user).delete()


@transaction.atomic
def organization_merge(*, keep: Organization, remove: Organization, user) -> OrganizationMerge:
    """Fold `remove` into `keep`: every link to `remove` now points at `keep`, then `remove` goes.

    Every relation pointing at Organization is moved, found from the model's metadata, so that a
    relation another app adds later (the municipalities' returns) is moved too. Where both records
    were linked to the same row (both attended one meeting), one link is kept.
    """
    if keep.pk == remove.pk:
        raise ValidationError("同じ団体どうしは統合できません。")
    keep = Organization.objects.select_for_update().get(pk=keep.pk)
    remove = Organization.objects.select_for_update().get(pk=remove.pk)
    moved = {}
    for relation in Organization._meta.related_objects:
        label = str(relation.related_model._meta.verbose_name)
        if relation.many_to_many:
            through = relation.through
            if not through._meta.auto_created:
                continue  # a through model of our own: moved through its foreign key below
            count = _move_m2m(through, relation, keep, remove)
            label = f"{label}（{relation.field.verbose_name}）"
        else:
            count = _move_foreign_key(relation, keep, remove)
        if count:
            moved[label] = count

    record = OrganizationMerge.objects.create(
        kept=keep,
        kept_name=keep.name,
        removed_pk=remove.pk,
        removed_name=remove.name,
        removed_kind=remove.kind,
        moved=moved,
        merged_by=user,
    )
    _with_history_user(keep, user, reason=f"「{remove.name}」（ID {remove.pk}）を統合").save()
    _with_history_user(remove, user, reason=f"「{keep.name}」（ID {keep.pk}）に統合").delete()
    return record


def _move_m2m(through, relation, keep, remove) -> int:
    # In an auto-created through table, one column points at Organization, the other at the owner.
    org_column = relation.field.m2m_reverse_field_name()
    owner_column = relation.field.m2m_field_name()
    rows = through.objects.filter(**{org_column: remove})
    already = through.objects.filter(**{org_column: keep}).values(owner_column)
    count = rows.count()
    rows.filter(**{f"{owner_column}__in": already}).delete()
    rows.update(**{org_column: keep})
    return count


def _move_foreign_key(relation, keep, remove) -> int:
    model, field_name = relation.related_model, relation.field.name
    rows = model._default_manager.filter(**{field_name: remove})
    count = rows.count()
    if not count:
        return 0
    # Rows that would collide with one of `keep`'s under a unique constraint are folded into it.
    for fields in _unique_sets_with(model, field_name):
        others = [name for name in fields if name != field_name]
        for row in list(rows):
            twin = model._default_manager.filter(
                **{field_name: keep}, **{name: getattr(row, name) for name in others}
            ).first()
            if twin is not None:
                if hasattr(twin, "absorb"):
                    twin.absorb(row)
                row.delete()
    if relation.one_to_one and model._default_manager.filter(**{field_name: keep}).exists():
        raise ValidationError(f"両方の団体に{model._meta.verbose_name}があるため統合できません。")
    rows.update(**{field_name: keep})
    return count


def _unique_sets_with(model, field_name) -> list[tuple[str, ...]]:
    sets = [tuple(names) for names in model._meta.unique_together]
    sets += [
        tuple(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        and constraint.fields
        and constraint.condition is None
    ]
    return [fields for fields in sets if field_name in fields and len(fields) > 1]


# --- bodies, tiers and committee members (reference records kept by the secretariat) ------------------
# None of them keeps a history. The loader (meetings.reference_data) writes bodies and tiers from the
# fixture through plan.reference.loading, which tells its own values from the secretariat's changes.


@transaction.atomic
def body_create(*, body: Body, tiers: list[Tier] = (), members: list[CommitteeMember] = (), user) -> Body:
    return _save_body(body, tiers=tiers, members=members, removed=())


@transaction.atomic
def body_update(
    *, body: Body, tiers: list[Tier] = (), members: list[CommitteeMember] = (), removed=(), user
) -> Body:
    """Change a body, the tiers and committee members given (new or changed) and `removed`."""
    return _save_body(body, tiers=tiers, members=members, removed=removed)


def _save_body(body, *, tiers, members, removed) -> Body:
    body.full_clean()
    body.save()
    for row in removed:
        row.delete()
    for tier in tiers:
        tier.body = body
        _save_tier(tier)
    for member in members:
        member.body = body
        _save_committee_member(member)
    return body


@transaction.atomic
def body_delete(*, body: Body, user) -> None:
    body.delete()


@transaction.atomic
def tier_create(*, tier: Tier, user) -> Tier:
    return _save_tier(tier)


@transaction.atomic
def tier_update(*, tier: Tier, user) -> Tier:
    return _save_tier(tier)


def _save_tier(tier: Tier) -> Tier:
    tier.full_clean()
    tier.save()
    return tier


@transaction.atomic
def tier_delete(*, tier: Tier, user) -> None:
    tier.delete()


@transaction.atomic
def committee_member_create(*, member: CommitteeMember, user) -> CommitteeMember:
    return _save_committee_member(member)


@transaction.atomic
def committee_member_update(*, member: CommitteeMember, user) -> CommitteeMember:
    return _save_committee_member(member)


def _save_committee_member(member: CommitteeMember) -> CommitteeMember:
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def committee_member_delete(*, member: CommitteeMember, user) -> None:
    member.delete()


# --- case reviews ---------------------------------------------------------------------------------------


@transaction.atomic
def case_review_create(
    *, case_review: CaseReview, organizations: list[Organization], supported_before: list[Organization], user
) -> CaseReview:
    """Record a case review and the organisations that took part."""
    case_review.recorded_by = user
    return _save_case_review(case_review, organizations=organizations, supported_before=supported_before)


@transaction.atomic
def case_review_update(
    *, case_review: CaseReview, organizations: list[Organization], supported_before: list[Organization], user
) -> CaseReview:
    """Correct a case review (who recorded it stays as it was)."""
    return _save_case_review(case_review, organizations=organizations, supported_before=supported_before)


def _save_case_review(case_review, *, organizations, supported_before) -> CaseReview:
    case_review.full_clean()
    case_review.save()
    supported_ids = {org.pk for org in supported_before}
    wanted = {org.pk: org for org in organizations}
    case_review.participants.exclude(organization_id__in=wanted).delete()
    existing = {row.organization_id: row for row in case_review.participants.all()}
    for pk, org in wanted.items():
        row = existing.get(pk) or CaseReviewParticipant(case_review=case_review, organization=org)
        row.supported_before = pk in supported_ids
        row.save()
    return case_review
