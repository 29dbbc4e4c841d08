"""Two officers of one municipality acting on its return at the same moment, on PostgreSQL.

Each thread has its own database connection and transaction; a barrier releases them together, so
both read the return at the same version before either writes. The services lock the return
(SELECT … FOR UPDATE): exactly one wins, the other waits, then sees what the first did and is told
so in Japanese; nothing either of them saved is lost.

SQLite has no row locks (it locks the whole database file), so these run on PostgreSQL only: CI's
PostgreSQL run, where nothing may skip.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from municipalities import services
from municipalities.models import AnnualReturn, ReturnState, ReturnTransition
from tests.factories import Role, UserFactory, municipality
from tests.municipalities.factories import complete_values, open_round, return_of, save

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Row locks (SELECT … FOR UPDATE) are what this tests, and SQLite has none: "
            "run with DATABASE_URL=postgres://… (CI's PostgreSQL run does)."
        )


@pytest.fixture
def officers(reference_data):
    shinjuku = municipality("新宿区")
    return (
        UserFactory(username="officer-a", role=Role.MUNICIPAL_OFFICER, municipality=shinjuku),
        UserFactory(username="officer-b", role=Role.MUNICIPAL_OFFICER, municipality=shinjuku),
    )


@pytest.fixture
def secretariat(reference_data):
    return UserFactory(username="secretariat-c", role=Role.PLAN_ADMIN)


def at_the_same_moment(*actions):
    """Run each action in its own thread (own connection, own transaction), released together.
    Returns each action's result or the exception it raised, in order."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                outcomes[index] = action()
        except Exception as error:  # the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting: a lock was never released"
    return outcomes


def test_two_officers_submitting_at_once_give_one_submission(officers, secretariat):
    first, second = officers
    draft = return_of(open_round(2025, secretariat))
    saved = save(draft, first, **complete_values())
    version = saved.version

    outcomes = at_the_same_moment(
        lambda: services.annual_return_submit(
            annual_return=AnnualReturn.objects.get(pk=saved.pk), expected_version=version, user=first
        ),
        lambda: services.annual_return_submit(
            annual_return=AnnualReturn.objects.get(pk=saved.pk), expected_version=version, user=second
        ),
    )

    wins = [outcome for outcome in outcomes if isinstance(outcome, AnnualReturn)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(wins) == 1 and len(refusals) == 1, outcomes
    message = refusals[0].messages[0]
    assert message.startswith("この報告は既に") and "提出しています" in message
    stored = AnnualReturn.objects.get(pk=saved.pk)
    assert stored.state == ReturnState.SUBMITTED and stored.submitted_by == wins[0].submitted_by
    assert stored.version == version + 1
    assert ReturnTransition.objects.filter(annual_return=stored, to_state=ReturnState.SUBMITTED).count() == 1
    # Nothing lost: the answers are the ones saved before.
    assert stored.plan_name == complete_values()["plan_name"] and stored.workers_full_time == 2


def test_two_officers_saving_the_same_draft_at_once_lose_nothing(officers, secretariat):
    first, second = officers
    draft = return_of(open_round(2025, secretariat))
    version = draft.version

    def save_as(user, text):
        return lambda: services.annual_return_save_draft(
            annual_return=AnnualReturn.objects.get(pk=draft.pk),
            values={"requests_to_metro": text},
            expected_version=version,
            user=user,
        )

    outcomes = at_the_same_moment(save_as(first, "Aさんの要望"), save_as(second, "Bさんの要望"))

    wins = [outcome for outcome in outcomes if isinstance(outcome, AnnualReturn)]
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, services.ReturnConflict)]
    assert len(wins) == 1 and len(conflicts) == 1, outcomes
    assert "あなたの入力は消えていません" in conflicts[0].message
    stored = AnnualReturn.objects.get(pk=draft.pk)
    assert stored.version == version + 1 and stored.requests_to_metro == wins[0].requests_to_metro


def test_a_withdrawal_and_the_secretariat_opening_it_at_once(officers, secretariat):
    """Whichever comes first decides: withdrawn (then not opened), or opened (then not withdrawn)."""
    first, _ = officers
    draft = return_of(open_round(2025, secretariat))
    saved = save(draft, first, **complete_values())
    returned = services.annual_return_submit(annual_return=saved, expected_version=saved.version, user=first)

    outcomes = at_the_same_moment(
        lambda: services.annual_return_withdraw(annual_return=AnnualReturn.objects.get(pk=returned.pk), user=first),
        lambda: services.annual_return_mark_opened(
            annual_return=AnnualReturn.objects.get(pk=returned.pk), user=secretariat
        ),
    )

    stored = AnnualReturn.objects.get(pk=returned.pk)
    withdrawn, opened = outcomes
    if isinstance(withdrawn, AnnualReturn):
        assert isinstance(opened, ValidationError) and stored.state == ReturnState.DRAFT
        assert stored.opened_by_secretariat_at is None
    else:
        assert isinstance(withdrawn, ValidationError) and "事務局が確認を始めたため" in withdrawn.messages[0]
        assert stored.state == ReturnState.SUBMITTED and stored.opened_by_secretariat_at is not None
