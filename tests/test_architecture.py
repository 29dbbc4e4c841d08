"""The apps' imports point one way: plan ← meetings ← municipalities ← indicators ← config.

A lower app may show what points at it through reverse relations, string references and template
libraries loaded by name, never by importing a higher app (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

LAYERS = ["plan", "meetings", "municipalities", "indicators", "config"]


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def modules_of(app: str):
    return sorted(p for p in (Path(settings.BASE_DIR) / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_itself_and_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    offending = {
        str(path.relative_to(settings.BASE_DIR)): sorted(imported_apps(path) - allowed)
        for path in modules_of(app)
        if imported_apps(path) - allowed
    }
    assert offending == {}


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("from meetings.models import Meeting\nimport indicators.models\nfrom . import x\n")
    assert imported_apps(module) == {"meetings", "indicators"}
