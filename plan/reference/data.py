"""Loading the plan (fixtures/plan.yaml) and the departments (fixtures/departments.yaml).

Every row goes through plan.reference.loading (sync_record, update_record), so loading is idempotent, a
corrected fixture line updates its row, and a value changed in the system since the last load is
kept and reported as a conflict unless the caller asks to overwrite.
"""

from collections import Counter
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from plan.common.text import normalize
from plan.models import Area, Department, Goal, Listing, Measure, Plan
from plan.reference.loading import (
    LOAD_REASON,
    Conflict,
    LoadReport,
    fields_to_update,
    mark_for_history,
    sync_record,
    update_record,
)

PLAN_FIXTURE = "plan.yaml"
DEPARTMENTS_FIXTURE = "departments.yaml"

# Why a listing that changes place has two history entries: it is deleted, then inserted again.
MOVE_DELETE_REASON = f"{LOAD_REASON}（表内の順番の変更のため削除）"
MOVE_INSERT_REASON = f"{LOAD_REASON}（表内の順番の変更のため新しい位置で作成）"


def _read_yaml(path, default_name):
    path = Path(path) if path else Path(settings.FIXTURES_DIR) / default_name
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def load_departments(*, path=None, overwrite=False) -> LoadReport:
    data = _read_yaml(path, DEPARTMENTS_FIXTURE)
    report = LoadReport()
    with transaction.atomic():
        for position, bureau_data in enumerate(data["bureaus"], start=1):
            bureau = sync_record(
                Department,
                lookup={"parent": None, "name": bureau_data["name"]},
                values={"level": Department.Level.BUREAU.value, "position": position},
                report=report,
                overwrite=overwrite,
            )
            for division_position, division_data in enumerate(bureau_data.get("divisions") or [], start=1):
                sync_record(
                    Department,
                    lookup={"parent": bureau, "name": division_data["name"]},
                    values={"level": Department.Level.DIVISION.value, "position": division_position},
                    report=report,
                    overwrite=overwrite,
                )
    return report


def load_plan(*, path=None, overwrite=False) -> LoadReport:
    data = _read_yaml(path, PLAN_FIXTURE)
    report = LoadReport()
    with transaction.atomic():
        plan_data = data["plan"]
        plan = sync_record(
            Plan,
            lookup={"name": plan_data["name"]},
            values={
                "short_name": plan_data["short_name"],
                "start_fiscal_year": plan_data["start_fiscal_year"],
                "end_fiscal_year": plan_data["end_fiscal_year"],
                "source_note": plan_data.get("source_note", ""),
            },
            report=report,
            overwrite=overwrite,
        )
        rows = _sync_goals_areas_measures(plan, data["goals"], report, overwrite)
        _sync_listings(plan, rows, report, overwrite)
    return report


def _sync_goals_areas_measures(plan, goals_data, report, overwrite):
    """Sync goals, areas and measures; return the table rows as (area, position, row data)."""
    rows = []
    for goal_data in goals_data:
        goal = sync_record(
            Goal,
            lookup={"plan": plan, "number": goal_data["number"]},
            values={"title": normalize(goal_data["title"])},
            report=report,
            overwrite=overwrite,
        )
        for area_position, area_data in enumerate(goal_data["areas"], start=1):
            area = sync_record(
                Area,
                lookup={"goal": goal, "position": area_position},
                values={"letter": area_data["letter"], "title": normalize(area_data["title"])},
                report=report,
                overwrite=overwrite,
            )
            for row_position, row in enumerate(area_data["rows"], start=1):
                rows.append((area, row_position, row))

    seen = set()
    for _area, _position, row in rows:
        if row.get("relisted"):
            continue
        if row["measure"] in seen:
            raise ValueError(f"plan fixture: No. {row['measure']} appears twice as an original row")
        seen.add(row["measure"])
        sync_record(
            Measure,
            lookup={"plan": plan, "number": row["measure"]},
            values={
                "heading": normalize(row["heading"]),
                "heading_inferred": bool(row.get("heading_inferred", False)),
                "content": normalize(row["content"]),
            },
            report=report,
            overwrite=overwrite,
        )
    return rows


def _listing_key(measure_id, area_id, relisted):
    # A measure has one original listing (a database constraint), so the original is identified by
    # its measure alone and moving it to another area is an update; a re-listing by measure and area.
    return (measure_id, area_id, True) if relisted else (measure_id, None, False)


def _edited_in_system(listing, names):
    """Whether someone changed any of these fields since the last load (or made the row by hand)."""
    snapshot = listing.fixture_values
    if not snapshot:
        return True
    current = {"area": listing.area_id, "position": listing.position}
    return any(
        snapshot[name] != current.get(name, getattr(listing, name, None))
        for name in names
        if name in snapshot
    )


def _place(listing):
    return (listing.area_id, listing.position)


def _place_after_load(listing, values, overwrite):
    """(area id, position) of the listing once loaded: the fixture's, unless changed in the system."""
    taken = fields_to_update(listing, values, overwrite=overwrite)
    area_id = values["area"].pk if "area" in taken else listing.area_id
    position = values["position"] if "position" in taken else listing.position
    return (area_id, position)


def _sync_listings(plan, rows, report, overwrite):
    """Sync the table rows. (area, position) is unique, so a listing that changes place (a swap, a row
    inserted above it) is deleted and inserted again at its new place under the same primary key,
    after every listing that moves has been deleted; its history shows the deletion and the insertion."""
    measures = {measure.number: measure for measure in Measure.objects.filter(plan=plan)}
    wanted = {}  # key -> (lookup, values)
    for area, position, row in rows:
        measure = measures.get(row["measure"])
        if measure is None:
            raise ValueError(f"plan fixture: No. {row['measure']} is re-listed but has no original row")
        relisted = bool(row.get("relisted", False))
        if relisted:
            lookup = {"measure": measure, "relisted": True, "area": area}
            values = {
                "position": position,
                "own_heading": normalize(row.get("heading", "")),
                "own_content": normalize(row.get("content", "")),
            }
        else:
            lookup = {"measure": measure, "relisted": False}
            values = {"area": area, "position": position, "own_heading": "", "own_content": ""}
        wanted[_listing_key(measure.pk, area.pk, relisted)] = (lookup, values)

    existing = {
        _listing_key(listing.measure_id, listing.area_id, listing.relisted): listing
        for listing in Listing.objects.filter(measure__plan=plan).select_related("area__goal", "measure")
    }

    # Rows taken out of the fixture: drop the listings nobody touched, keep the others and say so.
    for key in [key for key in existing if key not in wanted]:
        listing = existing[key]
        if overwrite or not _edited_in_system(listing, ["area", "position", "own_heading", "own_content"]):
            report.changes.append(f"{listing} を削除（フィクスチャにない掲載）")
            mark_for_history(listing, f"{LOAD_REASON}（フィクスチャにない掲載を削除）")
            listing.delete()
            del existing[key]
        else:
            report.conflicts.append(
                Conflict(str(listing), "掲載", "システム上で変更あり", "フィクスチャにない")
            )

    # Listings that change place. One whose new place is held by a listing that stays, or wanted by
    # another listing too, stays where it is and is reported; that may in turn block others.
    targets = {
        key: _place_after_load(listing, wanted[key][1], overwrite)
        for key, listing in existing.items()
        if key in wanted
    }
    movers = {key for key, place in targets.items() if place != _place(existing[key])}
    while True:
        claims = Counter(_place(listing) for key, listing in existing.items() if key not in movers)
        claims.update(targets[key] for key in movers)
        blocked = {key for key in movers if claims[targets[key]] > 1}
        if not blocked:
            break
        movers -= blocked
        for key in blocked:
            listing = existing[key]
            lookup, values = wanted[key]
            report.conflicts.append(
                Conflict(
                    str(listing),
                    "表内の順番",
                    f"{listing.position}（移動先が他の掲載で使用中）",
                    values["position"],
                )
            )
            values = {**values, "position": listing.position}
            if "area" in values:
                values["area"] = listing.area
            wanted[key] = (lookup, values)

    for key in movers:
        listing = existing[key]
        pk = listing.pk
        mark_for_history(listing, MOVE_DELETE_REASON)
        listing.delete()
        listing.pk = pk  # inserted again below under the same key

    taken = {_place(listing) for key, listing in existing.items() if key not in movers}
    taken |= {targets[key] for key in movers}
    for key, (lookup, values) in wanted.items():
        listing = existing.get(key)
        if listing is None:
            area = values.get("area") or lookup["area"]
            if (area.pk, values["position"]) in taken:
                free = max(position for area_id, position in taken if area_id == area.pk) + 1
                record = f"{area.label} No.{lookup['measure'].number}"
                report.conflicts.append(Conflict(record, "表内の順番", free, values["position"]))
                values = {**values, "position": free}
            taken.add((area.pk, values["position"]))
            sync_record(Listing, lookup=lookup, values=values, report=report, overwrite=overwrite)
        elif key in movers:
            update_record(
                listing,
                values=values,
                report=report,
                overwrite=overwrite,
                reinsert=True,
                reason=MOVE_INSERT_REASON,
            )
        else:
            update_record(listing, values=values, report=report, overwrite=overwrite)


RESPONSIBILITIES_FIXTURE = "responsibilities.yaml"


def load_responsibilities(*, path=None, overwrite=False) -> LoadReport:
    """Load the provisional mapping measure → responsible bureaus (fixtures/responsibilities.yaml).

    A row nobody has confirmed follows the fixture. A row a plan administrator confirmed or
    corrected keeps its departments, and a difference from the fixture is reported as a conflict;
    with `overwrite` it takes the fixture's departments and becomes provisional again.
    """
    from plan.models import MeasureResponsibility
    from plan.progress.services import responsibility_confirm

    data = _read_yaml(path, RESPONSIBILITIES_FIXTURE)["responsibilities"]
    report = LoadReport()
    plan = Plan.objects.current()
    if plan is None:
        raise ValueError("responsibilities fixture: load the plan first")
    bureaus = {department.name: department for department in Department.objects.filter(parent__isnull=True)}
    measures = {measure.number: measure for measure in Measure.objects.filter(plan=plan)}
    with transaction.atomic():
        for number, assignments in data.items():
            measure = measures.get(int(number))
            if measure is None:
                raise ValueError(f"responsibilities fixture: No. {number} is not a measure of the plan")
            unknown = [name for name in assignments if name not in bureaus]
            if unknown:
                raise ValueError(f"responsibilities fixture: No. {number}: unknown bureau {unknown}")
            departments = [bureaus[name] for name in assignments]
            basis = "\n".join(f"{name}：{normalize(str(reason))}" for name, reason in assignments.items())
            wanted = {"departments": sorted(assignments), "basis": basis}

            responsibility = MeasureResponsibility.objects.filter(measure=measure).first()
            if responsibility is None:
                responsibility = MeasureResponsibility(measure=measure, basis=basis, fixture_values=wanted)
                mark_for_history(responsibility)
                responsibility.save()
                responsibility_confirm(responsibility=responsibility, departments=departments, user=None, confirm=False)
                report.created += 1
                continue

            current = sorted(str(department) for department in responsibility.departments.all())
            if current == wanted["departments"]:
                if responsibility.basis != basis:
                    responsibility.basis, responsibility.fixture_values = basis, wanted
                    mark_for_history(responsibility)
                    responsibility.save(update_fields=["basis", "fixture_values"])
                elif responsibility.fixture_values != wanted:
                    # The snapshot is not part of the history.
                    MeasureResponsibility.objects.filter(pk=responsibility.pk).update(fixture_values=wanted)
                report.unchanged += 1
                continue
            if not responsibility.is_provisional and not overwrite:
                report.conflicts.append(
                    Conflict(f"No.{measure.number} の所管", "所管", "、".join(current), "、".join(wanted["departments"]))
                )
                continue
            # The row is brought back to provisional first: responsibility_confirm reads it again and
            # its save (the departments differ) writes one history entry holding all of it.
            MeasureResponsibility.objects.filter(pk=responsibility.pk).update(
                basis=basis, fixture_values=wanted, confirmed_at=None, confirmed_by=None
            )
            responsibility_confirm(responsibility=responsibility, departments=departments, user=None, confirm=False)
            report.changes.append(f"No.{measure.number} の所管を「{'、'.join(wanted['departments'])}」に更新")
            report.updated += 1
    return report
