"""The apps' imports point one way: plan ← meetings ← municipalities ← indicators ← config.

A lower app may show what points at it through reverse relations, string references and template
libraries loaded by name, never by importing a higher app (docs/architecture.md). Inside plan,
plan/common/ (what every app shares) imports nothing else of the project, so any app may use it."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

LAYERS = ["plan", "meetings", "municipalities", "indicators", "config"]


def imported_modules(path: Path) -> set[str]:
    """Every module an absolute import names, at the top of the file or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_apps(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)} & set(LAYERS)


def outside_common(path: Path) -> set[str]:
    """The project's modules outside plan.common that a module imports (`from plan import x` counts)."""
    return {
        name
        for name in imported_modules(path)
        if name.split(".")[0] in LAYERS and name != "plan.common" and not name.startswith("plan.common.")
    }


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


def test_the_common_helpers_import_nothing_else_of_the_project():
    offending = {
        str(path.relative_to(settings.BASE_DIR)): sorted(outside_common(path))
        for path in sorted((Path(settings.BASE_DIR) / "plan" / "common").rglob("*.py"))
        if outside_common(path)
    }
    assert offending == {}


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("from meetings.models import Meeting\nimport indicators.models\nfrom . import x\n")
    assert imported_apps(module) == {"meetings", "indicators"}


def test_the_check_sees_an_import_from_common_into_the_rest_of_plan(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        "from plan.common.text import normalize\nimport plan.common\n"
        "def f():\n    from plan.models import Measure\n    from plan import access\n"
    )
    assert outside_common(module) == {"plan.models", "plan"}
