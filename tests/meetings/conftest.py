import pytest

from meetings.reference_data import load_bodies


@pytest.fixture
def bodies_data(db):
    """The promotion committee and the support coordination council from fixtures/meeting_bodies.yaml."""
    return load_bodies()
