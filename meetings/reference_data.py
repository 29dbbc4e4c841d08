"""Loading the meeting bodies and the council's tiers from fixtures/meeting_bodies.yaml.

Bodies are found by code, tiers by (body, code). The order in the file is the display order.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from meetings.models import Body, Tier
from plan.common.text import normalize
from plan.reference.loading import LoadReport, sync_record

BODY_TEXT_FIELDS = [
    "name",
    "short_name",
    "also_serves_as",
    "legal_basis",
    "purpose",
    "composition",
    "schedule_note",
]
TIER_TEXT_FIELDS = ["name", "tmg_name", "purpose", "schedule_note"]


def _default_path() -> Path:
    return Path(settings.FIXTURES_DIR) / "meeting_bodies.yaml"


def _texts(entry: dict, names: list[str]) -> dict:
    # The wording is copied from PDF-extracted text, which writes 長 as the radical ⾧.
    return {name: normalize(entry.get(name) or "") for name in names}


def load_bodies(*, path: Path | None = None, overwrite: bool = False) -> LoadReport:
    path = Path(path) if path else _default_path()
    with path.open(encoding="utf-8") as file:
        entries = yaml.safe_load(file)
    report = LoadReport()
    with transaction.atomic():
        for body_position, entry in enumerate(entries, start=1):
            body = sync_record(
                Body,
                lookup={"code": entry["code"]},
                values={**_texts(entry, BODY_TEXT_FIELDS), "kind": entry["kind"], "position": body_position},
                report=report,
                overwrite=overwrite,
            )
            for tier_position, tier in enumerate(entry.get("tiers") or [], start=1):
                sync_record(
                    Tier,
                    lookup={"body": body, "code": tier["code"]},
                    values={**_texts(tier, TIER_TEXT_FIELDS), "position": tier_position},
                    report=report,
                    overwrite=overwrite,
                )
    return report
