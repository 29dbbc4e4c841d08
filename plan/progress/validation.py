"""What a save of measure progress must meet: the values' rules and the version check.

One place for both, called by the edit form, the admin's form, `progress_update` and the
spreadsheet import, so each path refuses the same values with the same message and calls the
same thing a conflict.

The values' rules apply when someone records a year's progress. A record that has just been
started is blank (未更新) and valid as such, which is why they are not `MeasureProgress.clean()`.
"""

from dataclasses import dataclass

from django.utils import dateformat, timezone

from plan.models import MeasureProgress, ProgressAssessment, ProgressDirection

TEXT_MAX_LENGTH = 2000
TEXT_FIELDS = ("achievements", "issues", "next_steps")
# The model's own labels: 進捗状況, 今後の方向性, 実績, 課題, 今後の取組, 所管.
FIELD_LABELS = {
    name: str(MeasureProgress._meta.get_field(name).verbose_name)
    for name in [*MeasureProgress.EDITABLE_FIELDS, "departments"]
}
_CHOICE_LABELS = {
    "assessment": dict(ProgressAssessment.choices),
    "direction": dict(ProgressDirection.choices),
}


# --- the values ------------------------------------------------------------------------------


def normalize_text(value) -> str:
    """Text as stored: line ends as \\n, no blank lines or spaces around the whole text."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def progress_values_clean(values: dict) -> dict:
    """The editable fields among `values` as they are stored: text normalised, nothing as ""."""
    return {
        name: normalize_text(values.get(name)) if name in TEXT_FIELDS else (values.get(name) or "")
        for name in MeasureProgress.EDITABLE_FIELDS
        if name in values
    }


def progress_values_errors(values: dict) -> dict[str, str]:
    """The rules a recorded year's progress must meet, as {field: message in Japanese}; empty when
    the values are valid. `values` holds every editable field, as `progress_values_clean` gives it."""
    errors = {}
    if not values.get("assessment"):
        errors["assessment"] = "進捗状況を選んでください。"
    elif values["assessment"] not in ProgressAssessment.values:
        errors["assessment"] = "進捗状況の値が正しくありません。"
    if not values.get("direction"):
        errors["direction"] = "今後の方向性を選んでください。"
    elif values["direction"] not in ProgressDirection.values:
        errors["direction"] = "今後の方向性の値が正しくありません。"
    # Nothing achieved yet is a valid answer only for a measure not started.
    if not values.get("achievements") and values.get("assessment") != ProgressAssessment.NOT_STARTED:
        errors["achievements"] = "実績を入力してください（進捗状況が「未着手」の場合のみ空欄にできます）。"
    for name in TEXT_FIELDS:
        if len(values.get(name) or "") > TEXT_MAX_LENGTH:
            errors[name] = f"{FIELD_LABELS[name]}は{TEXT_MAX_LENGTH}文字以内で入力してください（現在 {len(values[name])} 文字）。"
    return errors


def editable_values(progress: MeasureProgress) -> dict:
    """The record's editable fields as they are saved."""
    return {name: getattr(progress, name) for name in MeasureProgress.EDITABLE_FIELDS}


def display_value(name: str, value) -> str:
    """A field's value as people read it: choice labels, department names, （空欄） for nothing."""
    if name in _CHOICE_LABELS:
        return _CHOICE_LABELS[name].get(value, value) if value else "（空欄）"
    if name == "departments":
        return "、".join(value) if value else "（なし）"
    return value if value else "（空欄）"


@dataclass
class Change:
    field: str
    old: object
    new: object

    @property
    def label(self):
        return FIELD_LABELS[self.field]

    @property
    def old_display(self):
        return display_value(self.field, self.old)

    @property
    def new_display(self):
        return display_value(self.field, self.new)


def changes_between(progress: MeasureProgress, values: dict) -> list[Change]:
    """What saving `values` (cleaned) would change in the record, field by field."""
    return [
        Change(name, getattr(progress, name), value) for name, value in values.items() if getattr(progress, name) != value
    ]


# --- the version -----------------------------------------------------------------------------


class ProgressConflict(Exception):
    """Someone saved the record after the version the caller started from; nothing was saved.

    `current` is the record as it is now, `changes` what was changed since `expected_version`.
    """

    def __init__(self, *, current: MeasureProgress, expected_version: int, changes: list[Change]):
        self.current = current
        self.expected_version = expected_version
        self.changes = changes
        super().__init__(
            f"No.{current.measure.number} の記録は版 {expected_version} の後に更新されています（現在の版 {current.version}）。"
        )

    @property
    def _who(self):
        return self.current.updated_by or "他の利用者"

    @property
    def message(self):
        """For a page that lists `changes` beside it."""
        when = (
            dateformat.format(timezone.localtime(self.current.updated_at), "Y年n月j日 H:i")
            if self.current.updated_at
            else ""
        )
        return (
            f"この記録は、あなたが編集を始めた後に{self._who}さんが{when}に更新したため、保存しませんでした。"
            "相手の変更内容を確認してください。あなたの入力は消えていません。必要なら調整して、もう一度保存してください。"
        )

    @property
    def message_with_changes(self):
        """For a page that can show only a message (the admin's form): the changes in words."""
        listed = "／".join(f"{c.label}：「{c.old_display}」→「{c.new_display}」" for c in self.changes)
        return (
            f"この記録は、あなたが編集を始めた後に{self._who}さんが更新したため、"
            f"保存しませんでした（版 {self.expected_version} → {self.current.version}）。相手の変更：{listed or '（表示できる変更なし）'}。"
            "あなたの入力は下に残っています。確認して、もう一度保存してください。"
        )


def changes_since(progress: MeasureProgress, version: int) -> list[Change]:
    """What changed in the record since it was at `version` (from its history)."""
    then = progress.history.filter(version=version).order_by("-history_date", "-history_id").first()
    if then is None:
        return []
    return changes_between(then, editable_values(progress))


def version_conflict(current: MeasureProgress, expected_version: int) -> ProgressConflict | None:
    """The one check for a save based on an outdated version: None while the record is still at
    `expected_version`, otherwise the conflict, with what changed since (for the person to see).

    `progress_update` makes the check and the save one step (a conditional UPDATE) and describes a
    lost race with this; the admin's form and the import preview call it to refuse early."""
    if current.version == expected_version:
        return None
    return ProgressConflict(
        current=current, expected_version=expected_version, changes=changes_since(current, expected_version)
    )
