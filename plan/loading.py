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


def sync_record(model, *, lookup: dict, values: dict, report: LoadReport, overwrite: bool = False):
    """Create or update one row identified by `lookup` so that it holds `values`."""
    loaded = {name: _plain(model, name, value) for name, value in values.items()}
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values, fixture_values=loaded)
        obj._change_reason = "参照データの読み込み"
        obj.full_clean()
        obj.save()
        report.created += 1
        return obj

    changed_fields = []
    for name, fixture_value in loaded.items():
        system_value = _current(obj, name)
        if system_value == fixture_value:
            continue
        edited_in_system = name in obj.fixture_values and obj.fixture_values[name] != system_value
        if edited_in_system and not overwrite:
            report.conflicts.append(Conflict(str(obj), model._meta.get_field(name).verbose_name, system_value, fixture_value))
            continue
        setattr(obj, name, values[name])
        changed_fields.append(name)
        report.changes.append(f"{obj} の {model._meta.get_field(name).verbose_name} を更新")

    if changed_fields:
        obj.fixture_values = loaded
        obj._change_reason = "参照データの読み込み"
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save(update_fields=[*changed_fields, "fixture_values"])
        report.updated += 1
    else:
        if obj.fixture_values != loaded:
            # Still reported next time: the system value differs from the new snapshot too.
            type(obj)._default_manager.filter(pk=obj.pk).update(fixture_values=loaded)
        report.unchanged += 1
    return obj
