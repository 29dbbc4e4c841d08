import pytest

from indicators.reference_data import load_indicators


@pytest.fixture
def indicators_data(db):
    """The six indicators from fixtures/indicators.yaml (a no-op if already loaded)."""
    return load_indicators()
