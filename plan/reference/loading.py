"""Keeping reference rows in step with the fixtures, without losing what people changed.

Each loaded row remembers the values the loader last wrote (`FixtureLoaded.fixture_values`).
On a later load, a field is:
- left alone when the fixture and the system agree;
- updated when the fixture changed and the system still holds what was last loaded
  (a corrected fixture line);
- reported as a conflict, and kept, when someone changed it in the system since the last load,
  unless the caller asks to overwrite.
"""

from dataclasses import dataclass, field

from django.db import models


@dataclass
class Conflict:
    record: str
    field: str
    system_value: object
    fixture_value: object

    def __str__(self):
        return (
            f"{self.record} の {self.field}: システム上の値「{self.system_value}」を保持しました"
            f"（フィクスチャの値は「{self.fixture_value}」）"
        )


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def merge(self, other: "LoadReport") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.conflicts += other.conflicts
        self.changes += other.changes

    def summary(self) -> str:
        return (
            f"新規 {self.created} 件、更新 {self.updated} 件、変更なし {self.unchanged} 件、"
            f"システム上の変更を保持 {len(self.conflicts)} 件"
        )


def _plain(model, name, value):
    """The JSON-comparable form of a field value (a related row becomes its primary key)."""
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        return value.pk if isinstance(value, models.Model) else value
    return value


def _current(obj, name):
    model_field = obj._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        return getattr(obj, model_field.attname)
    return getattr(obj, name)


LOAD_REASON = "参照データの読み込み"


def mark_for_history(obj, reason: str = LOAD_REASON):
    """Set what simple_history records for the loader's next save or delete of `obj`: no user (the
    load is not a person's change, even when run inside a request) and the reason. These are the
    library's documented per-instance attributes, so every loader path records the same fields."""
    obj._history_user = None
    obj._change_reason = reason
    return obj


def _fields_taking_fixture_values(obj, loaded: dict, overwrite: bool) -> tuple[list[str], list[str]]:
    """Split the fields whose fixture value differs from the system's into those a load changes and
    those kept because someone changed them in the system since the last load."""
    take, keep = [], []
    for name, fixture_value in loaded.items():
        system_value = _current(obj, name)
        if system_value == fixture_value:
            continue
        edited_in_system = name in obj.fixture_values and obj.fixture_values[name] != system_value
        (keep if edited_in_system and not overwrite else take).append(name)
    return take, keep


def fields_to_update(obj, values: dict, *, overwrite: bool = False) -> list[str]:
    """The fields a load of `values` would change on `obj` (nothing is written or reported)."""
    loaded = {name: _plain(type(obj), name, value) for name, value in values.items()}
    return _fields_taking_fixture_values(obj, loaded, overwrite)[0]


def sync_record(model, *, lookup: dict, values: dict, report: LoadReport, overwrite: bool = False):
    """Create or update one row identified by `lookup` so that it holds `values`."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        loaded = {name: _plain(model, name, value) for name, value in values.items()}
        obj = model(**lookup, **values, fixture_values=loaded)
        mark_for_history(obj)
        obj.full_clean()
        obj.save()
        report.created += 1
        return obj
    return update_record(obj, values=values, report=report, overwrite=overwrite)


def update_record(
    obj,
    *,
    values: dict,
    report: LoadReport,
    overwrite: bool = False,
    reinsert: bool = False,
    reason: str = LOAD_REASON,
):
    """Bring an existing row in step with `values`, keeping (and reporting) what was changed in the system.

    With `reinsert`, the caller has deleted the row (to move it past a unique constraint) and it is
    inserted again under the same primary key, so its history stays in one place.
    """
    model = type(obj)
    loaded = {name: _plain(model, name, value) for name, value in values.items()}
    take, keep = _fields_taking_fixture_values(obj, loaded, overwrite)
    for name in keep:
        verbose_name = model._meta.get_field(name).verbose_name
        report.conflicts.append(Conflict(str(obj), verbose_name, _current(obj, name), loaded[name]))
    for name in take:
        report.changes.append(f"{obj} の {model._meta.get_field(name).verbose_name} を更新")
        setattr(obj, name, values[name])

    if take or reinsert:
        obj.fixture_values = loaded
        mark_for_history(obj, reason)
        obj.full_clean(validate_unique=False, validate_constraints=False)
        if reinsert:
            obj.save(force_insert=True)
        else:
            obj.save(update_fields=[*take, "fixture_values"])
    elif obj.fixture_values != loaded:
        # Still reported next time: the system value differs from the new snapshot too.
        # (The snapshot is not part of any model's history.)
        model._default_manager.filter(pk=obj.pk).update(fixture_values=loaded)
    if take:
        report.updated += 1
    else:
        report.unchanged += 1
    return obj
