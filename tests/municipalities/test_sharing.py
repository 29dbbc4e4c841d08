"""Sharing back with the municipalities (seed 000; measure 104): every municipality's plan and
council status for every role, structured answers only; the good practices the secretariat writes
from accepted returns and publishes; who may see and change what, CSRF, and a fixed number of
queries whatever the number of rows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from meetings.models import Organization, OrganizationRole
from municipalities import services
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    GoodPractice,
    Municipality,
    PlanStatus,
)
from plan.accounts.roles import Role
from tests.factories import UserFactory, municipality
from tests.html import (
    field_errors,
    form_value,
    link_targets,
    rows_of,
    section,
    select,
    select_one,
    source_of,
    text_of,
)
from tests.municipalities.factories import (
    YEAR,
    AnnualReturnFactory,
    ReturnRoundFactory,
    accepted,
    open_round,
    return_of,
    save,
    submitted,
)
from tests.municipalities.test_secretariat_pages import add_municipalities
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

STATE_LABELS = ["作成中", "提出済み", "差戻し"]


def status_url(year=YEAR):
    return reverse("municipalities:shared_status", args=[year])


PRACTICES_URL = reverse("municipalities:shared_practices")


def create_url(annual_return):
    return reverse("municipalities:review_practice_create", args=[annual_return.pk])


def edit_url(practice):
    return reverse("municipalities:review_practice_edit", args=[practice.pk])


def signed_in(client, user):
    client.force_login(user)
    return client


def row_for(response, name):
    return [
        text_of(cell) for cell in select_one(response, f"tr#municipality-{municipality(name).code}").elements
    ]


def messages_of(response):
    return [text_of(item) for item in select(response, "ul.messages li")]


@pytest.fixture
def round_(plan_admin):
    return open_round(YEAR, user=plan_admin)


# --- free text that must never be shared ----------------------------------------------------------------

FREE_TEXT_FIELDS = [
    "plan_name",
    "integrated_plan_name",
    "plan_not_planned_reason",
    "council_existing_name",
    "council_new_organization_names",
    "council_not_set_up_reason",
    "workers_trained_explanation",
    "collaboration_note",
    "requests_to_metro",
]


def markers_for(tag: str) -> dict:
    """A unique string in every free-text answer, for the municipality tagged `tag`."""
    return {name: f"ZQX{tag}{name}" for name in FREE_TEXT_FIELDS}


def accepted_with_markers(round, name, officer, admin, tag) -> tuple[AnnualReturn, list[str]]:
    """The municipality's return accepted with a marker in every free-text answer, in the names of
    the organisations it chose, and in the secretariat's send-back comment on its way. Returns the
    return and every marker."""
    markers = markers_for(tag)
    council_org = Organization.objects.create(name=f"ZQX{tag}council_org", kind=Organization.Kind.PRIVATE)
    collaboration_org = Organization.objects.create(
        name=f"ZQX{tag}collaboration_org", kind=Organization.Kind.PRIVATE
    )
    comment = f"ZQX{tag}send_back_comment"
    annual_return = submitted(
        return_of(round, name),
        officer,
        **markers,
        council_private_participation="yes",
        council_organizations=[council_org],
        collaboration_organizations=[collaboration_org],
    )
    sent_back = services.annual_return_send_back(annual_return=annual_return, comment=comment, user=admin)
    again = services.annual_return_submit(
        annual_return=sent_back, expected_version=sent_back.version, user=officer
    )
    done = services.annual_return_accept(annual_return=again, user=admin)
    return done, [*markers.values(), council_org.name, collaboration_org.name, comment]


# --- the shared status page ----------------------------------------------------------------------------


class TestSharedStatus:
    def test_every_municipality_grouped_by_region_in_code_order(self, client, round_, municipal_officer):
        response = signed_in(client, municipal_officer).get(status_url())
        assert response.status_code == 200
        assert text_of(select_one(response, "h1")) == "区市町村の取組状況 令和7年度（2025年度）末時点"
        codes = [
            row.get("id").removeprefix("municipality-") for row in select(response, "tr[id^='municipality-']")
        ]
        assert len(codes) == 62
        assert codes == sorted(codes)
        assert not select(response, "nav.pagination")  # Tokyo's 62 on one page (issue 13)
        for region, label in Municipality.Region.choices:
            count = Municipality.objects.filter(region=region).count()
            part = section(response, f"{label} {count}団体")
            assert len(select(part, "tbody tr")) == count

    def test_shows_the_structured_status_of_accepted_returns_only(
        self, client, round_, municipal_officer, other_officer, plan_admin
    ):
        accepted(return_of(round_), municipal_officer, plan_admin)
        accepted(
            return_of(round_, "八王子市"),
            other_officer,
            plan_admin,
            plan_status=PlanStatus.IN_PROGRESS,
            plan_made_on=None,
            plan_period_start=None,
            plan_period_end=None,
            plan_expected_fiscal_year=2026,
            council_status=CouncilStatus.EXISTING,
            council_existing_name="要保護児童対策地域協議会",
            council_has_representatives=False,
            council_representatives_meetings=None,
            council_has_case_review=True,
        )
        response = signed_in(client, other_officer).get(status_url())
        assert row_for(response, "新宿区") == [
            "新宿区",
            "令和7年度末",
            "策定済み",
            "令和7年度〜令和11年度（2025〜2029年度）",
            "設置済み",
            "○",
            "○",
            "—",
        ]
        assert row_for(response, "八王子市") == [
            "八王子市",
            "令和7年度末",
            "策定中",
            "—",
            "既存の会議を活用",
            "—",
            "○",
            "○",
        ]
        assert row_for(response, "港区") == ["港区", "情報なし"]
        # The existing council's name is free text: not shared.
        assert "要保護児童対策地域協議会" not in source_of(response)

    def test_officers_of_both_municipalities_never_see_free_text(
        self, client, round_, municipal_officer, other_officer, plan_admin
    ):
        _, shinjuku_markers = accepted_with_markers(
            round_, "新宿区", municipal_officer, plan_admin, "shinjuku"
        )
        _, hachioji_markers = accepted_with_markers(round_, "八王子市", other_officer, plan_admin, "hachioji")
        for officer, others in ((municipal_officer, hachioji_markers), (other_officer, shinjuku_markers)):
            response = signed_in(Client(), officer).get(status_url())
            page = source_of(response)
            # The other municipality's status is shared …
            assert (
                row_for(response, "八王子市")[2] == "策定済み"
                and row_for(response, "新宿区")[2] == "策定済み"
            )
            # … and none of its free text, organisations' names or the secretariat's comments.
            assert [marker for marker in others if marker in page] == []
            assert "ZQX" not in page  # nor the officer's own (the page shows none)

    def test_never_the_workflow_state_and_only_accepted_information_counts(
        self, client, round_, municipal_officer, other_officer, plan_admin
    ):
        # 新宿区 sent back, 八王子市 submitted, 港区 a saved draft: none is accepted.
        sent = submitted(return_of(round_), municipal_officer)
        services.annual_return_send_back(annual_return=sent, comment="確認してください。", user=plan_admin)
        submitted(return_of(round_, "八王子市"), other_officer)
        save(return_of(round_, "港区"), plan_admin, plan_status=PlanStatus.MADE)
        response = signed_in(client, municipal_officer).get(status_url())
        for name in ("新宿区", "八王子市", "港区"):
            assert row_for(response, name) == [name, "情報なし"]
        main = text_of(select_one(response, "main"))
        assert [label for label in STATE_LABELS if label in main] == []
        assert rows_of(select_one(response, "#shared-totals"))[0] == ["受理された報告がある団体", "0/62"]

    def test_a_reopened_return_falls_back_to_the_year_before(self, client, plan_admin, municipal_officer):
        last_year = open_round(2024, user=plan_admin)
        accepted(return_of(last_year), municipal_officer, plan_admin, council_has_case_review=True)
        this_year = open_round(YEAR, user=plan_admin)
        reopened = accepted(
            return_of(this_year),
            municipal_officer,
            plan_admin,
            council_has_practitioners=False,
            council_practitioners_meetings=None,
        )
        services.annual_return_reopen(annual_return=reopened, reason="誤りがありました。", user=plan_admin)
        response = signed_in(client, municipal_officer).get(status_url())
        row = row_for(response, "新宿区")
        assert row[1] == "令和6年度末"
        assert row[5:] == ["○", "○", "○"]  # last year's tiers, not the reopened return's
        assert select(select_one(response, f"tr#municipality-{municipality('新宿区').code}"), ".badge-stale")

    def test_totals_overall_and_by_region(self, client, round_, municipal_officer, other_officer, plan_admin):
        accepted(return_of(round_), municipal_officer, plan_admin)
        accepted(
            return_of(round_, "八王子市"),
            other_officer,
            plan_admin,
            plan_status=PlanStatus.NOT_PLANNED,
            plan_made_on=None,
            plan_period_start=None,
            plan_period_end=None,
            plan_not_planned_reason="検討中のため",
            council_status=CouncilStatus.NOT_SET_UP,
            council_set_up_on=None,
            council_has_representatives=False,
            council_has_practitioners=False,
            council_representatives_meetings=None,
            council_practitioners_meetings=None,
            council_private_participation="",
            council_expected_fiscal_year=2027,
        )
        response = signed_in(client, municipal_officer).get(status_url())
        assert rows_of(select_one(response, "#shared-totals")) == [
            ["受理された報告がある団体", "2/62"],
            ["基本計画を策定している団体（一体的な策定を含む）", "1"],
            ["支援調整会議を設置している団体（既存の会議の活用を含む）", "1"],
            ["代表者会議を設けている団体", "1"],
            ["実務者会議を設けている団体", "1"],
            ["個別ケース検討会議を設けている団体", "0"],
        ]
        assert row_for(response, "八王子市") == [
            "八王子市",
            "令和7年度末",
            "策定予定なし",
            "—",
            "未設置",
            "—",
            "—",
            "—",
        ]
        tama = select_one(
            section(response, f"多摩 {Municipality.objects.filter(region='多摩').count()}団体"), "tfoot tr"
        )
        assert [text_of(cell) for cell in tama.elements][:5] == [
            "多摩の計",
            "1/30団体",
            "策定 0",
            "",
            "設置 0",
        ]

    def test_the_latest_year_with_accepted_information(self, client, plan_admin, municipal_officer, viewer):
        latest = reverse("municipalities:shared_status_latest")
        signed_in(client, viewer)
        before = client.get(latest)
        assert before.status_code == 302  # nothing accepted yet: the plan's last ended year
        open_round(2024, user=plan_admin)
        accepted(return_of(open_round(YEAR, user=plan_admin)), municipal_officer, plan_admin)
        assert client.get(latest)["Location"] == status_url(YEAR)

    def test_years_outside_the_plan_are_not_found(self, client, viewer):
        signed_in(client, viewer)
        assert client.get(status_url(1999)).status_code == 404
        assert client.get(status_url(2024)).status_code == 200

    def test_the_menu_leads_here(self, client, round_, municipal_officer):
        response = signed_in(client, municipal_officer).get(status_url())
        nav = select_one(response, "nav.site-nav")
        assert link_targets(nav, "区市町村の取組状況") == [reverse("municipalities:shared_status_latest")]
        assert link_targets(nav, "好事例") == [PRACTICES_URL]
        current = [text_of(link) for link in select(nav, "a[aria-current]")]
        assert current == ["区市町村の取組状況"]

    def test_in_pages_of_100_beyond_tokyo_with_totals_over_all(
        self, client, plan_admin, municipal_officer, other_officer
    ):
        """Issue 13: at more municipalities than Tokyo's, 100 a page; the totals stay over all."""
        add_municipalities(250 - 62)
        round = open_round(YEAR, user=plan_admin)
        accepted(return_of(round), municipal_officer, plan_admin)  # 新宿区
        signed_in(client, other_officer)
        in_order = [
            code
            for region in Municipality.Region.values
            for code in Municipality.objects.filter(region=region).order_by("code").values_list("code", flat=True)
        ]
        first = client.get(status_url())
        codes = [row.get("id").removeprefix("municipality-") for row in select(first, "tr[id^='municipality-']")]
        assert codes == in_order[:100]
        nav = select_one(first, "nav.pagination")
        assert "1 / 3 ページ（全 250 件）" in text_of(nav)
        assert [link.get("href") for link in select(nav, "a")] == ["?page=2"]
        last = client.get(status_url(), {"page": 3})
        codes = [row.get("id").removeprefix("municipality-") for row in select(last, "tr[id^='municipality-']")]
        assert codes == in_order[200:]
        for response in (first, last):
            assert rows_of(select_one(response, "#shared-totals"))[0] == ["受理された報告がある団体", "1/250"]


# --- good practices -------------------------------------------------------------------------------------


@pytest.fixture
def shinjuku_accepted(round_, municipal_officer, plan_admin):
    return accepted(return_of(round_), municipal_officer, plan_admin)


def practice(
    annual_return,
    admin,
    *,
    title="夜間の相談窓口",
    body="民間団体と連携して夜間に相談を受けています。",
    publish=False,
):
    written = services.good_practice_create(annual_return=annual_return, title=title, body=body, user=admin)
    return services.good_practice_publish(practice=written, user=admin) if publish else written


class TestPracticesList:
    def test_published_practices_newest_first_with_municipality_and_year(
        self, client, plan_admin, municipal_officer, other_officer
    ):
        last_year = open_round(2024, user=plan_admin)
        older = practice(
            accepted(return_of(last_year, "八王子市"), other_officer, plan_admin),
            plan_admin,
            title="前年度の取組",
            publish=True,
        )
        this_year = open_round(YEAR, user=plan_admin)
        newer = practice(
            accepted(return_of(this_year), municipal_officer, plan_admin),
            plan_admin,
            title="今年度の取組",
            publish=True,
        )
        response = signed_in(client, other_officer).get(PRACTICES_URL)
        assert response.status_code == 200
        titles = [text_of(heading) for heading in select(response, "article.practice h3")]
        assert titles == ["今年度の取組", "前年度の取組"]
        article = select_one(response, f"#practice-{newer.pk}")
        assert "新宿区" in text_of(article) and "令和7年度（2025年度）" in text_of(article)
        assert "民間団体と連携して夜間に相談を受けています。" in text_of(article)
        assert "八王子市" in text_of(select_one(response, f"#practice-{older.pk}"))
        assert link_targets(response, "編集・公開の取消し（今年度の取組）") == []  # officers do not edit

    def test_filter_by_fiscal_year(self, client, plan_admin, municipal_officer, viewer):
        last_year = open_round(2024, user=plan_admin)
        practice(
            accepted(return_of(last_year), municipal_officer, plan_admin),
            plan_admin,
            title="前年度の取組",
            publish=True,
        )
        this_year = open_round(YEAR, user=plan_admin)
        practice(
            accepted(return_of(this_year), municipal_officer, plan_admin),
            plan_admin,
            title="今年度の取組",
            publish=True,
        )
        signed_in(client, viewer)
        response = client.get(PRACTICES_URL, {"year": 2024})
        assert [text_of(heading) for heading in select(response, "article.practice h3")] == ["前年度の取組"]
        assert text_of(select_one(response, "h1")) == "好事例 令和6年度（2024年度）"
        assert select_one(response, "label[for='id_year']")
        unknown = client.get(PRACTICES_URL, {"year": 2010})
        assert unknown.status_code == 200
        assert field_errors(unknown, "year") == [
            "一覧にある年度を選んでください（すべての年度を表示しています）。"
        ]
        assert len(select(unknown, "article.practice")) == 2

    def test_drafts_are_never_shown_to_anyone_but_the_secretariat(
        self, client, shinjuku_accepted, plan_admin, municipal_officer, other_officer, viewer, bureau_staff
    ):
        draft = practice(shinjuku_accepted, plan_admin, title="ZQXdraft-title", body="ZQXdraft-body")
        taken_back = services.good_practice_unpublish(
            practice=practice(shinjuku_accepted, plan_admin, title="ZQXtaken-back", publish=True),
            user=plan_admin,
        )
        for user in (municipal_officer, other_officer, viewer, bureau_staff):
            signed_in(client, user)
            response = client.get(PRACTICES_URL)
            assert response.status_code == 200
            assert "ZQX" not in source_of(response)
            assert select(response, "article.practice") == []
            # Nor by typing the address of its page.
            assert client.get(edit_url(draft)).status_code == 403
            assert client.get(edit_url(taken_back)).status_code == 403
        admin_page = signed_in(client, plan_admin).get(PRACTICES_URL)
        drafts = section(admin_page, "下書き（非公開） 2件")
        assert [row[0] for row in rows_of(drafts)[1:]] == ["ZQXtaken-back", "ZQXdraft-title"]
        assert link_targets(drafts, "ZQXdraft-title") == [edit_url(draft)]

    def test_providers_names_are_masked_for_officers(
        self, client, shinjuku_accepted, plan_admin, municipal_officer
    ):
        provider = Organization.objects.create(name="シェルターあおぞら", kind=Organization.Kind.PRIVATE)
        OrganizationRole.objects.create(
            organization=provider,
            role=OrganizationRole.Kind.TEMPORARY_PROTECTION,
            start_date=datetime.date(2024, 4, 1),
        )
        practice(shinjuku_accepted, plan_admin, body="シェルターあおぞらと連携しています。", publish=True)
        assert "シェルターあおぞら" not in source_of(signed_in(client, municipal_officer).get(PRACTICES_URL))
        assert "シェルターあおぞら" in text_of(signed_in(Client(), plan_admin).get(PRACTICES_URL))


class TestWritingPractices:
    def test_the_review_page_of_an_accepted_return_offers_it(self, plan_admin_client, shinjuku_accepted):
        response = plan_admin_client.get(reverse("municipalities:review_return", args=[shinjuku_accepted.pk]))
        assert link_targets(response, "好事例として登録") == [create_url(shinjuku_accepted)]

    def test_not_offered_for_a_submitted_return(self, plan_admin_client, round_, municipal_officer):
        annual_return = submitted(return_of(round_), municipal_officer)
        response = plan_admin_client.get(reverse("municipalities:review_return", args=[annual_return.pk]))
        assert link_targets(response, "好事例として登録") == []
        page = plan_admin_client.get(create_url(annual_return))
        assert text_of(select_one(page, "#practice-refusal")).startswith(
            "好事例として登録できるのは、受理された報告だけです。"
        )
        assert select(page, "form#practice-form") == []
        refused = plan_admin_client.post(
            create_url(annual_return), {"title": "題名", "body": "内容", "action": "save"}
        )
        assert refused.status_code == 400
        assert GoodPractice.objects.count() == 0

    def test_save_as_a_draft(self, plan_admin_client, shinjuku_accepted, plan_admin):
        response = plan_admin_client.post(
            create_url(shinjuku_accepted),
            {"title": " 夜間の相談窓口 ", "body": "夜間にも相談を受けています。", "action": "save"},
        )
        written = GoodPractice.objects.get()
        assert response.status_code == 302 and response["Location"] == edit_url(written)
        assert (written.title, written.is_published, written.created_by, written.annual_return) == (
            "夜間の相談窓口",
            False,
            plan_admin,
            shinjuku_accepted,
        )
        assert written.history.get().history_change_reason == services.REASON_PRACTICE_CREATE
        page = plan_admin_client.get(edit_url(written))
        assert messages_of(page) == ["好事例「夜間の相談窓口」を下書きとして保存しました。"]
        review = plan_admin_client.get(reverse("municipalities:review_return", args=[shinjuku_accepted.pk]))
        assert text_of(select_one(review, "#practice-links li")) == "夜間の相談窓口（下書き）"

    def test_save_and_publish(self, plan_admin_client, shinjuku_accepted, plan_admin):
        plan_admin_client.post(
            create_url(shinjuku_accepted), {"title": "題名", "body": "内容", "action": "publish"}
        )
        written = GoodPractice.objects.get()
        assert written.is_published and written.published_by == plan_admin
        assert [entry.history_change_reason for entry in written.history.order_by("history_id")] == [
            services.REASON_PRACTICE_CREATE,
            services.REASON_PRACTICE_PUBLISH,
        ]

    def test_errors_beside_the_fields_and_nothing_saved(self, plan_admin_client, shinjuku_accepted):
        response = plan_admin_client.post(
            create_url(shinjuku_accepted), {"title": "   ", "body": "あ" * 2001, "action": "publish"}
        )
        assert response.status_code == 400
        assert field_errors(response, "title") == ["題名を入力してください。"]
        assert field_errors(response, "body") == ["2000文字以内で入力してください（現在 2001 文字）。"]
        assert select_one(response, "#id_body").get("aria-describedby").split() == [
            "id_body_helptext",
            "id_body_error",
        ]
        assert GoodPractice.objects.count() == 0

    def test_edit_unpublish_and_publish_again(self, plan_admin_client, shinjuku_accepted, plan_admin):
        written = practice(shinjuku_accepted, plan_admin, publish=True)
        page = plan_admin_client.get(edit_url(written))
        assert "公開中" in text_of(select_one(page, "#practice-facts"))
        plan_admin_client.post(
            edit_url(written), {"title": "新しい題名", "body": "新しい内容", "action": "save"}
        )
        written.refresh_from_db()
        assert (written.title, written.is_published) == ("新しい題名", True)
        plan_admin_client.post(edit_url(written), {"action": "unpublish"})
        written.refresh_from_db()
        assert not written.is_published and written.published_by is None
        plan_admin_client.post(
            edit_url(written), {"title": "新しい題名", "body": "新しい内容", "action": "publish"}
        )
        written.refresh_from_db()
        assert written.is_published
        assert [entry.history_change_reason for entry in written.history.order_by("history_id")] == [
            services.REASON_PRACTICE_CREATE,
            services.REASON_PRACTICE_PUBLISH,
            services.REASON_PRACTICE_UPDATE,
            services.REASON_PRACTICE_UNPUBLISH,
            services.REASON_PRACTICE_UPDATE,
            services.REASON_PRACTICE_PUBLISH,
        ]

    def test_a_save_over_someone_elses_later_save_is_refused_and_keeps_the_text(
        self, plan_admin_client, shinjuku_accepted, plan_admin
    ):
        written = practice(shinjuku_accepted, plan_admin)
        page = plan_admin_client.get(edit_url(written))
        loaded_at = form_value(page, "loaded_at")
        assert loaded_at
        other = UserFactory(username="other-secretariat", last_name="事務局", first_name="次郎", role=Role.PLAN_ADMIN)
        services.good_practice_update(practice=written, title="相手の題名", body="相手の内容", user=other)

        refused = plan_admin_client.post(
            edit_url(written), {"title": "私の題名", "body": "私の内容", "action": "save", "loaded_at": loaded_at}
        )
        assert refused.status_code == 400
        assert "事務局 次郎さん" in text_of(select_one(refused, ".error-summary"))
        assert form_value(refused, "title") == "私の題名"
        written.refresh_from_db()
        assert (written.title, written.body) == ("相手の題名", "相手の内容")

        # Reloaded, the page carries the new moment, and the save goes through.
        reloaded = plan_admin_client.get(edit_url(written))
        plan_admin_client.post(
            edit_url(written),
            {"title": "私の題名", "body": "私の内容", "action": "save", "loaded_at": form_value(reloaded, "loaded_at")},
        )
        written.refresh_from_db()
        assert written.title == "私の題名"

    def test_a_return_reopened_after_publishing_keeps_its_practice(
        self, plan_admin_client, shinjuku_accepted, plan_admin, municipal_officer
    ):
        written = practice(shinjuku_accepted, plan_admin, publish=True)
        draft = practice(shinjuku_accepted, plan_admin, title="下書きの取組")
        services.annual_return_reopen(
            annual_return=shinjuku_accepted, reason="誤りがありました。", user=plan_admin
        )
        assert GoodPractice.objects.filter(pk=written.pk, published_at__isnull=False).exists()
        # The pages still open.
        page = plan_admin_client.get(edit_url(draft))
        assert page.status_code == 200
        assert "差戻し" in text_of(select_one(page, "#return-not-accepted"))
        assert [button.get("value") for button in select(page, "#practice-form button")] == ["save"]
        assert plan_admin_client.get(edit_url(written)).status_code == 200
        assert (
            plan_admin_client.get(
                reverse("municipalities:review_return", args=[shinjuku_accepted.pk])
            ).status_code
            == 200
        )
        assert signed_in(Client(), municipal_officer).get(PRACTICES_URL).status_code == 200
        # Publishing the draft is refused, and its wording is kept as it was (one savepoint).
        refused = plan_admin_client.post(
            edit_url(draft), {"title": "変えた題名", "body": "変えた内容", "action": "publish"}
        )
        assert refused.status_code == 400
        assert "受理された状態ではない" in text_of(select_one(refused, ".error-summary"))
        draft.refresh_from_db()
        assert (draft.title, draft.is_published) == ("下書きの取組", False)


class TestModelRules:
    def test_only_from_an_accepted_return(self, round_, municipal_officer, plan_admin):
        annual_return = submitted(return_of(round_), municipal_officer)
        with pytest.raises(ValidationError) as error:
            practice(annual_return, plan_admin)
        assert error.value.message_dict == {
            "annual_return": ["好事例として登録できるのは、受理された報告だけです。"]
        }

    def test_title_and_body_required_and_limited(self, shinjuku_accepted, plan_admin):
        with pytest.raises(ValidationError) as error:
            practice(shinjuku_accepted, plan_admin, title=" ", body="")
        assert set(error.value.message_dict) == {"title", "body"}
        with pytest.raises(ValidationError) as error:
            practice(shinjuku_accepted, plan_admin, title="あ" * 101)
        assert error.value.message_dict == {"title": ["100文字以内で入力してください（現在 101 文字）。"]}
        assert practice(shinjuku_accepted, plan_admin, title="あ" * 100, body="い" * 2000).pk

    def test_publish_only_while_the_return_is_accepted(self, shinjuku_accepted, plan_admin):
        draft = practice(shinjuku_accepted, plan_admin)
        services.annual_return_reopen(
            annual_return=shinjuku_accepted, reason="誤りがありました。", user=plan_admin
        )
        with pytest.raises(ValidationError, match="公開できません"):
            services.good_practice_publish(practice=draft, user=plan_admin)
        draft.refresh_from_db()
        assert not draft.is_published
        # Its wording may still be corrected.
        assert (
            services.good_practice_update(
                practice=draft, title="直した題名", body="直した内容", user=plan_admin
            ).title
            == "直した題名"
        )

    def test_publishing_twice_and_unpublishing_a_draft_are_refused(self, shinjuku_accepted, plan_admin):
        published = practice(shinjuku_accepted, plan_admin, publish=True)
        with pytest.raises(ValidationError, match="既に公開されています"):
            services.good_practice_publish(practice=published, user=plan_admin)
        draft = practice(shinjuku_accepted, plan_admin)
        with pytest.raises(ValidationError, match="公開されていません"):
            services.good_practice_unpublish(practice=draft, user=plan_admin)

    @pytest.mark.parametrize("role", ["municipal_officer", "bureau_staff", "viewer", "no_role"])
    def test_only_the_secretariat_writes(self, request, shinjuku_accepted, plan_admin, role):
        user = request.getfixturevalue(role)
        draft = practice(shinjuku_accepted, plan_admin)
        for call in (
            lambda: services.good_practice_create(
                annual_return=shinjuku_accepted, title="題", body="文", user=user
            ),
            lambda: services.good_practice_update(practice=draft, title="題", body="文", user=user),
            lambda: services.good_practice_publish(practice=draft, user=user),
            lambda: services.good_practice_unpublish(practice=draft, user=user),
        ):
            with pytest.raises(PermissionDenied):
                call()
        assert GoodPractice.objects.count() == 1


# --- who may open the pages ----------------------------------------------------------------------------


def world():
    return sorted(GoodPractice.objects.values_list("pk", "title", "body", "published_at"))


@pytest.fixture
def practices_(shinjuku_accepted, plan_admin):
    return {
        "published": practice(shinjuku_accepted, plan_admin, title="公開中", publish=True),
        "draft": practice(shinjuku_accepted, plan_admin, title="下書き"),
    }


def reading_pages():
    return [status_url(), reverse("municipalities:shared_status_latest"), PRACTICES_URL]


def writing_requests(annual_return, practices):
    data = {"title": "書き換え", "body": "書き換え", "action": "publish"}
    return [
        ("get", create_url(annual_return), None),
        ("post", create_url(annual_return), data),
        ("get", edit_url(practices["published"]), None),
        ("post", edit_url(practices["published"]), {"action": "unpublish"}),
        ("get", edit_url(practices["draft"]), None),
        ("post", edit_url(practices["draft"]), data),
    ]


class TestAccess:
    @pytest.mark.parametrize(
        "role", ["municipal_officer", "other_officer", "viewer", "bureau_staff", "case_handler"]
    )
    def test_every_role_reads_but_only_the_secretariat_writes(
        self, request, client, shinjuku_accepted, practices_, role
    ):
        signed_in(client, request.getfixturevalue(role))
        for address in reading_pages():
            assert client.get(address).status_code in (200, 302), address
        before = world()
        for method, address, data in writing_requests(shinjuku_accepted, practices_):
            response = getattr(client, method)(address, data)
            assert response.status_code == 403, f"{method} {address}: {response.status_code}"
        assert world() == before

    def test_an_account_without_a_role_sees_nothing(self, client, no_role, shinjuku_accepted, practices_):
        signed_in(client, no_role)
        for address in reading_pages():
            assert client.get(address).status_code == 403, address
        for method, address, data in writing_requests(shinjuku_accepted, practices_):
            assert getattr(client, method)(address, data).status_code == 403

    def test_anonymous_users_are_sent_to_sign_in(self, client, shinjuku_accepted, practices_):
        login = reverse("login")
        before = world()
        for address in reading_pages():
            response = client.get(address)
            assert response.status_code == 302 and response["Location"].startswith(login), address
        for method, address, data in writing_requests(shinjuku_accepted, practices_):
            response = getattr(client, method)(address, data)
            assert response.status_code == 302 and response["Location"].startswith(login), address
        assert world() == before

    def test_an_unknown_practice_or_return_is_not_found(self, plan_admin_client):
        assert (
            plan_admin_client.get(reverse("municipalities:review_practice_edit", args=[999999])).status_code
            == 404
        )
        assert (
            plan_admin_client.get(reverse("municipalities:review_practice_create", args=[999999])).status_code
            == 404
        )

    def test_every_write_needs_the_csrf_token(self, plan_admin, shinjuku_accepted, practices_):
        client = Client(enforce_csrf_checks=True)
        client.force_login(plan_admin)
        before = world()
        for method, address, data in writing_requests(shinjuku_accepted, practices_):
            if method == "post":
                assert client.post(address, data).status_code == 403, address
        assert world() == before


# --- the admin -------------------------------------------------------------------------------------------


class TestAdmin:
    def test_added_through_the_service_and_published_with_the_action(
        self, plan_admin_client, shinjuku_accepted, plan_admin
    ):
        add = reverse("admin:municipalities_goodpractice_add")
        response = plan_admin_client.post(
            add, {"annual_return": shinjuku_accepted.pk, "title": "題名", "body": "内容"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        written = GoodPractice.objects.get()
        assert written.created_by == plan_admin and not written.is_published
        assert written.history.get().history_change_reason == services.REASON_PRACTICE_CREATE
        changelist = reverse("admin:municipalities_goodpractice_changelist")
        plan_admin_client.post(changelist, {"action": "publish_practices", "_selected_action": [written.pk]})
        written.refresh_from_db()
        assert written.is_published

    def test_a_save_over_a_later_change_is_refused_with_the_text_kept(
        self, plan_admin_client, shinjuku_accepted, plan_admin
    ):
        written = practice(shinjuku_accepted, plan_admin, title="元の題名")
        change = reverse("admin:municipalities_goodpractice_change", args=[written.pk])
        opened = plan_admin_client.get(change)
        loaded_at = select_one(opened, "input[name='loaded_at']").get("value")
        assert loaded_at == written.updated_at.isoformat()
        # Someone else saves in the meantime.
        services.good_practice_update(practice=written, title="他の人の題名", body="他の人の内容", user=plan_admin)

        response = plan_admin_client.post(change, {"title": "私の題名", "body": "私の内容", "loaded_at": loaded_at})
        assert response.status_code == 200
        assert "ページを開いた後に" in response.content.decode()
        assert select_one(response, "input[name='title']").get("value") == "私の題名"
        written.refresh_from_db()
        assert (written.title, written.body) == ("他の人の題名", "他の人の内容")
        assert written.history.count() == 2  # created, the other's change: nothing of ours

        reopened = plan_admin_client.get(change)
        fresh = select_one(reopened, "input[name='loaded_at']").get("value")
        saved = plan_admin_client.post(change, {"title": "私の題名", "body": "私の内容", "loaded_at": fresh})
        assert saved.status_code == 302
        written.refresh_from_db()
        assert written.title == "私の題名"

    def test_only_accepted_returns_are_offered(self, plan_admin_client, shinjuku_accepted, other_officer):
        hachioji = submitted(return_of(shinjuku_accepted.round, "八王子市"), other_officer)
        page = plan_admin_client.get(reverse("admin:municipalities_goodpractice_add"))
        offered = [
            option.get("value")
            for option in select(page, "select[name='annual_return'] option")
            if option.get("value")
        ]
        assert offered == [str(shinjuku_accepted.pk)]
        assert str(hachioji.pk) not in offered


# --- a fixed number of queries ---------------------------------------------------------------------------

# The session, the user, their groups, an officer's municipality (the page's header); the plan and
# the years with a round, the accepted returns and the municipalities (the status page) — or the
# years, the practices and the providers' names to mask (the practices page); and the request's
# savepoint and its release.
QUERY_LIMIT_STATUS = 11
QUERY_LIMIT_PRACTICES = 11


class TestQueryCounts:
    def test_status_page_at_62_and_600_municipalities(
        self, client, plan_admin, municipal_officer, other_officer, django_assert_max_num_queries
    ):
        round = ReturnRoundFactory(fiscal_year=YEAR)
        for name, officer in (("新宿区", municipal_officer), ("八王子市", other_officer)):
            accepted(AnnualReturnFactory(round=round, municipality=municipality(name)), officer, plan_admin)
        signed_in(client, municipal_officer)
        at_62 = count_queries(client, status_url(), django_assert_max_num_queries, QUERY_LIMIT_STATUS)

        add_municipalities(600 - 62)
        for extra in Municipality.objects.filter(code5__startswith="47").order_by("code")[:20]:
            accepted(AnnualReturnFactory(round=round, municipality=extra), plan_admin, plan_admin)
        at_600 = count_queries(client, status_url(), django_assert_max_num_queries, QUERY_LIMIT_STATUS)
        assert at_600 == at_62
        response = client.get(status_url())
        assert len(select(response, "tr[id^='municipality-']")) == 100  # one page of 600
        assert rows_of(select_one(response, "#shared-totals"))[0] == ["受理された報告がある団体", "22/600"]

    @pytest.mark.parametrize("role", ["municipal_officer", "plan_admin"])
    def test_practices_page_at_3_and_30_practices(
        self,
        request,
        client,
        round_,
        plan_admin,
        municipal_officer,
        other_officer,
        role,
        django_assert_max_num_queries,
    ):
        sources = [
            accepted(return_of(round_), municipal_officer, plan_admin),
            accepted(return_of(round_, "八王子市"), other_officer, plan_admin),
            accepted(return_of(round_, "港区"), plan_admin, plan_admin),
        ]

        def write(count):
            for number in range(count):
                practice(sources[number % 3], plan_admin, title=f"取組{number}", publish=number % 2 == 0)

        signed_in(client, request.getfixturevalue(role))
        write(3)
        small = count_queries(client, PRACTICES_URL, django_assert_max_num_queries, QUERY_LIMIT_PRACTICES)
        write(27)
        large = count_queries(client, PRACTICES_URL, django_assert_max_num_queries, QUERY_LIMIT_PRACTICES)
        assert large == small
        # Every other one published: 2 of the first 3, 14 of the next 27.
        assert len(select(client.get(PRACTICES_URL), "article.practice")) == 16
