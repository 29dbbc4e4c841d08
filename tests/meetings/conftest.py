import pytest

from meetings.reference_data import load_bodies


@pytest.fixture
def bodies_data(db):
    """The promotion committee and the support coordination council from fixtures/meeting_bodies.yaml."""
    return load_bodies()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded minutes go to a folder of the test's own, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
