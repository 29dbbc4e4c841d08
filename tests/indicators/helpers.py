"""Building indicator data on factory rows: returns in each state (only the municipalities a test
names, not a whole round of 62), providers and partners, case reviews, the secretariat."""

import datetime

from meetings.models import OrganizationRole
from municipalities import services as return_services
from municipalities.models import AnnualReturn, Municipality, ReturnRound
from tests.meetings.factories import OrganizationFactory, OrganizationRoleFactory
from tests.municipalities.factories import accepted, deadline_for, save, secretariat, submitted


def return_for(year: int, name: str) -> AnnualReturn:
    """The municipality's return in the year's round (a draft, made with its round if missing)."""
    round, _ = ReturnRound.objects.get_or_create(
        fiscal_year=year, defaults={"deadline": deadline_for(year), "opened_by": secretariat()}
    )
    annual_return, _ = AnnualReturn.objects.get_or_create(round=round, municipality=Municipality.objects.get(name=name))
    return annual_return


def accept(year: int, name: str, **answers) -> AnnualReturn:
    """The municipality's return for the year, completed with `answers`, submitted and accepted."""
    return accepted(return_for(year, name), secretariat(), **answers)


def submit(year: int, name: str, **answers) -> AnnualReturn:
    return submitted(return_for(year, name), secretariat(), **answers)


def send_back(year: int, name: str, **answers) -> AnnualReturn:
    annual_return = submit(year, name, **answers)
    return return_services.annual_return_send_back(annual_return=annual_return, comment="確認してください。", user=secretariat())


def draft(year: int, name: str, **answers) -> AnnualReturn:
    return save(return_for(year, name), secretariat(), **answers)


def reopen_and_accept(annual_return: AnnualReturn, **answers) -> AnnualReturn:
    """An accepted return reopened by the secretariat, corrected and accepted again."""
    reopened = return_services.annual_return_reopen(annual_return=annual_return, reason="数値の訂正", user=secretariat())
    return accepted(reopened, secretariat(), **answers)


def organization_with_role(role, start=datetime.date(2024, 4, 1), end=None, **organization):
    org = OrganizationFactory(**organization)
    OrganizationRoleFactory(organization=org, role=role, start_date=start, end_date=end)
    return org


def provider(**kwargs):
    return organization_with_role(OrganizationRole.Kind.TEMPORARY_PROTECTION, **kwargs)


def metro_partner(**kwargs):
    return organization_with_role(OrganizationRole.Kind.METRO_PARTNER, **kwargs)


def municipal_partner(**kwargs):
    return organization_with_role(OrganizationRole.Kind.MUNICIPAL_PARTNER, **kwargs)
