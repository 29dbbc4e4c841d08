"""`make run`'s demo data: an account per role, and the FY2025 returns round with returns in every
state, where the demo officers go straight to their municipality's return."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from municipalities.models import AnnualReturn, ReturnRound, ReturnState
from plan.models import User
from tests.html import parse, select_one, text_of

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2024"


@pytest.fixture
def demo():
    call_command("create_demo_users", verbosity=0)
    out = StringIO()
    call_command("create_demo_returns", stdout=out)
    return out.getvalue()


def signed_in(client, username):
    """Through the login form with the password the README gives."""
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def test_the_fy2025_round_has_returns_in_every_state(demo):
    round = ReturnRound.objects.get(fiscal_year=2025)
    assert round.closed_at is None
    states = {state: AnnualReturn.objects.filter(round=round, state=state).count() for state in ReturnState}
    assert all(states.values()), states
    assert sum(states.values()) == 62
    assert "受理 10件" in demo
    assert "【デモ】" in round.message


def test_running_it_again_changes_nothing(demo):
    before = list(AnnualReturn.objects.order_by("pk").values_list("pk", "state", "version"))
    out = StringIO()
    call_command("create_demo_returns", stdout=out)
    assert "既にあります" in out.getvalue()
    assert list(AnnualReturn.objects.order_by("pk").values_list("pk", "state", "version")) == before


def test_the_shinjuku_officer_goes_straight_to_a_return_to_fill_in(demo, client):
    home = parse(signed_in(client, "officer").get("/").content)
    card = select_one(home, "section[aria-labelledby=officer-returns-heading]")
    assert "作成中" in text_of(card)
    return_ = AnnualReturn.objects.get(round__fiscal_year=2025, municipality__name="新宿区")
    assert return_.state == ReturnState.DRAFT
    assert select_one(card, f"a[href='/returns/{return_.pk}/']") is not None
    page = client.get(f"/returns/{return_.pk}/")
    assert page.status_code == 200
    assert "新宿区 令和7年度（2025年度）の取組状況の報告" in text_of(parse(page.content))


def test_the_hachioji_officer_finds_the_secretariats_comment(demo, client):
    return_ = AnnualReturn.objects.get(round__fiscal_year=2025, municipality__name="八王子市")
    assert return_.state == ReturnState.SENT_BACK
    page = text_of(parse(signed_in(client, "officer2").get(f"/returns/{return_.pk}/").content))
    assert "実務者会議の開催回数をご確認ください" in page
    home = parse(client.get("/").content)
    assert "差戻し" in text_of(select_one(home, "section[aria-labelledby=officer-returns-heading]"))


def test_the_secretariat_sees_the_round_and_its_matrix(demo, client):
    signed_in(client, "admin")
    assert client.get("/returns/rounds/2025/").status_code == 200
    assert client.get("/returns/rounds/2025/matrix/").status_code == 200


def test_refused_in_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="本番環境"):
        call_command("create_demo_returns", verbosity=0)
    assert not ReturnRound.objects.exists()


def test_needs_the_demo_accounts_first():
    assert not User.objects.exists()
    with pytest.raises(CommandError, match="create_demo_users"):
        call_command("create_demo_returns", verbosity=0)
