"""Time each main page beside its floor (the same rows by one raw SQL query, written out as a bare
HTML table), the admin changelist of the same model with as many rows per page, and the briefing
workbook beside django-import-export's plain XLSX export of the same rows.

    .venv/bin/python -m tests.benchmark.run --sizes tokyo,x10,national --databases sqlite,postgres
    .venv/bin/python -m tests.benchmark.run --quick      # Tokyo size, SQLite, few repeats

Each (size, database) runs in its own child process on its own database (a SQLite file under /tmp,
or a `bench` database created on the PostgreSQL at 127.0.0.1:5432 and dropped afterwards), so the
sizes never mix and the project's own databases are never touched. See docs/benchmarks.md."""

import argparse
import contextlib
import html
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "bench"
SQLITE_PATH = "/tmp/bench-{size}.sqlite3"

# The measured runs: DEBUG off (no query log), templates compiled once and kept (the cached
# loader), no cache of any kind in front of the pages.
MEASURED_SETTINGS = {
    "DEBUG": False,
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
}


def _measured_templates():
    from django.conf import settings

    templates = [dict(engine, OPTIONS=dict(engine["OPTIONS"])) for engine in settings.TEMPLATES]
    for engine in templates:
        engine["APP_DIRS"] = False
        engine["OPTIONS"]["loaders"] = [
            (
                "django.template.loaders.cached.Loader",
                [
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            )
        ]
    return templates


@dataclass
class Timing:
    median_ms: float  # wall-clock time
    p95_ms: float
    cpu_ms: float = 0.0  # median CPU time of this process (the app and SQLite; not PostgreSQL's server)
    queries: int | None = None
    rows: int | None = None
    bytes: int | None = None
    peak_mb: float | None = None


@dataclass
class PageResult:
    page: str
    url: str
    page_timing: Timing
    floor: Timing
    admin: Timing | None = None
    admin_url: str = ""

    @property
    def floor_ratio(self):
        return self.page_timing.median_ms / self.floor.median_ms if self.floor.median_ms else None

    @property
    def floor_cpu_ratio(self):
        return self.page_timing.cpu_ms / self.floor.cpu_ms if self.floor.cpu_ms else None

    @property
    def admin_ratio(self):
        return (
            self.page_timing.median_ms / self.admin.median_ms if self.admin and self.admin.median_ms else None
        )


@dataclass
class Report:
    size: str
    database: str
    repeats: int
    pages: list[PageResult] = field(default_factory=list)
    workbook: Timing | None = None
    plain_export: Timing | None = None
    build_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # what failed to run, the rest still measured

    def queries(self) -> dict[str, int]:
        return {page.page: page.page_timing.queries for page in self.pages}

    def as_dict(self):
        result = asdict(self)
        for page, data in zip(self.pages, result["pages"], strict=True):
            data["floor_ratio"], data["admin_ratio"] = page.floor_ratio, page.admin_ratio
            data["floor_cpu_ratio"] = page.floor_cpu_ratio
        return result


class Times(list):
    """Wall-clock times (ms), with the CPU times of the same runs beside them in `cpu`: on a
    shared machine the wall clock also counts waiting for a core, the CPU time does not."""

    def __init__(self):
        super().__init__()
        self.cpu = []


def _timed(function, repeats: int) -> tuple[Times, object]:
    function()  # a warm-up run, not counted: the first compiles templates and fills caches
    times, result = Times(), None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
        times.cpu.append((time.process_time() - cpu) * 1000)
    return times, result


def _summary(times: Times, **extra) -> Timing:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    cpu = round(statistics.median(times.cpu), 2) if getattr(times, "cpu", None) else 0.0
    return Timing(median_ms=round(statistics.median(ordered), 2), p95_ms=round(p95, 2), cpu_ms=cpu, **extra)


# --- the floors: one raw query each, rows written out as a bare table ------------------------------


def _tables():
    from indicators.models import Indicator, IndicatorValue
    from meetings.models import AgendaItem, Body, Meeting, Tier
    from municipalities.models import AnnualReturn, Municipality, ReturnRound
    from plan.models import Area, Goal, Listing, Measure, MeasureProgress

    models = dict(
        goal=Goal, area=Area, listing=Listing, measure=Measure, progress=MeasureProgress, municipality=Municipality,
        round=ReturnRound, ret=AnnualReturn, indicator=Indicator, value=IndicatorValue, meeting=Meeting, body=Body,
        tier=Tier, item=AgendaItem,
    )  # fmt: skip
    return {name: model._meta.db_table for name, model in models.items()}


FLOOR_SQL = {
    "plan_tree": """SELECT g.number, g.title, a.letter, a.title, m.number, m.heading, l.relisted
        FROM {listing} l JOIN {measure} m ON m.id = l.measure_id JOIN {area} a ON a.id = l.area_id
        JOIN {goal} g ON g.id = a.goal_id WHERE m.plan_id = %(plan)s ORDER BY g.number, a.position, l.position""",
    "progress_list": """SELECT g.number, a.letter, m.number, m.heading, p.assessment, p.direction,
        substr(p.achievements, 1, 80), p.updated_at
        FROM {listing} l JOIN {measure} m ON m.id = l.measure_id JOIN {area} a ON a.id = l.area_id
        JOIN {goal} g ON g.id = a.goal_id
        LEFT JOIN {progress} p ON p.measure_id = m.id AND p.fiscal_year = %(year)s
        WHERE m.plan_id = %(plan)s ORDER BY g.number, a.position, l.position""",
    "round_page": """SELECT mu.code, mu.name, r.state, r.updated_at, r.submitted_at, r.accepted_at
        FROM {ret} r JOIN {municipality} mu ON mu.id = r.municipality_id JOIN {round} rr ON rr.id = r.round_id
        WHERE rr.fiscal_year = %(year)s ORDER BY mu.code""",
    "status_matrix": """SELECT mu.region, mu.code, mu.name, r.plan_status, r.council_status,
        r.council_has_representatives, r.council_has_practitioners, r.workers_placement, r.workers_trained
        FROM {municipality} mu LEFT JOIN {ret} r ON r.municipality_id = mu.id AND r.state = 'accepted'
        AND r.round_id = (SELECT id FROM {round} WHERE fiscal_year = %(year)s) ORDER BY mu.region, mu.code""",
    "indicator_overview": """SELECT i.number, i.name, i.unit, v.fiscal_year, v.entered_value, v.published_value
        FROM {indicator} i LEFT JOIN {value} v ON v.indicator_id = i.id ORDER BY i.number, v.fiscal_year""",
    "dashboard": """SELECT r.state, COUNT(*) FROM {ret} r JOIN {round} rr ON rr.id = r.round_id
        WHERE rr.fiscal_year = %(year)s GROUP BY r.state""",
    "meeting_list": """SELECT m.id, m.date, m.title, b.name, t.name, m.status,
        (SELECT COUNT(*) FROM {item} i WHERE i.meeting_id = m.id)
        FROM {meeting} m JOIN {body} b ON b.id = m.body_id LEFT JOIN {tier} t ON t.id = m.tier_id
        ORDER BY m.date DESC, m.id DESC LIMIT 50""",
}


def floor(page: str, params: dict) -> tuple[int, str]:
    """The page's rows by one raw query, written out as a minimal HTML table."""
    from django.db import connection

    sql = FLOOR_SQL[page].format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    escape = html.escape
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return len(rows), f"<table>{body}</table>"


# --- the pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    admin_model: str  # app_label.model of the admin changelist beside it
    admin_rows: int | None = None  # rows per admin page (None: as many as the floor's rows)


def pages(year: int) -> list[Page]:
    from django.urls import reverse

    return [
        Page("plan_tree", reverse("plan:tree"), "plan.listing"),
        Page("progress_list", f"{reverse('plan:progress_list')}?year={year}", "plan.measureprogress"),
        Page(
            "round_page", reverse("municipalities:review_round", args=[year]), "municipalities.annualreturn"
        ),
        Page(
            "status_matrix",
            reverse("municipalities:review_round_matrix", args=[year]),
            "municipalities.municipality",
        ),
        Page("indicator_overview", reverse("indicators:overview"), "indicators.indicatorvalue"),
        Page("dashboard", reverse("home"), "municipalities.annualreturn", admin_rows=20),
        Page(
            "meeting_list", f"{reverse('meetings:meeting_list')}?year=all", "meetings.meeting", admin_rows=50
        ),
    ]


@contextlib.contextmanager
def _admin_page_size(model_label: str, rows: int):
    """The admin changelist showing `rows` rows per page (restored afterwards)."""
    from django.apps import apps
    from django.contrib import admin

    model_admin = admin.site._registry[apps.get_model(model_label)]
    saved = model_admin.list_per_page
    model_admin.list_per_page = max(rows, 1)
    try:
        yield model_admin
    finally:
        model_admin.list_per_page = saved


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return response


def _count_queries(function) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def measure_page(client, page: Page, *, params: dict, repeats: int) -> PageResult:
    from django.contrib.admin.utils import quote  # noqa: F401  (admin loaded before the URL is built)
    from django.urls import reverse

    times, response = _timed(lambda: _get(client, page.url), repeats)
    page_timing = _summary(
        times, queries=_count_queries(lambda: _get(client, page.url)), bytes=len(response.content)
    )
    floor_times, (rows, text) = _timed(lambda: floor(page.name, params), repeats)
    floor_timing = _summary(floor_times, queries=1, rows=rows, bytes=len(text.encode()))
    app_label, model_name = page.admin_model.split(".")
    admin_url = reverse(f"admin:{app_label}_{model_name}_changelist")
    with _admin_page_size(page.admin_model, page.admin_rows or rows):
        admin_times, admin_response = _timed(lambda: _get(client, admin_url), repeats)
        admin_timing = _summary(
            admin_times,
            queries=_count_queries(lambda: _get(client, admin_url)),
            rows=page.admin_rows or rows,
            bytes=len(admin_response.content),
        )
    return PageResult(page.name, page.url, page_timing, floor_timing, admin_timing, admin_url)


# --- the briefing workbook --------------------------------------------------------------------------


def _peak_mb(function) -> float:
    tracemalloc.start()
    try:
        function()
        return round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)
    finally:
        tracemalloc.stop()


def plain_export(year: int) -> bytes:
    """django-import-export's plain XLSX export of the rows the briefing draws on: the year's
    progress records, the round's returns, the indicator values and the year's meetings."""
    import tablib
    from import_export.resources import modelresource_factory

    from indicators.models import IndicatorValue
    from meetings.models import Meeting
    from municipalities.models import AnnualReturn
    from plan.common.fiscal_year import FiscalYear
    from plan.models import MeasureProgress

    fiscal_year = FiscalYear(year)
    querysets = [
        MeasureProgress.objects.filter(fiscal_year=year),
        AnnualReturn.objects.filter(round__fiscal_year=year),
        IndicatorValue.objects.all(),
        Meeting.objects.filter(date__gte=fiscal_year.start, date__lte=fiscal_year.end),
    ]
    book = tablib.Databook()
    for queryset in querysets:
        dataset = modelresource_factory(model=queryset.model)().export(queryset=queryset)
        dataset.title = queryset.model._meta.model_name
        book.add_sheet(dataset)
    return book.export("xlsx")


def measure_workbook(year: int, repeats: int) -> tuple[Timing, Timing]:
    from config.briefing import briefing_workbook

    def workbook():
        return briefing_workbook(fiscal_year=year, form="members")

    times, content = _timed(workbook, repeats)
    timing = _summary(times, queries=_count_queries(workbook), bytes=len(content), peak_mb=_peak_mb(workbook))
    plain_times, plain = _timed(lambda: plain_export(year), repeats)
    plain_timing = _summary(
        plain_times,
        queries=_count_queries(lambda: plain_export(year)),
        bytes=len(plain),
        peak_mb=_peak_mb(lambda: plain_export(year)),
    )
    return timing, plain_timing


# --- one size on one database -----------------------------------------------------------------------


def measure_all(built, *, database: str, repeats: int, workbook_repeats: int | None = None) -> Report:
    """Every page and the workbook on the data `built` (tests.benchmark.data.build) made."""
    from django.test import Client, override_settings

    from plan.models import Plan

    report = Report(size=built.size.name, database=database, repeats=repeats)
    params = {"plan": Plan.objects.current().pk, "year": built.reporting_year}
    with override_settings(**MEASURED_SETTINGS, TEMPLATES=_measured_templates()):
        client = Client()
        client.force_login(built.admin)
        for page in pages(built.reporting_year):
            try:
                report.pages.append(measure_page(client, page, params=params, repeats=repeats))
            except Exception as error:  # noqa: BLE001  (reported; the other pages are still measured)
                report.errors.append(f"{page.name}: {error!r}")
        try:
            report.workbook, report.plain_export = measure_workbook(
                built.reporting_year, workbook_repeats or max(3, repeats // 4)
            )
        except Exception as error:  # noqa: BLE001
            report.errors.append(f"briefing workbook: {error!r}")
    return report


def run_child(size: str, database: str, repeats: int) -> Report:
    """In a fresh process whose DATABASE_URL names an empty database: migrate, load the reference
    data, build the size and measure it."""
    import warnings

    import django

    # Static files are served from the source folders here; the warning says nothing about speed.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    from tests.benchmark.data import build

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference_data", verbosity=0)
    start = time.perf_counter()
    built = build(size)
    build_seconds = time.perf_counter() - start
    if database == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report = measure_all(built, database=database, repeats=repeats)
    report.build_seconds = round(build_seconds, 1)
    return report


# --- the databases ----------------------------------------------------------------------------------


def _pg_admin(statement: str):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


@contextlib.contextmanager
def bench_database(database: str, size: str):
    """A fresh, empty database for one run, removed afterwards; yields its DATABASE_URL."""
    if database == "sqlite":
        path = Path(SQLITE_PATH.format(size=size))
        path.unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
    elif database == "postgres":
        _pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{PG_DATABASE}"')
        try:
            yield f"{PG_SERVER}/{PG_DATABASE}"
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    else:
        raise ValueError(f"unknown database {database!r}")


def run_in_child(size: str, database: str, repeats: int) -> dict:
    with bench_database(database, size) as url:
        out = Path(f"/tmp/bench-{size}-{database}.json")
        out.unlink(missing_ok=True)
        env = dict(os.environ, DATABASE_URL=url, DEBUG="false")
        command = [
            sys.executable,
            "-m",
            "tests.benchmark.run",
            "--child",
            size,
            database,
            "--repeats",
            str(repeats),
        ]
        subprocess.run([*command, "--json", str(out)], env=env, check=True)
        return json.loads(out.read_text())


# --- the report -------------------------------------------------------------------------------------


def _ratio(value):
    return f"{value:.1f}×" if value else "–"


def markdown(reports: list[dict]) -> str:
    lines = []
    for report in reports:
        lines += [
            f"### {report['size']} on {report['database']} (median of {report['repeats']} runs; "
            f"data built in {report['build_seconds']} s)",
            "",
            "| page | median ms | p95 ms | CPU ms | queries | KB | floor ms | floor CPU ms | rows "
            "| page/floor | page/floor CPU | admin ms | admin CPU ms | admin queries | page/admin |",
            "| --- |" + " ---: |" * 14,
        ]
        for page in report["pages"]:
            t, f, a = page["page_timing"], page["floor"], page["admin"]
            lines.append(
                f"| {page['page']} | {t['median_ms']:.1f} | {t['p95_ms']:.1f} | {t['cpu_ms']:.1f} | "
                f"{t['queries']} | {t['bytes'] / 1024:.0f} | {f['median_ms']:.2f} | {f['cpu_ms']:.2f} | {f['rows']} | "
                f"{_ratio(page['floor_ratio'])} | {_ratio(page['floor_cpu_ratio'])} | {a['median_ms']:.1f} | "
                f"{a['cpu_ms']:.1f} | {a['queries']} | {_ratio(page['admin_ratio'])} |"
            )
        lines += [f"- error: {error}" for error in report["errors"]]
        w, p = report["workbook"], report["plain_export"]
        if not w or not p:
            lines.append("")
            continue
        lines += [
            "",
            "| workbook | median ms | p95 ms | CPU ms | queries | KB | peak MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| briefing (members) | {w['median_ms']:.0f} | {w['p95_ms']:.0f} | {w['cpu_ms']:.0f} | {w['queries']} | "
            f"{w['bytes'] / 1024:.0f} | {w['peak_mb']} |",
            f"| import-export plain XLSX | {p['median_ms']:.0f} | {p['p95_ms']:.0f} | {p['cpu_ms']:.0f} | "
            f"{p['queries']} | {p['bytes'] / 1024:.0f} | {p['peak_mb']} |",
            f"| workbook / plain export | {_ratio(w['median_ms'] / p['median_ms'])} | | "
            f"{_ratio(w['cpu_ms'] / p['cpu_ms'] if p['cpu_ms'] else None)} | | | |",
            "",
        ]
    lines += query_table(reports)
    return "\n".join(lines)


def query_table(reports: list[dict]) -> list[str]:
    """Queries per page at each size and database: the same number everywhere is the target."""
    columns = [f"{r['size']}/{r['database']}" for r in reports]
    lines = [
        "| queries | " + " | ".join(columns) + " | same? |",
        "| --- |" + " ---: |" * len(columns) + " --- |",
    ]
    names = [page["page"] for page in reports[0]["pages"]] if reports else []
    for name in names:
        counts = [next(p["page_timing"]["queries"] for p in r["pages"] if p["page"] == name) for r in reports]
        lines.append(
            f"| {name} | " + " | ".join(map(str, counts)) + f" | {'yes' if len(set(counts)) == 1 else 'NO'} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="tokyo,x10,national")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="Tokyo size, SQLite only, 5 runs")
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        report = run_child(*args.child, repeats=args.repeats)
        Path(args.json).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        return
    if args.quick:
        args.sizes, args.databases, args.repeats = "tokyo", "sqlite", 5
    reports = []
    for database in args.databases.split(","):
        for size in args.sizes.split(","):
            print(f"--- {size} on {database} …", file=sys.stderr, flush=True)
            reports.append(run_in_child(size, database, args.repeats))
            text = markdown(reports)
            if args.markdown:
                Path(args.markdown).write_text(text + "\n")
    print(markdown(reports))


if __name__ == "__main__":
    main()
