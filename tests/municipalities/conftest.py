import pytest

from municipalities.reference_data import load_municipalities


@pytest.fixture
def municipalities_data(db):
    """The 62 municipalities from fixtures/municipalities.csv (a no-op if already loaded)."""
    return load_municipalities()
