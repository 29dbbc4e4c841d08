"""Loading Tokyo's 62 municipalities from fixtures/municipalities.csv.

The whole file is checked before anything is written, so a bad line loads nothing and the error
names the line and column to fix.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from municipalities.models import Municipality
from plan.reference.loading import LoadReport, sync_record

COLUMNS = ["code6", "code5", "name", "kana", "kind", "region"]
# CSV column for each model field whose name differs.
COLUMN_OF_FIELD = {"code": "code6"}


class MunicipalityFileError(ValueError):
    """A line of the municipalities CSV that cannot be loaded."""


def _default_path() -> Path:
    return Path(settings.FIXTURES_DIR) / "municipalities.csv"


def _fail(path: Path, line: int, column: str, message: str):
    raise MunicipalityFileError(f"{path.name} {line}行目「{column}」列: {message}")


def _check_row(path: Path, line: int, row: dict) -> None:
    """Raise MunicipalityFileError for the first problem in one CSV row."""
    # Kind and region are checked here, not left to full_clean, so the message lists what is allowed.
    for column, choices in (("kind", Municipality.Kind), ("region", Municipality.Region)):
        if row[column] not in choices.values:
            allowed = "、".join(choices.values)
            _fail(path, line, column, f"「{row[column]}」は使えません（{allowed} のいずれか）。")

    candidate = Municipality(
        code=row["code6"],
        code5=row["code5"],
        name=row["name"],
        kana=row["kana"],
        kind=row["kind"],
        region=row["region"],
    )
    try:
        # Uniqueness against the database is not a file error: the row may be an update.
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        field_name, messages = next(iter(error.message_dict.items()))
        _fail(path, line, COLUMN_OF_FIELD.get(field_name, field_name), " ".join(messages))


def read_municipalities(path: Path) -> list[dict]:
    """The rows of the CSV, each checked; raises MunicipalityFileError naming the line and column."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != COLUMNS:
            raise MunicipalityFileError(
                f"{path.name} 1行目: 見出し行は {','.join(COLUMNS)} としてください"
                f"（実際は {','.join(reader.fieldnames or [])}）。"
            )
        rows = []
        seen = {"code6": {}, "name": {}}
        for row in reader:
            line = reader.line_num
            if None in row or None in row.values():
                _fail(path, line, "行全体", f"列の数が {len(COLUMNS)} ではありません。")
            row = {column: value.strip() for column, value in row.items()}
            _check_row(path, line, row)
            for column, first_lines in seen.items():
                if row[column] in first_lines:
                    _fail(
                        path,
                        line,
                        column,
                        f"「{row[column]}」は {first_lines[row[column]]}行目と重複しています。",
                    )
                first_lines[row[column]] = line
            rows.append(row)
    return rows


def load_municipalities(*, path: Path | None = None, overwrite: bool = False) -> LoadReport:
    path = Path(path) if path else _default_path()
    rows = read_municipalities(path)
    report = LoadReport()
    with transaction.atomic():
        for row in rows:
            sync_record(
                Municipality,
                lookup={"code": row["code6"]},
                values={
                    "code5": row["code5"],
                    "name": row["name"],
                    "kana": row["kana"],
                    "kind": row["kind"],
                    "region": row["region"],
                },
                report=report,
                overwrite=overwrite,
            )
    return report
