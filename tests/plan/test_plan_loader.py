"""Reloading the plan and departments: corrections arrive, changes made in the system survive."""

import yaml
from django.conf import settings
from django.urls import reverse

from plan.models import Area, Department, Goal, Listing, Measure, MeasureResponsibility, Plan
from plan.progress.services import responsibility_confirm
from plan.reference.data import (
    MOVE_DELETE_REASON,
    MOVE_INSERT_REASON,
    load_departments,
    load_plan,
    load_responsibilities,
)
from tests.factories import welfare_division

BUREAUS = [
    "福祉局",
    "保健医療局",
    "生活文化スポーツ局",
    "産業労働局",
    "住宅政策本部",
    "総務局",
    "教育庁",
    "警視庁",
    "子供政策連携室",
    "東京都立病院機構",
]


def _fixture():
    with (settings.FIXTURES_DIR / "plan.yaml").open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def _write(data, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _area_rows(data, goal_number, letter):
    goal = next(goal for goal in data["goals"] if goal["number"] == goal_number)
    return next(area for area in goal["areas"] if area["letter"] == letter)["rows"]


def _original_row(data, number):
    return next(
        row
        for goal in data["goals"]
        for area in goal["areas"]
        for row in area["rows"]
        if row["measure"] == number and not row.get("relisted")
    )


def _snapshot():
    """Everything a user sees of the plan, to compare before and after a load."""
    return {
        "plans": list(Plan.objects.values_list("name", "short_name", "start_fiscal_year", "end_fiscal_year")),
        "goals": list(Goal.objects.order_by("number").values_list("pk", "number", "title")),
        "areas": list(
            Area.objects.order_by("pk").values_list("pk", "goal_id", "position", "letter", "title")
        ),
        "measures": list(
            Measure.objects.order_by("number").values_list(
                "pk", "number", "heading", "heading_inferred", "content"
            )
        ),
        "listings": list(
            Listing.objects.order_by("pk").values_list(
                "pk", "measure_id", "area_id", "position", "relisted", "own_heading", "own_content"
            )
        ),
    }


def _listing(number, *, relisted=False, goal=None):
    listings = Listing.objects.filter(measure__number=number, relisted=relisted)
    if goal:
        listings = listings.filter(area__goal__number=goal)
    return listings.select_related("area__goal").get()


def _place(number, *, relisted=False, goal=None):
    listing = _listing(number, relisted=relisted, goal=goal)
    return (listing.area.goal.number, listing.area.letter, listing.position)


def _history(listing_pk):
    """(type, reason) of a listing's history entries, newest first."""
    return list(
        Listing.history.filter(id=listing_pk)
        .order_by("-history_date", "-history_id")
        .values_list("history_type", "history_change_reason")
    )


def _move_in_the_system(number, position):
    listing = _listing(number)
    listing.position = position
    listing.save()  # as the admin does


def test_loading_again_changes_nothing(plan_data):
    before = _snapshot()

    report = load_plan()

    assert (report.created, report.updated, report.conflicts) == (0, 0, [])
    # The plan, 5 goals, 30 areas, 120 measures and 138 table rows.
    assert report.unchanged == 1 + 5 + 30 + 120 + 138
    assert _snapshot() == before


def test_corrected_fixture_line_updates_that_measure_only(plan_data, tmp_path):
    data = _fixture()
    _original_row(data, 3)["content"] = "相談窓口をホームページやSNS等で広く周知します。"
    before = _snapshot()

    report = load_plan(path=_write(data, tmp_path))

    assert (report.created, report.updated, report.conflicts) == (0, 1, [])
    after = _snapshot()
    changed = [row for row in after["measures"] if row not in before["measures"]]
    assert [(number, content) for _pk, number, _heading, _inferred, content in changed] == [
        (3, "相談窓口をホームページやSNS等で広く周知します。")
    ]
    assert {key: value for key, value in after.items() if key != "measures"} == {
        key: value for key, value in before.items() if key != "measures"
    }
    assert Measure.objects.get(number=3).history.first().history_change_reason == "参照データの読み込み"


def test_change_saved_in_the_system_survives_a_reload_and_is_reported(plan_data):
    measure = Measure.objects.get(number=3)
    measure.content = "事務局が管理画面で修正した内容。"
    measure.save()  # as the admin does

    report = load_plan()

    assert Measure.objects.get(number=3).content == "事務局が管理画面で修正した内容。"
    assert report.updated == 0
    assert [(conflict.field, conflict.system_value) for conflict in report.conflicts] == [
        ("内容", "事務局が管理画面で修正した内容。")
    ]
    assert "No.3" in str(report.conflicts[0])


def test_change_in_the_system_wins_over_a_fixture_correction_unless_overwritten(plan_data, tmp_path):
    Measure.objects.filter(number=3).update(heading="相談窓口の周知・広報")
    data = _fixture()
    _original_row(data, 3)["heading"] = "相談窓口の周知（修正）"
    path = _write(data, tmp_path)

    kept = load_plan(path=path)

    assert Measure.objects.get(number=3).heading == "相談窓口の周知・広報"
    assert (kept.updated, len(kept.conflicts)) == (0, 1)

    replaced = load_plan(path=path, overwrite=True)

    assert Measure.objects.get(number=3).heading == "相談窓口の周知（修正）"
    assert (replaced.updated, replaced.conflicts) == (1, [])
    assert load_plan(path=path).updated == 0


def test_overwrite_restores_the_fixture_value(plan_data):
    Measure.objects.filter(number=85).update(heading="電話相談システムの導入", heading_inferred=False)

    report = load_plan(overwrite=True)

    measure = Measure.objects.get(number=85)
    assert (measure.heading, measure.heading_inferred) == ("女性相談支援センターのDX", True)
    assert (report.updated, report.conflicts) == (1, [])


def test_reordering_rows_of_an_area_moves_the_listings(plan_data, tmp_path):
    data = _fixture()
    rows = _area_rows(data, 1, "ア")
    rows[0], rows[1] = rows[1], rows[0]  # No. 2 before No. 1
    path = _write(data, tmp_path)

    report = load_plan(path=path)

    assert (_place(1), _place(2), _place(3)) == ((1, "ア", 2), (1, "ア", 1), (1, "ア", 3))
    assert (report.created, report.updated, report.conflicts) == (0, 2, [])
    assert load_plan(path=path).updated == 0


def test_swapped_rows_keep_their_listings_and_history(plan_data, tmp_path, client, plan_admin):
    data = _fixture()
    rows = _area_rows(data, 5, "カ")
    assert (rows[3]["measure"], rows[4]["measure"]) == (10, 70)
    rows[3], rows[4] = rows[4], rows[3]
    before = {number: _listing(number, relisted=True, goal=5) for number in (10, 70)}
    path = _write(data, tmp_path)

    report = load_plan(path=path)

    after = {number: _listing(number, relisted=True, goal=5) for number in (10, 70)}
    assert {number: (listing.pk, listing.position) for number, listing in after.items()} == {
        10: (before[10].pk, 5),
        70: (before[70].pk, 4),
    }
    # The re-listings' own wording travels with them.
    assert [(after[n].own_heading, after[n].own_content) for n in (10, 70)] == [
        (before[n].own_heading, before[n].own_content) for n in (10, 70)
    ]
    assert (report.created, report.updated, report.conflicts) == (0, 2, [])
    assert sorted(report.changes) == [
        "基本目標5 カ No.10（再掲） の 表内の順番 を更新",
        "基本目標5 カ No.70（再掲） の 表内の順番 を更新",
    ]
    history = {number: _history(listing.pk) for number, listing in after.items()}
    for entries in history.values():
        assert entries[:3] == [("+", MOVE_INSERT_REASON), ("-", MOVE_DELETE_REASON), ("+", "参照データの読み込み")]

    client.force_login(plan_admin)
    page = client.get(reverse("admin:plan_listing_history", args=[after[10].pk])).content.decode()
    assert MOVE_INSERT_REASON in page and MOVE_DELETE_REASON in page

    again = load_plan(path=path)

    assert (again.created, again.updated, again.conflicts) == (0, 0, [])
    assert {number: _history(listing.pk) for number, listing in after.items()} == history


def test_row_inserted_at_the_top_of_an_area_pushes_the_others_down(plan_data, tmp_path):
    data = _fixture()
    rows = _area_rows(data, 1, "オ")
    rows.insert(0, {"measure": 45, "relisted": True})
    pks = dict(Listing.objects.filter(area__goal__number=1, area__letter="オ").values_list("position", "pk"))
    path = _write(data, tmp_path)

    report = load_plan(path=path)

    assert (report.created, report.updated, report.conflicts) == (1, 24, [])
    assert _place(45, relisted=True, goal=1) == (1, "オ", 1)
    assert (_place(22), _place(14, relisted=True), _place(44)) == ((1, "オ", 2), (1, "オ", 3), (1, "オ", 25))
    moved = dict(Listing.objects.filter(area__goal__number=1, area__letter="オ").values_list("position", "pk"))
    assert {position - 1: pk for position, pk in moved.items() if position > 1} == pks
    assert _place(45) == (1, "カ", 1)  # the original stays
    again = load_plan(path=path)
    assert (again.created, again.updated, again.conflicts) == (0, 0, [])


def test_original_row_moved_to_the_top_of_another_area(plan_data, tmp_path):
    data = _fixture()
    row = _area_rows(data, 1, "ア").pop()
    _area_rows(data, 1, "イ").insert(0, row)

    report = load_plan(path=_write(data, tmp_path))

    assert [_place(number) for number in (1, 2, 3, 4)] == [(1, "ア", 1), (1, "ア", 2), (1, "イ", 1), (1, "イ", 2)]
    assert (report.created, report.updated, report.conflicts) == (0, 2, [])


def test_swap_keeps_a_row_moved_in_the_system_unless_overwritten(plan_data, tmp_path):
    _move_in_the_system(2, 50)
    data = _fixture()
    rows = _area_rows(data, 1, "ア")
    rows[0], rows[1] = rows[1], rows[0]
    path = _write(data, tmp_path)

    kept = load_plan(path=path)

    assert (_place(1), _place(2), _place(3)) == ((1, "ア", 2), (1, "ア", 50), (1, "ア", 3))
    assert kept.updated == 1
    assert [(c.record, c.field, c.system_value, c.fixture_value) for c in kept.conflicts] == [
        ("基本目標1 ア No.2", "表内の順番", 50, 1)
    ]

    replaced = load_plan(path=path, overwrite=True)

    assert (_place(1), _place(2), _place(3)) == ((1, "ア", 2), (1, "ア", 1), (1, "ア", 3))
    assert (replaced.updated, replaced.conflicts) == (1, [])


def test_row_whose_new_place_is_held_by_a_row_kept_from_the_system_stays(plan_data, tmp_path):
    _move_in_the_system(2, 50)
    _move_in_the_system(3, 2)
    data = _fixture()
    rows = _area_rows(data, 1, "ア")
    rows[0], rows[1] = rows[1], rows[0]  # No. 1 wants place 2, where No. 3 now is
    path = _write(data, tmp_path)

    kept = load_plan(path=path)

    assert (_place(1), _place(2), _place(3)) == ((1, "ア", 1), (1, "ア", 50), (1, "ア", 2))
    assert kept.updated == 0
    assert sorted((c.record, c.system_value, c.fixture_value) for c in kept.conflicts) == [
        ("基本目標1 ア No.1", "1（移動先が他の掲載で使用中）", 2),
        ("基本目標1 ア No.2", 50, 1),
        ("基本目標1 ア No.3", 2, 3),
    ]

    replaced = load_plan(path=path, overwrite=True)

    assert (_place(1), _place(2), _place(3)) == ((1, "ア", 2), (1, "ア", 1), (1, "ア", 3))
    assert (replaced.updated, replaced.conflicts) == (3, [])


def test_row_removed_from_the_fixture_drops_its_listing_and_closes_the_gap(plan_data, tmp_path):
    data = _fixture()
    rows = _area_rows(data, 1, "オ")
    assert rows[1] == {"measure": 14, "relisted": True}
    del rows[1]
    relisting = _listing(14, relisted=True)

    report = load_plan(path=_write(data, tmp_path))

    assert not Listing.objects.filter(measure__number=14, relisted=True).exists()
    assert _history(relisting.pk)[0] == ("-", "参照データの読み込み（フィクスチャにない掲載を削除）")
    assert _place(14) == (1, "エ", 2)  # the original stays
    assert (_place(22), _place(23), _place(44)) == ((1, "オ", 1), (1, "オ", 2), (1, "オ", 23))
    assert Listing.objects.filter(relisted=True).count() == 17
    assert report.conflicts == []


def test_relisting_added_to_the_fixture_is_created_in_place(plan_data, tmp_path):
    data = _fixture()
    _area_rows(data, 3, "ウ").append({"measure": 65, "relisted": True})

    report = load_plan(path=_write(data, tmp_path))

    assert (report.created, report.conflicts) == (1, [])
    assert _place(65, relisted=True) == (3, "ウ", 2)
    assert _place(6, relisted=True, goal=3) == (3, "ウ", 1)


def test_fixture_listing_a_measure_twice_as_original_is_refused(plan_data, tmp_path):
    data = _fixture()
    _area_rows(data, 1, "イ").append(dict(_original_row(data, 1)))
    before = _snapshot()

    try:
        load_plan(path=_write(data, tmp_path))
    except ValueError as error:
        assert "No. 1" in str(error)
    else:
        raise AssertionError("a measure listed twice as an original row must be refused")
    assert _snapshot() == before


def test_departments_are_the_bureaus_in_order_with_the_secretariat_division(db):
    load_departments()

    bureaus = Department.objects.filter(parent=None).order_by("position")
    assert [(bureau.name, bureau.level) for bureau in bureaus] == [(name, "bureau") for name in BUREAUS]
    divisions = Department.objects.exclude(parent=None)
    assert [(division.parent.name, division.name, division.level) for division in divisions] == [
        ("福祉局", "子供・子育て支援部 育成支援課", "division")
    ]

    again = load_departments()

    assert (again.created, again.updated, again.unchanged, again.conflicts) == (0, 0, 11, [])
    assert Department.objects.count() == 11


def test_department_reordered_in_the_admin_is_kept(db):
    load_departments()
    Department.objects.filter(name="警視庁").update(position=99)

    report = load_departments()

    assert Department.objects.get(name="警視庁").position == 99
    assert [conflict.field for conflict in report.conflicts] == ["表示順"]


def test_overwriting_a_confirmed_responsibility_records_one_provisional_history_entry(plan_data, plan_admin):
    responsibility = MeasureResponsibility.objects.get(measure__number=86)
    responsibility_confirm(responsibility=responsibility, departments=[welfare_division()], user=plan_admin)
    entries = responsibility.history.count()

    load_responsibilities(overwrite=True)

    assert responsibility.history.count() == entries + 1
    latest = responsibility.history.order_by("-history_date", "-history_id").first()
    assert (latest.history_change_reason, latest.history_user, latest.confirmed_at) == (
        "参照データの読み込み",
        None,
        None,
    )
    assert [row.department.name for row in latest.departments.all()] == ["福祉局"]


def test_a_corrected_basis_is_recorded_in_the_responsibility_history(plan_data, tmp_path):
    responsibility = MeasureResponsibility.objects.get(measure__number=86)
    data = yaml.safe_load((settings.FIXTURES_DIR / "responsibilities.yaml").read_text(encoding="utf-8"))
    data["responsibilities"][86] = {"福祉局": "根拠を直した。"}
    path = tmp_path / "responsibilities.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    report = load_responsibilities(path=path)

    assert (report.updated, report.conflicts) == (0, [])
    latest = responsibility.history.order_by("-history_date", "-history_id").first()
    assert (latest.basis, latest.history_change_reason) == ("福祉局：根拠を直した。", "参照データの読み込み")
