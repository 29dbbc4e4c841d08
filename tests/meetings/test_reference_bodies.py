from meetings.models import Body, Tier
from meetings.reference_data import load_bodies


def snapshot():
    return (
        list(
            Body.objects.values_list(
                "code", "name", "short_name", "kind", "legal_basis", "purpose", "position"
            )
        ),
        list(Tier.objects.values_list("body__code", "code", "name", "tmg_name", "purpose", "position")),
    )


def test_two_bodies_committee_first(bodies_data):
    assert list(Body.objects.values_list("code", "short_name", "kind")) == [
        ("promotion-committee", "計画推進委員会", "committee"),
        ("support-coordination-council", "支援調整会議", "council"),
    ]


def test_the_committee_has_no_tiers(bodies_data):
    committee = Body.objects.get(code="promotion-committee")
    assert (
        committee.name == "困難な問題を抱える女性への支援のための施策の実施に関する東京都基本計画推進委員会"
    )
    assert committee.composition == "本委員会のみ"
    assert "設置要綱" in committee.legal_basis
    assert not committee.tiers.exists()


def test_the_council_has_three_tiers_in_order(bodies_data):
    council = Body.objects.get(code="support-coordination-council")
    assert list(council.tiers.values_list("code", "name", "tmg_name")) == [
        ("representatives", "代表者会議", "課長会"),
        ("practitioners", "実務者会議", "担当者会"),
        ("case-review", "個別ケース検討会議", "ケース検討会"),
    ]


def test_the_council_names_its_legal_basis_and_the_meeting_it_also_serves_as(bodies_data):
    council = Body.objects.get(code="support-coordination-council")
    assert council.also_serves_as == "東京都若年被害女性等支援事業連携会議"
    assert council.legal_basis.splitlines()[0] == "困難な問題を抱える女性への支援に関する法律第15条第1項"
    assert "実施要綱" in council.legal_basis


def test_the_kangxi_radical_of_the_seed_is_stored_as_the_ordinary_kanji(db, tmp_path):
    # The seed writes 課長会 with the radical ⾧ (U+2FA7); users type and search for 長.
    path = tmp_path / "bodies.yaml"
    path.write_text(
        "- code: pasted-from-seed\n"
        "  name: 貼り付けた会議\n"
        "  short_name: 貼り付け\n"
        "  kind: council\n"
        "  tiers:\n"
        "    - code: representatives\n"
        "      name: 代表者会議\n"
        "      tmg_name: 課\u2fa7会\n",
        encoding="utf-8",
    )
    load_bodies(path=path)
    assert Tier.objects.get(body__code="pasted-from-seed").tmg_name == "課長会"


def test_loading_twice_changes_nothing(bodies_data):
    before = snapshot()
    report = load_bodies()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert report.conflicts == []
    assert snapshot() == before


def test_a_purpose_edited_in_the_system_survives_a_reload(bodies_data):
    Tier.objects.filter(code="practitioners").update(purpose="年4回、情報共有を行う。")
    report = load_bodies()
    assert Tier.objects.get(code="practitioners").purpose == "年4回、情報共有を行う。"
    assert [conflict.field for conflict in report.conflicts] == ["内容"]
