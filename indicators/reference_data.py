"""Loading the plan's six indicators from fixtures/indicators.yaml.

Only the number, name, unit and description come from the fixture. Baselines and targets are not
in the source documents: the secretariat enters them, and a reload never touches them.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from indicators.models import Indicator
from plan.common.text import normalize
from plan.reference.loading import LoadReport, sync_record


def _default_path() -> Path:
    return Path(settings.FIXTURES_DIR) / "indicators.yaml"


def load_indicators(*, path: Path | None = None, overwrite: bool = False) -> LoadReport:
    path = Path(path) if path else _default_path()
    with path.open(encoding="utf-8") as file:
        entries = yaml.safe_load(file)
    report = LoadReport()
    with transaction.atomic():
        for entry in entries:
            sync_record(
                Indicator,
                lookup={"number": entry["number"]},
                values={
                    "name": normalize(entry["name"]),
                    "unit": normalize(entry["unit"]),
                    # Folded YAML lines leave spaces between Japanese words; normalize drops them.
                    "description": normalize(entry.get("description", "")),
                },
                report=report,
                overwrite=overwrite,
            )
    return report
