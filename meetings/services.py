"""Writes on meetings, the organisation registry and case reviews, shared by views, admin and tests.

Each takes keyword-only arguments and runs in one transaction. Validation is the models' `clean()`
and the database constraints; the forms have already run them when these are called from a page.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from meetings.models import (
    CaseReview,
    CaseReviewParticipant,
    FollowUp,
    Meeting,
    Organization,
    OrganizationMerge,
    OrganizationRole,
)


@dataclass
class ItemChange:
    """One row of a meeting's agenda or follow-ups as edited: the (unsaved) row and its measures."""

    instance: models.Model
    measures: list = field(default_factory=list)


def _with_history_user(obj, user, reason=""):
    obj._history_user = user
    if reason:
        obj._change_reason = reason
    return obj


@transaction.atomic
def meeting_save(
    *,
    meeting: Meeting,
    organizations,
    agenda_items: list[ItemChange],
    follow_ups: list[ItemChange],
    removed: list[models.Model] = (),
    minutes_upload=None,
    remove_minutes_file: bool = False,
    user,
) -> Meeting:
    """Create or update a meeting with its agenda, follow-ups and attending organisations."""
    creating = meeting.pk is None
    if creating:
        meeting.created_by = user
    old_file = meeting.minutes_file.name if meeting.pk else ""
    if minutes_upload is not None:
        meeting.minutes_file = minutes_upload
        meeting.minutes_file_name = _plain_file_name(minutes_upload.name)
    elif remove_minutes_file:
        meeting.minutes_file = ""
        meeting.minutes_file_name = ""
    meeting.full_clean()
    _with_history_user(meeting, user).save()
    meeting.attending_organizations.set(organizations)

    for obj in removed:
        obj.delete()
    for position, change in enumerate(agenda_items, start=1):
        item = change.instance
        item.meeting = meeting
        item.position = position
        item.full_clean(exclude=["meeting"])
        item.save()
        item.measures.set(change.measures)
    for change in follow_ups:
        follow_up = change.instance
        follow_up.meeting = meeting
        if follow_up.done and follow_up.done_at is None:
            follow_up.done_at = timezone.now()
        elif not follow_up.done:
            follow_up.done_at = None
        follow_up.full_clean(exclude=["meeting"])
        follow_up.save()
        follow_up.measures.set(change.measures)

    if old_file and old_file != meeting.minutes_file.name:
        # Only once the new record is committed: a rolled-back edit must still find its file.
        storage = meeting.minutes_file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return meeting


def _plain_file_name(name: str) -> str:
    """The original file name without any folder part a browser may send."""
    return name.replace("\\", "/").rsplit("/", 1)[-1][:200]


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user) -> FollowUp:
    if not follow_up.done:
        follow_up.done = True
        follow_up.done_at = timezone.now()
        follow_up.save(update_fields=["done", "done_at"])
        meeting = follow_up.meeting
        # The meeting's history records who closed the follow-up.
        _with_history_user(meeting, user, reason=f"対応事項を完了：{follow_up.description}"[:100])
        meeting.save(update_fields=["updated_at"])
    return follow_up


@transaction.atomic
def organization_save(
    *, organization: Organization, roles: list[OrganizationRole], removed_roles=(), user
) -> Organization:
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
    _with_history_user(keep, user, reason=f"「{remove.name}」（ID {remove.pk}）を統合"[:100]).save()
    _with_history_user(remove, user, reason=f"「{keep.name}」（ID {keep.pk}）に統合"[:100]).delete()
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


@transaction.atomic
def case_review_save(
    *, case_review: CaseReview, organizations: list[Organization], supported_before: list[Organization], user
) -> CaseReview:
    """Record (or correct) a case review and the organisations that took part."""
    if case_review.pk is None:
        case_review.recorded_by = user
    if case_review.woman_attended:
        case_review.absence_reason = ""
        case_review.absence_note = ""
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
