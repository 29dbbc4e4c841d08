"""Every way a file gets into the system goes through the one upload guard (plan.common.uploads.check_upload).

The other upload tests (tests/plan/test_uploads.py, tests/plan/test_admin_import_export.py,
tests/meetings/test_minutes_file.py, tests/municipalities/test_return_workbook.py) prove each
upload they know of. This file finds every upload there is, so that a new one added without the
guard fails here:

- every form class in the project's modules with a FileField (ImageField is one), and every model
  FileField;
- every admin with django-import-export's import;
- every URL whose view reads `request.FILES`, and every place that opens a workbook, a zip or CSV
  text itself (the readers in plan/common are the guarded ones).

Each one found must be listed below with how to reach it; each listed one is then sent hostile
files (a zip bomb, a billion-laughs workbook, a file over the cap) and must refuse them with the
guard's message beside the field. The source check (does the field's cleaning reach check_upload?)
is the catch-all for anything the behavioural tests cannot build.
"""

import ast
import importlib
import inspect
import pkgutil
import tempfile
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from import_export.admin import ImportMixin

from plan.common import uploads
from plan.common.uploads import MB
from tests.html import field_errors
from tests.plan import upload_samples as samples

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("plan", "meetings", "municipalities", "indicators", "config")

EXPANDS_TOO_MUCH = "圧縮ファイルの展開後のサイズが大きすぎます"
DOCTYPE = "XML の DOCTYPE（エンティティ）宣言があるため受け付けられません"
TOO_LARGE = "ファイルが大きすぎます（上限 "

# --- what is known: every upload, and how to reach it ---------------------------------------------

# Form classes with a file field → the field (names as "module.Class").
FORM_FILE_FIELDS = {
    "plan.forms.ProgressImportForm": {"file"},
    "municipalities.review_forms.ReturnWorkbookForm": {"file"},
    "meetings.forms.MeetingForm": {"minutes_upload"},
    "plan.adminsite.formats.GuardedImportForm": {"import_file"},
}
# Model FileFields ("app_label.Model.field") → the upload kind whose caps apply.
MODEL_FILE_FIELDS = {"meetings.Meeting.minutes_file": "attachment"}
# Admins with import-export's import ("app_label.model").
ADMIN_IMPORTS = {"plan.measure", "plan.department", "municipalities.municipality"}
# URL names whose view reads request.FILES → the file field posted.
UPLOAD_URLS = {
    "plan:progress_import": "file",
    "municipalities:review_return_upload": "file",
    "meetings:meeting_create": "minutes_upload",
    "meetings:meeting_edit": "minutes_upload",
}
# Functions (module, function) that read request.FILES other than the views of UPLOAD_URLS and of
# the admin imports, each with why it is safe. None today.
OTHER_FILES_READERS: set[tuple[str, str]] = set()
# Places that open a workbook, an archive or CSV text themselves (the guarded readers in
# plan/common aside), and why that is safe.
OTHER_PARSERS = {
    # fixtures/municipalities.csv from the repository, read by manage.py load_reference_data.
    ("municipalities.reference_data", "DictReader"),
}
GUARDED_READERS = {"plan/common/uploads.py", "plan/common/spreadsheets.py"}
PARSER_CALLS = {"load_workbook", "ZipFile", "reader", "DictReader", "read_excel", "read_csv", "load_dataset"}


# --- discovery -------------------------------------------------------------------------------------


@cache
def project_modules():
    found = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".migrations" in info.name:
                continue
            found.append(importlib.import_module(info.name))
    return found


def project_sources():
    for package_name in PACKAGES:
        for path in sorted((ROOT / package_name).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def discovered_form_file_fields() -> dict[str, set[str]]:
    found = {}
    for module in project_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, forms.BaseForm):
                continue
            fields = {name for name, field in cls.base_fields.items() if isinstance(field, forms.FileField)}
            if fields:
                found[f"{cls.__module__}.{cls.__name__}"] = fields
    return found


def form_class(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def project_models():
    return [model for model in apps.get_models() if model.__module__.split(".")[0] in PACKAGES]


def discovered_model_file_fields() -> set[str]:
    return {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in project_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }


def discovered_admin_imports() -> set[str]:
    project_modules()  # every admin module imported, so every admin registered
    return {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ImportMixin)
    }


def url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from url_patterns(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern.callback


def function_tree(function):
    """The AST of `function`'s definition, found by name in its module's file as it is now (not by
    line number: the file may have changed since it was imported), or None."""
    try:
        path = inspect.getsourcefile(function)
        first_line = function.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return None
    if not path:
        return None
    definitions = [
        node
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function.__name__
    ]
    return min(definitions, key=lambda node: abs(node.lineno - first_line), default=None)


def reads_files(function) -> bool:
    tree = function_tree(inspect.unwrap(getattr(function, "view_class", function)))
    return tree is not None and any(
        isinstance(node, ast.Attribute) and node.attr == "FILES" for node in ast.walk(tree)
    )


def discovered_upload_urls() -> set[str]:
    return {
        name
        for name, callback in url_patterns()
        if callback.__module__.split(".")[0] in PACKAGES and reads_files(callback)
    }


def admin_import_urls() -> set[str]:
    return {"admin:{}_{}_import".format(*label.split(".")) for label in ADMIN_IMPORTS}


def enclosing_functions(tree):
    """(function name, node) for every function, innermost last."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def files_readers() -> set[tuple[str, str]]:
    found = set()
    for path in project_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, function in enclosing_functions(tree):
            if any(isinstance(node, ast.Attribute) and node.attr == "FILES" for node in ast.walk(function)):
                found.add((module_name(path), name))
    return found


def parser_calls() -> set[tuple[str, str]]:
    found = set()
    for path in project_sources():
        if str(path.relative_to(ROOT)) in GUARDED_READERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if called in PARSER_CALLS:
                    found.add((module_name(path), called))
    return found


# --- does a function reach check_upload? (the source catch-all) ---------------------------------------


def reaches_guard(function, depth: int = 4, seen=None) -> bool:
    """True when `function`'s source calls check_upload, directly or through the project's own
    functions and methods it calls (followed `depth` calls deep)."""
    seen = seen if seen is not None else set()
    function = inspect.unwrap(function)
    if function is uploads.check_upload:
        return True
    if depth < 0 or function in seen or not callable(function):
        return False
    seen.add(function)
    module = inspect.getmodule(function)
    if module is None or module.__name__.split(".")[0] not in PACKAGES:
        return False
    tree = function_tree(function)
    if tree is None:
        return False
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    if "check_upload" in names:
        return True
    owner = getattr(function, "__qualname__", "").rpartition(".")[0]
    candidates = [vars(module).get(name) for name in names]
    if owner and (cls := vars(module).get(owner)) is not None:
        candidates += [getattr(cls, name, None) for name in names]
    return any(
        candidate is not None
        and (inspect.isfunction(candidate) or inspect.ismethod(candidate))
        and reaches_guard(candidate, depth - 1, seen)
        for candidate in candidates
    )


def form_field_reaches_guard(cls, field_name: str) -> bool:
    field = cls.base_fields[field_name]
    cleaners = [getattr(cls, f"clean_{field_name}", None), cls.clean, *field.validators]
    if issubclass(cls, forms.ModelForm) and field_name in {f.name for f in cls._meta.model._meta.fields}:
        cleaners += cls._meta.model._meta.get_field(field_name).validators
    return any(cleaner is not None and reaches_guard(cleaner) for cleaner in cleaners)


# --- the inventory: nothing unknown ----------------------------------------------------------------------


class TestEveryUploadIsKnown:
    def test_every_form_with_a_file_field(self):
        assert discovered_form_file_fields() == FORM_FILE_FIELDS, (
            "A form with a file field was added or removed: guard it with check_upload in its "
            "clean_<field>, then list it in FORM_FILE_FIELDS and in the behavioural tests below."
        )

    def test_every_model_file_field(self):
        assert discovered_model_file_fields() == set(MODEL_FILE_FIELDS)

    def test_every_admin_import(self):
        assert discovered_admin_imports() == ADMIN_IMPORTS

    def test_every_url_whose_view_reads_uploaded_files(self):
        assert discovered_upload_urls() == set(UPLOAD_URLS) | admin_import_urls()

    def test_nothing_else_reads_request_files(self):
        views = {
            (callback.__module__, inspect.unwrap(callback).__name__)
            for name, callback in url_patterns()
            if name in set(UPLOAD_URLS) | admin_import_urls()
        }
        assert files_readers() - views == OTHER_FILES_READERS

    def test_nothing_else_opens_a_workbook_an_archive_or_csv_itself(self):
        assert parser_calls() == OTHER_PARSERS, (
            "Read uploads through plan.common.spreadsheets (read_xlsx_rows, read_csv_rows), which run "
            "the upload guard first."
        )


# --- the source catch-all: each one reaches check_upload ----------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "field_name"),
    sorted((dotted, name) for dotted, names in discovered_form_file_fields().items() for name in names),
)
def test_each_form_file_field_is_cleaned_through_the_guard(dotted, field_name):
    assert form_field_reaches_guard(form_class(dotted), field_name), f"{dotted}.{field_name} is not guarded"


def test_the_source_check_notices_an_unguarded_field():
    """The control: a file field cleaned without the guard is reported, so the test above is not
    true of everything."""

    class Unguarded(forms.Form):
        file = forms.FileField()

        def clean_file(self):
            return self.cleaned_data["file"]

    Unguarded.__module__ = "plan.forms"
    assert not form_field_reaches_guard(Unguarded, "file")


@pytest.mark.parametrize("label", sorted(discovered_model_file_fields()))
def test_each_model_file_field_has_a_validator_through_the_guard(label):
    app_label, model_name, field_name = label.split(".")
    field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    assert any(reaches_guard(validator) for validator in field.validators), (
        f"{label} has no guarded validator"
    )


@pytest.mark.parametrize("label", sorted(discovered_admin_imports()))
def test_each_admin_import_uses_the_guarded_form_and_readers(label, rf, plan_admin):
    from plan.adminsite.formats import GuardedImportForm

    model_admin = admin.site._registry[apps.get_model(label)]
    request = rf.get("/")
    request.user = plan_admin
    assert issubclass(model_admin.get_import_form_class(request), GuardedImportForm)
    for format_class in model_admin.get_import_formats():
        assert reaches_guard(format_class.create_dataset), f"{label}: {format_class.__name__} reads unguarded"


# --- behaviour: hostile files refused beside the field ----------------------------------------------


@pytest.fixture(scope="module")
def hostile():
    """(name, content, the start of the guard's message) for each attack sent to every upload."""
    return [
        ("zip bomb", samples.zip_bomb_xlsx(), EXPANDS_TOO_MUCH),
        ("high ratio", samples.high_ratio_xlsx(), EXPANDS_TOO_MUCH),
        ("billion laughs", samples.entity_bomb_xlsx(), "ファイルの中に " + DOCTYPE),
        ("over every cap", b"PK\x03\x04" + b"\0" * (30 * MB + 1), TOO_LARGE),
    ]


@pytest.fixture(autouse=True)
def parsing_fails(monkeypatch):
    """openpyxl's loader fails the test if reached: every attack must be refused before parsing."""

    def fail(*args, **kwargs):
        raise AssertionError("the file was parsed before it was refused")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)


def assert_refused(errors, expected, attack, where):
    assert errors, f"{where} accepted the {attack}"
    assert errors[0].startswith(expected), f"{where}, {attack}: {errors[0]}"


@pytest.fixture
def meetings_media(settings, tmp_path):
    """Stored files go to a folder of the test's own, so that "nothing was stored" can be seen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def build_form(dotted, data, files, user):
    from plan.adminsite.formats import SafeCSV, SafeXLSX
    from plan.resources import MeasureResource

    cls = form_class(dotted)
    if dotted == "meetings.forms.MeetingForm":
        return cls(data, files, user=user)
    if dotted == "plan.adminsite.formats.GuardedImportForm":
        return cls(
            [SafeXLSX, SafeCSV], [MeasureResource], data={"format": "0", "resource": "0", **data}, files=files
        )
    return cls(data, files)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dotted", "field_name"),
    sorted((dotted, name) for dotted, names in FORM_FILE_FIELDS.items() for name in names),
)
def test_each_form_refuses_every_attack(dotted, field_name, hostile, plan_admin, meetings_media):
    for attack, content, expected in hostile:
        form = build_form(dotted, {}, {field_name: SimpleUploadedFile("攻撃.xlsx", content)}, plan_admin)
        form.is_valid()
        assert_refused(form.errors.get(field_name, []), expected, attack, dotted)
    assert stored_files(meetings_media) == []


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(MODEL_FILE_FIELDS))
def test_each_model_file_field_refuses_every_attack(label, hostile, meetings_media):
    app_label, model_name, field_name = label.split(".")
    model = apps.get_model(app_label, model_name)
    field = model._meta.get_field(field_name)
    for attack, content, expected in hostile:
        value = getattr(model(**{field_name: SimpleUploadedFile("攻撃.xlsx", content)}), field_name)
        with pytest.raises(ValidationError) as error:
            field.run_validators(value)
        assert_refused(error.value.messages, expected, attack, label)
    # The cap of the field's kind applies (an attachment's, not a spreadsheet's).
    cap = uploads.upload_limits(MODEL_FILE_FIELDS[label]).max_bytes
    value = getattr(
        model(**{field_name: SimpleUploadedFile("議事録.pdf", b"%PDF-" + b"0" * cap)}), field_name
    )
    with pytest.raises(ValidationError) as error:
        field.run_validators(value)
    assert error.value.messages[0].startswith(f"{TOO_LARGE}{uploads.megabytes(cap)}")


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(ADMIN_IMPORTS))
def test_each_admin_import_refuses_every_attack(label, hostile, plan_admin_client, monkeypatch, tmp_path):
    # import-export keeps an upload for its confirm step in the temporary folder: a refused one
    # must leave nothing there (Django's own temporary copy of a large upload is gone by then).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_import")
    model = apps.get_model(app_label, model_name)
    before = model.objects.count()
    for attack, content, expected in hostile:
        response = plan_admin_client.post(
            url, {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("攻撃.xlsx", content)}
        )
        form = response.context_data["form"]
        assert_refused(list(form.errors.get("import_file", [])), expected, attack, label)
        assert not response.context_data.get("confirm_form")
    assert model.objects.count() == before
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def upload_targets(db, plan_admin):
    """URL name → the URL to post to, each with what it needs in the database."""
    from plan.models import Plan
    from plan.progress.services import progress_year_start
    from tests.meetings.factories import MeetingFactory
    from tests.municipalities.factories import YEAR, open_round, return_of

    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)
    annual_return = return_of(open_round(YEAR, user=plan_admin))
    meeting = MeetingFactory()
    return {
        "plan:progress_import": reverse("plan:progress_import"),
        "municipalities:review_return_upload": reverse(
            "municipalities:review_return_upload", args=[annual_return.pk]
        ),
        "meetings:meeting_create": reverse("meetings:meeting_create"),
        "meetings:meeting_edit": reverse("meetings:meeting_edit", args=[meeting.pk]),
    }


@pytest.mark.parametrize("url_name", sorted(UPLOAD_URLS))
def test_each_upload_page_refuses_every_attack(
    url_name, hostile, upload_targets, plan_admin_client, meetings_media
):
    from tests.meetings.helpers import meeting_post

    field_name = UPLOAD_URLS[url_name]
    data = meeting_post() if url_name.startswith("meetings:") else {}
    for attack, content, expected in hostile:
        response = plan_admin_client.post(
            upload_targets[url_name], {**data, field_name: SimpleUploadedFile("攻撃.xlsx", content)}
        )
        assert response.status_code in (200, 400), f"{url_name}, {attack}: {response.status_code}"
        assert_refused(field_errors(response, field_name), expected, attack, url_name)
    assert stored_files(meetings_media) == []
