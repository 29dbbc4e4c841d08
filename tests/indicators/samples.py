"""Sample rows for the project's access table (tests/test_access_table.py), so that every
indicators admin page is opened with a real object, written through the services."""

from indicators import services
from indicators.models import FiscalYearClosure, Indicator
from tests.municipalities.factories import secretariat

CLOSED_YEAR = 2024


def ensure_indicator_samples() -> None:
    """Idempotent: FY2024's figures of the center entered and the year closed (which writes a
    value per indicator), and a value entered for FY2025."""
    if FiscalYearClosure.objects.filter(fiscal_year=CLOSED_YEAR).exists():
        return
    user = secretariat()
    services.metro_trained_workers_set(
        fiscal_year=CLOSED_YEAR, center_workers=12, welfare_office_workers=3, source_note="研修受講者名簿", user=user
    )
    services.fiscal_year_close(fiscal_year=CLOSED_YEAR, user=user)
    services.indicator_value_enter(
        indicator=Indicator.objects.get(number=2), fiscal_year=2025, value=40, source="事業概要", user=user
    )
