"""操作ガイド (issue 15 item 7): each role finds its own guide from the header, every screenshot a
guide shows exists (tests/browser/test_help_screenshots.py regenerates them), and only signed-in
users with a role read them."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from config.help_views import TOPICS
from tests.html import link_targets, select, select_one, text_of

REGENERATE = (
    "REGENERATE_HELP_SCREENSHOTS=1 .venv/bin/pytest -m browser tests/browser/test_help_screenshots.py"
)

OWN_GUIDE = {
    "bureau_staff": ("progress", "施策の進捗を記録する"),
    "case_handler": ("progress", "施策の進捗を記録する"),
    "municipal_officer": ("returns", "取組状況の報告を提出する"),
    "other_officer": ("returns", "取組状況の報告を提出する"),
    "plan_admin": ("secretariat", "報告を確認し、推進委員会資料を用意する"),
    "viewer": ("reading", "計画の進み具合を見る"),
}
STATIC_DIR = Path(settings.BASE_DIR) / "static"
STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")


@pytest.mark.parametrize("who", sorted(OWN_GUIDE))
def test_each_role_finds_its_guide_from_the_header(db, client, request, who):
    client.force_login(request.getfixturevalue(who))
    home = client.get(reverse("home"))
    assert reverse("help") in link_targets(select_one(home, ".site-header"), "操作ガイド")
    index = client.get(reverse("help"))
    assert index.status_code == 200
    slug, title = OWN_GUIDE[who]
    own = select_one(index, "#help-own")
    assert link_targets(own, title) == [reverse("help_topic", kwargs={"topic": slug})]
    guide = client.get(reverse("help_topic", kwargs={"topic": slug}))
    assert guide.status_code == 200
    assert text_of(select_one(guide, "h1")) == title


@pytest.mark.parametrize("topic", [topic.slug for topic in TOPICS])
def test_every_guide_renders_with_its_screenshots(client, viewer, topic):
    client.force_login(viewer)
    response = client.get(reverse("help_topic", kwargs={"topic": topic}))
    assert response.status_code == 200
    for image in select(response, "main img"):
        source = image.attrs["src"]
        assert source.startswith(STATIC_PREFIX + "help/") and source.endswith(".png")
        assert (STATIC_DIR / source.removeprefix(STATIC_PREFIX)).is_file(), f"{source}: run {REGENERATE}"
        assert image.attrs.get("alt"), source  # described for those who cannot see it


def test_the_index_lists_every_guide(client, viewer):
    client.force_login(viewer)
    targets = link_targets(client.get(reverse("help")))
    for topic in TOPICS:
        assert reverse("help_topic", kwargs={"topic": topic.slug}) in targets


def test_anonymous_users_go_to_the_login(client, db):
    for url in (reverse("help"), reverse("help_topic", kwargs={"topic": "returns"})):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_account_without_a_role_is_refused(client, no_role):
    client.force_login(no_role)
    assert client.get(reverse("help")).status_code == 403
    assert client.get(reverse("help_topic", kwargs={"topic": "progress"})).status_code == 403
    assert "操作ガイド" not in text_of(select_one(client.get(reverse("help")), "header"))


def test_an_unknown_guide_is_not_found(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("help_topic", kwargs={"topic": "nothing"})).status_code == 404
