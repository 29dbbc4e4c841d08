"""操作ガイド (issue 15 item 7): a short guide per role, linked from the header.

Every signed-in user with a role reads every guide (they explain the screens, nothing more; a
bureau's staff may help a colleague in another role); /help/ puts the user's own guide first.
The screenshots are PNG files under static/help/ that tests/browser/test_help_screenshots.py
regenerates (REGENERATE_HELP_SCREENSHOTS=1), so they follow the screens.
"""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plan.access import any_role_required
from plan.accounts.roles import Role, role_of


@dataclass(frozen=True)
class HelpTopic:
    slug: str
    title: str
    audience: str  # who the guide is for, in the users' words
    summary: str
    role: Role  # the role whose guide it is (the index puts it first for them)

    @property
    def template(self) -> str:
        return f"help/{self.slug}.html"


TOPICS = [
    HelpTopic(
        "progress",
        "施策の進捗を記録する",
        "所管局の職員の方",
        "所管の施策の実績・課題・今後の取組を、年度ごとに記録する手順です。",
        Role.BUREAU_STAFF,
    ),
    HelpTopic(
        "returns",
        "取組状況の報告を提出する",
        "区市町村の担当者の方",
        "毎年度の取組状況の報告を入力し、提出する手順です。",
        Role.MUNICIPAL_OFFICER,
    ),
    HelpTopic(
        "secretariat",
        "報告を確認し、推進委員会資料を用意する",
        "事務局（計画管理者）の方",
        "区市町村の報告の確認・受理と、推進委員会の資料の作成・印刷の手順です。",
        Role.PLAN_ADMIN,
    ),
    HelpTopic(
        "reading",
        "計画の進み具合を見る",
        "推進委員・閲覧者の方",
        "施策の進捗、指標、区市町村の取組状況、会議を見る方法と、資料の印刷の方法です。",
        Role.VIEWER,
    ),
]
TOPICS_BY_SLUG = {topic.slug: topic for topic in TOPICS}


def topic_for(user) -> HelpTopic | None:
    role = role_of(user)
    return next((topic for topic in TOPICS if topic.role == role), None)


@require_GET
@any_role_required
def help_index(request):
    own = topic_for(request.user)
    others = [topic for topic in TOPICS if topic != own]
    return render(request, "help/index.html", {"own": own, "others": others})


@require_GET
@any_role_required
def help_topic(request, topic: str):
    chosen = TOPICS_BY_SLUG.get(topic)
    if chosen is None:
        raise Http404("そのような操作ガイドはありません。")
    return render(
        request,
        chosen.template,
        {"topic": chosen, "topics": TOPICS, "is_own": chosen == topic_for(request.user)},
    )
