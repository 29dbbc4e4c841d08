"""The deadline-day load test (issue 13): gunicorn with several workers on a PostgreSQL `bench`
database on 127.0.0.1, 62 officers signing in, saving and submitting their returns within a few
minutes while 10 secretariat staff browse the round page and the dashboard. Bounded in time
(--max-seconds) and count (each officer submits once). Afterwards the database is checked: every
return submitted exactly once (one submission in its log, one return per municipality).

    .venv/bin/python -m tests.benchmark.loadtest [--workers 4] [--ramp 60] [--max-seconds 300]

Threads with urllib (no extra dependency), each with its own cookie jar; the CSRF token is read
from the form's hidden field, as a browser sends it. See docs/benchmarks.md."""

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from tests.benchmark import run

HOST, PORT = "127.0.0.1", 8765
BASE = f"http://{HOST}:{PORT}"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
RETURN_LINK = re.compile(r'href="/returns/(\d+)/"')


def answers(year: int) -> dict:
    """A complete return, typed as an officer types it (as tests/municipalities' post_data)."""
    return {
        "plan_status": "made",
        "plan_made_on": f"{year}-03-01",
        "plan_name": "困難な問題を抱える女性への支援のための基本計画",
        "plan_period_start": str(year),
        "plan_period_end": str(year + 4),
        "council_status": "set_up",
        "council_set_up_on": f"{year - 1}-10-01",
        "council_has_representatives": "on",
        "council_has_practitioners": "on",
        "council_representatives_meetings": "1",
        "council_practitioners_meetings": "4",
        "council_private_participation": "no",
        "workers_placement": "placed",
        "workers_full_time": "2",
        "workers_part_time": "3",
        "workers_trained": "4",
        "requests_to_metro": "研修の回数を増やしてほしい。",
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every request timed on its own; a 302 is an answer, not an error


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}  # kind -> [ms]
        self.errors = Counter()
        self.error_samples = []

    def add(self, kind, ms, error=None):
        with self.lock:
            self.times.setdefault(kind, []).append(ms)
            if error:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {error}")


class Browser:
    """One person's browser: cookies, and every request timed and checked."""

    def __init__(self, recorder: Recorder):
        self.recorder = recorder
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, kind: str, path: str, data: dict | None = None, expect=(200,)) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        start = time.perf_counter()
        status, text, error = None, "", None
        try:
            with self.opener.open(urllib.request.Request(BASE + path, data=body), timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as failure:
            status, text = failure.code, failure.read().decode(errors="replace")
        except OSError as failure:
            error = repr(failure)
        if error is None and status not in expect:
            error = f"HTTP {status} on {path}"
        self.recorder.add(kind, (time.perf_counter() - start) * 1000, error)
        if error:
            raise RuntimeError(error)
        return text

    def login(self, username: str, password: str):
        page = self.request("login page", "/accounts/login/")
        token = CSRF.search(page).group(1)
        self.request(
            "login",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
            expect=(302,),
        )


def officer(recorder: Recorder, username: str, year: int, start_after: float, done: list):
    time.sleep(start_after)
    browser = Browser(recorder)
    try:
        browser.login(username, run_password())
        mine = browser.request("my returns", "/returns/mine/")
        pk = RETURN_LINK.search(mine).group(1)
        for action in ("save", "submit"):
            page = browser.request("return page", f"/returns/{pk}/")
            data = answers(year) | {
                "csrfmiddlewaretoken": CSRF.search(page).group(1),
                "expected_version": VERSION.search(page).group(1),
                "action": action,
            }
            browser.request(f"return {action}", f"/returns/{pk}/", data, expect=(302,))
            time.sleep(random.uniform(0.5, 2))  # reading the message before the next click
        browser.request("return page", f"/returns/{pk}/")
        done.append(username)
    except Exception:  # noqa: BLE001  (recorded by Browser.request; the officer gives up)
        pass


def staff(recorder: Recorder, username: str, year: int, stop: threading.Event):
    browser = Browser(recorder)
    try:
        browser.login(username, run_password())
        while not stop.is_set():
            browser.request("round page", f"/returns/rounds/{year}/")
            browser.request("dashboard", "/")
            stop.wait(random.uniform(1, 3))
    except Exception:  # noqa: BLE001
        pass


def run_password():
    from tests.benchmark.data import PASSWORD

    return PASSWORD


def _wait_for_server(deadline: float):
    while time.time() < deadline:
        try:
            with socket.create_connection((HOST, PORT), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not start")


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0


def check_database(year: int, officers: int) -> dict:
    """What the database holds afterwards: returns per municipality, states, submissions logged."""
    from django.db.models import Count

    from municipalities.models import AnnualReturn, ReturnState, ReturnTransition

    returns = AnnualReturn.objects.filter(round__fiscal_year=year)
    per_municipality = returns.values("municipality").annotate(n=Count("pk"))
    submissions = Counter(
        ReturnTransition.objects.filter(
            annual_return__round__fiscal_year=year, to_state=ReturnState.SUBMITTED
        ).values_list("annual_return_id", flat=True)
    )
    submitted = returns.filter(state=ReturnState.SUBMITTED, submitted_at__isnull=False).count()
    return {
        "returns": returns.count(),
        "duplicated_returns": sum(1 for row in per_municipality if row["n"] != 1),
        "submitted": submitted,
        "returns_with_one_submission": sum(1 for n in submissions.values() if n == 1),
        "returns_submitted_more_than_once": sum(1 for n in submissions.values() if n > 1),
        "lost": officers - submitted,
    }


def report(recorder: Recorder, seconds: float, db: dict, officers_done: int, workers: int) -> str:
    everything = [ms for times in recorder.times.values() for ms in times]
    lines = [
        f"gunicorn workers: {workers}; wall time {seconds:.1f} s; requests {len(everything)}; "
        f"throughput {len(everything) / seconds:.1f} requests/s; errors {sum(recorder.errors.values())}; "
        f"officers who submitted: {officers_done}",
        "",
        "| request | count | p50 ms | p95 ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, times in sorted(recorder.times.items()):
        lines.append(
            f"| {kind} | {len(times)} | {statistics.median(times):.0f} | {_percentile(times, 0.95):.0f} | "
            f"{max(times):.0f} | {recorder.errors[kind]} |"
        )
    lines.append(
        f"| **all** | {len(everything)} | {statistics.median(everything):.0f} | "
        f"{_percentile(everything, 0.95):.0f} | {max(everything):.0f} | {sum(recorder.errors.values())} |"
    )
    lines += ["", "Database afterwards: " + json.dumps(db, ensure_ascii=False)]
    lines += [f"- error sample: {sample}" for sample in recorder.error_samples]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ramp", type=float, default=120, help="officers start within this many seconds")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--markdown", help="also write the report to this file")
    args = parser.parse_args(argv)

    with run.bench_database("postgres", "load") as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.core.management import call_command

        from municipalities.models import Municipality
        from tests.benchmark.data import build

        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_reference_data", verbosity=0)
        built = build("tokyo", open_drafts=True)
        year = built.reporting_year
        codes = list(Municipality.objects.order_by("code").values_list("code", flat=True))
        from django.db import connections

        connections.close_all()  # gunicorn's workers hold the connections now

        env = dict(os.environ, DATABASE_URL=url, DEBUG="false", LOG_LEVEL="ERROR")
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                f"--workers={args.workers}",
                f"--bind={HOST}:{PORT}",
                "--timeout=120",
                "--log-level=warning",
            ],
            env=env,
        )
        try:
            _wait_for_server(time.time() + 60)
            # First one person alone (the service time without a queue), then the crowd.
            alone = Recorder()
            browser = Browser(alone)
            browser.login("staff-09", run_password())
            for _ in range(5):
                browser.request("alone: round page", f"/returns/rounds/{year}/")
                browser.request("alone: dashboard", "/")
            recorder, done, stop = Recorder(), [], threading.Event()
            rng = random.Random(13)
            staff_threads = [
                threading.Thread(target=staff, args=(recorder, f"staff-{n:02d}", year, stop), daemon=True)
                for n in range(args.staff)
            ]
            officer_threads = [
                threading.Thread(
                    target=officer,
                    args=(recorder, f"officer-{code}", year, rng.uniform(0, args.ramp), done),
                    daemon=True,
                )
                for code in codes
            ]
            start = time.perf_counter()
            for thread in staff_threads + officer_threads:
                thread.start()
            deadline = time.time() + args.max_seconds
            for thread in officer_threads:
                thread.join(max(0.0, deadline - time.time()))
            stop.set()
            for thread in staff_threads:
                thread.join(10)
            seconds = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(30)
        db = check_database(year, len(codes))
        connections.close_all()  # before the database is dropped
    text = report(recorder, seconds, db, len(done), args.workers)
    text += "\n\nOne person alone before the crowd (ms): " + ", ".join(
        f"{kind} p50 {statistics.median(times):.0f}" for kind, times in sorted(alone.times.items())
    )
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
