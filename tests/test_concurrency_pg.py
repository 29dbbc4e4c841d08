"""Twenty people at once, through the real pages, on PostgreSQL: ten editing measure progress, eight
municipal officers saving and submitting their returns, and two of the secretariat accepting and
sending back those returns — each with their own signed-in Client, own thread and own database
connection, released together by a barrier.

Afterwards nothing is lost and nothing happened twice:
- every save the page confirmed (a redirect) is in the record's history, once, with its own
  version; every save refused as a conflict (409) is in no history entry; the versions run 1, 2, 3 …
  without a gap or a repeat;
- each return's log (ReturnTransition) is one unbroken chain from 作成中 to its state now, a return
  is accepted at most once, and its history holds exactly the saves and steps that were confirmed;
- no page answered with a server error (the test client re-raises one in its thread).

tests/municipalities/test_returns_concurrency.py has the two-person cases on a return through the
services (one submission of two at once, and so on); this is the crowd through the views.
Like it, this runs on PostgreSQL only: SQLite locks the whole file, so there is no race to test.
`-s` prints the figures (docs/security.md has those of the last run).
"""

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from municipalities.models import AnnualReturn, ReturnState, ReturnTransition
from plan.models import Plan
from plan.progress.access import progress_editable_by
from plan.progress.services import progress_year_start
from tests.factories import Role, UserFactory, municipality, welfare_division
from tests.html import form_value, select
from tests.municipalities.factories import open_round

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

PROGRESS_EDITORS = 10  # half bureau staff of the responsible division, half the secretariat
OFFICERS = 8  # two officers of each of four municipalities
SECRETARIAT = 2
ROUNDS = 12  # what each person does, one after the other
RECORDS = 3  # the progress records they all edit: few, so that they collide
MUNICIPALITIES = ["新宿区", "八王子市", "世田谷区", "檜原村"]
YEAR = 2025


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Concurrent writers need row locks, which SQLite has not (it locks the whole file): "
            "run with DATABASE_URL=postgres://… (CI's PostgreSQL run does)."
        )


@dataclass
class Tally:
    """What the people were told, collected from every thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    saved: list = field(default_factory=list)  # (what, pk, marker, detail)
    refused: list = field(default_factory=list)  # (what, pk, marker, detail)
    errors: list = field(default_factory=list)  # (who, what went wrong)

    def add(self, outcome: str, *row):
        with self.lock:
            getattr(self, outcome).append(row)

    def of(self, outcome: str, what: str) -> list:
        return [row for row in getattr(self, outcome) if row[0] == what]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_together(workers) -> None:
    """Each worker (a callable) in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(workers))
    failures = []

    def run(worker):
        try:
            barrier.wait(timeout=30)
            worker()
        except Exception as error:  # a worker's own mistake, reported below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), (
        "a thread is still waiting: a lock was never released"
    )
    assert not failures, failures


# --- what each person does ---------------------------------------------------------------------------


def progress_editor(number: int, user, records, tally: Tally):
    client = signed_in(user)
    rng = random.Random(number)

    def work():
        for round_ in range(ROUNDS):
            record = rng.choice(records)
            url = reverse("plan:progress_edit", args=[YEAR, record.measure.number])
            marker = f"[進捗{number}-{round_}]"
            try:
                page = client.get(url)
                assert page.status_code == 200, page.status_code
                response = client.post(
                    url,
                    {
                        "expected_version": form_value(page, "expected_version"),
                        "assessment": rng.choice(["on_track", "delayed", "completed"]),
                        "direction": rng.choice(["continue", "expand"]),
                        "achievements": f"研修を実施した。{marker}",
                        "issues": "",
                        "next_steps": "",
                    },
                )
            except Exception as error:  # a server error: the client re-raises it
                tally.add("errors", user.username, repr(error))
                continue
            if response.status_code == 302:
                tally.add("saved", "progress", record.pk, marker, None)
            elif response.status_code == 409:
                tally.add("refused", "progress", record.pk, marker, None)
            else:
                tally.add("errors", user.username, f"progress answered {response.status_code}")

    return work


def return_data(version, action, marker) -> dict:
    """A complete return as the form sends it (tests/municipalities/test_officer_pages.py's)."""
    return {
        "expected_version": str(version),
        "action": action,
        "plan_status": "made",
        "plan_made_on": "2025-03-01",
        "plan_name": "困難な問題を抱える女性への支援のための基本計画",
        "plan_period_start": "2025",
        "plan_period_end": "2029",
        "council_status": "set_up",
        "council_set_up_on": "2024-10-01",
        "council_has_representatives": "on",
        "council_has_practitioners": "on",
        "council_representatives_meetings": "1",
        "council_practitioners_meetings": "4",
        "council_private_participation": "no",
        "workers_placement": "placed",
        "workers_full_time": "2",
        "workers_part_time": "3",
        "workers_trained": "4",
        "requests_to_metro": f"研修の回数を増やしてほしい。{marker}",
    }


def officer(number: int, user, annual_return, tally: Tally):
    """Opens the return, saves it, and every third time submits it. When the page is read-only
    (submitted, accepted) the officer either withdraws the submission (取下げ) or posts a save
    all the same, from the version last seen: a page left open while a colleague submitted. Such a
    save must be refused, not lost or half-made."""
    client = signed_in(user)
    url = reverse("municipalities:officer_return", args=[annual_return.pk])
    withdraw_url = reverse("municipalities:officer_return_withdraw", args=[annual_return.pk])

    def work():
        version = 1
        for round_ in range(ROUNDS):
            action = "submit" if round_ % 3 == 2 else "save"
            marker = f"[報告{number}-{round_}]"
            try:
                page = client.get(url)
                assert page.status_code == 200, page.status_code
                if select(page, 'input[name="expected_version"]'):
                    version = form_value(page, "expected_version")
                elif round_ % 2 == 0:
                    client.cookies.pop("messages", None)  # only this answer's message is read
                    response = client.post(withdraw_url, {"confirm": "yes"})
                    assert response.status_code == 302, response.status_code
                    shown = [str(message) for message in get_messages(response.wsgi_request)]
                    done = any("提出を取下げました" in message for message in shown)
                    tally.add("saved" if done else "refused", "withdraw", annual_return.pk, None, None)
                    continue
                response = client.post(url, return_data(version, action, marker))
            except Exception as error:
                tally.add("errors", user.username, repr(error))
                continue
            if response.status_code == 302:
                tally.add("saved", "return", annual_return.pk, marker, action)
            elif response.status_code == 409:
                tally.add("refused", "return", annual_return.pk, marker, action)
            else:
                tally.add("errors", user.username, f"return answered {response.status_code}")

    return work


def secretariat(number: int, user, returns, tally: Tally):
    """Picks a return the round's page lists as submitted (any, when none is) and sends it back
    or accepts it, in turn. One accepted, sent back or withdrawn by someone else
    a moment ago is refused with the reason, as the page shows it."""
    client = signed_in(user)
    rng = random.Random(1000 + number)

    def work():
        for round_ in range(ROUNDS):
            try:
                # The round's page first, as the secretariat works from its list of returns.
                page = client.get(reverse("municipalities:review_round", args=[YEAR]))
                assert page.status_code == 200, page.status_code
                listed = [
                    annual_return
                    for annual_return in returns
                    if AnnualReturn.objects.filter(pk=annual_return.pk, state=ReturnState.SUBMITTED).exists()
                ]
                annual_return = rng.choice(listed or returns)
                # The last answer's message has been read (a browser would have shown it on the page
                # the redirect leads to): only this answer's message is looked at below.
                client.cookies.pop("messages", None)
                if round_ % 2 == 0:
                    action = "send_back"
                    response = client.post(
                        reverse("municipalities:review_send_back", args=[annual_return.pk]),
                        {"comment": "計画期間を確認してください。"},
                    )
                    done = response.status_code == 302
                    assert done or response.status_code == 400, response.status_code
                else:
                    action = "accept"
                    response = client.post(reverse("municipalities:review_accept", args=[annual_return.pk]))
                    assert response.status_code == 302, response.status_code
                    shown = [str(message) for message in get_messages(response.wsgi_request)]
                    done = any("受理しました" in message for message in shown)
            except Exception as error:
                tally.add("errors", user.username, repr(error))
                continue
            tally.add("saved" if done else "refused", action, annual_return.pk, None, None)

    return work


# --- the test ------------------------------------------------------------------------------------------


def test_twenty_people_at_once_lose_nothing_and_do_nothing_twice():
    plan = Plan.objects.current()
    progress_year_start(plan=plan, fiscal_year=YEAR, user=None)
    bureau = [
        UserFactory(username=f"bureau-{n}", role=Role.BUREAU_STAFF, departments=[welfare_division()])
        for n in range(PROGRESS_EDITORS // 2)
    ]
    admins = [
        UserFactory(username=f"secretariat-{n}", role=Role.PLAN_ADMIN) for n in range(PROGRESS_EDITORS // 2)
    ]
    records = list(
        progress_editable_by(bureau[0])
        .filter(fiscal_year=YEAR)
        .select_related("measure")
        .order_by("measure__number")
    )[:RECORDS]
    assert len(records) == RECORDS

    round_ = open_round(YEAR, admins[0])
    returns = list(AnnualReturn.objects.filter(round=round_, municipality__name__in=MUNICIPALITIES))
    officers = [
        (
            UserFactory(
                username=f"officer-{n}", role=Role.MUNICIPAL_OFFICER, municipality=municipality(name)
            ),
            name,
        )
        for n, name in enumerate(MUNICIPALITIES * (OFFICERS // len(MUNICIPALITIES)))
    ]
    return_of = {annual_return.municipality.name: annual_return for annual_return in returns}
    before = {
        annual_return.pk: (annual_return.version, AnnualReturn.history.filter(id=annual_return.pk).count())
        for annual_return in returns
    }
    assert all(version == 1 for version, _ in before.values())
    assert all(record.version == 1 and record.history.count() == 1 for record in records)

    tally = Tally()
    workers = [
        *[progress_editor(n, user, records, tally) for n, user in enumerate(bureau + admins)],
        *[officer(n, user, return_of[name], tally) for n, (user, name) in enumerate(officers)],
        *[secretariat(n, user, returns, tally) for n, user in enumerate(admins[:SECRETARIAT])],
    ]
    assert len(workers) == 20
    run_together(workers)

    assert tally.errors == [], tally.errors[:5]

    # --- progress: every confirmed save in history once, every refused one nowhere -----------------
    lost = 0
    for record in records:
        record.refresh_from_db()
        saved = [marker for _, pk, marker, _ in tally.of("saved", "progress") if pk == record.pk]
        refused = [marker for _, pk, marker, _ in tally.of("refused", "progress") if pk == record.pk]
        entries = list(record.history.order_by("history_date", "history_id"))
        assert [entry.version for entry in entries] == list(range(1, record.version + 1))
        assert record.version == 1 + len(saved)
        in_history = Counter(
            marker for entry in entries for marker in saved + refused if marker in entry.achievements
        )
        lost += sum(1 for marker in saved if in_history[marker] != 1)
        assert all(in_history[marker] == 0 for marker in refused)
    assert lost == 0

    # --- returns: history and log match what people were told; accepted at most once ---------------
    for annual_return in returns:
        annual_return.refresh_from_db()
        saves = [row for row in tally.of("saved", "return") if row[1] == annual_return.pk]
        refused = [row for row in tally.of("refused", "return") if row[1] == annual_return.pk]
        transitions = list(ReturnTransition.objects.filter(annual_return=annual_return).order_by("at", "id"))
        steps = Counter(transition.to_state for transition in transitions)
        # One unbroken chain from 作成中 to the state now.
        states = [ReturnState.DRAFT] + [transition.to_state for transition in transitions]
        assert [transition.from_state for transition in transitions] == states[:-1]
        assert states[-1] == annual_return.state
        # Each confirmed submission, acceptance and sending back is one step of the log, no more.
        assert steps[ReturnState.SUBMITTED] == sum(1 for row in saves if row[3] == "submit")
        accepted = [row for row in tally.of("saved", "accept") if row[1] == annual_return.pk]
        sent_back = [row for row in tally.of("saved", "send_back") if row[1] == annual_return.pk]
        assert steps[ReturnState.ACCEPTED] == len(accepted) <= 1
        assert steps[ReturnState.SENT_BACK] == len(sent_back)
        withdrawn = [row for row in tally.of("saved", "withdraw") if row[1] == annual_return.pk]
        assert steps[ReturnState.DRAFT] == len(withdrawn)
        assert (annual_return.state == ReturnState.ACCEPTED) == bool(accepted)
        # Every save and step raised the version by one and wrote one history entry.
        version, entries = before[annual_return.pk]
        assert annual_return.version == version + len(saves) + len(transitions)
        history = AnnualReturn.history.filter(id=annual_return.pk)
        assert history.count() == entries + len(saves) + len(transitions)
        texts = list(history.values_list("requests_to_metro", flat=True))
        for _, _, marker, _ in saves:
            if sum(marker in text for text in texts) == 0:
                lost += 1
        assert all(not any(marker in text for text in texts) for _, _, marker, _ in refused)
    assert lost == 0

    figures = {
        "progress saved": len(tally.of("saved", "progress")),
        "progress refused as conflicts": len(tally.of("refused", "progress")),
        "return saves": len(tally.of("saved", "return")),
        "return saves refused": len(tally.of("refused", "return")),
        "returns accepted": len(tally.of("saved", "accept")),
        "accepts refused": len(tally.of("refused", "accept")),
        "sent back": len(tally.of("saved", "send_back")),
        "sending back refused": len(tally.of("refused", "send_back")),
        "withdrawn": len(tally.of("saved", "withdraw")),
        "withdrawals refused": len(tally.of("refused", "withdraw")),
        "lost": lost,
        "server errors": len(tally.errors),
    }
    total = sum(value for name, value in figures.items() if name not in ("lost", "server errors"))
    assert total == (PROGRESS_EDITORS + OFFICERS + SECRETARIAT) * ROUNDS
    print("\nconcurrency:", figures)
    # The crowd did collide: some saves were refused as conflicts, and some went through.
    assert figures["progress saved"] and figures["progress refused as conflicts"]
    assert figures["return saves"] and figures["return saves refused"]
