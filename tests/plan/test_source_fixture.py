"""The loaded plan checked against the plan's source text, row by row.

fixtures/plan.yaml was generated from the source and reviewed by hand; these tests re-read the
source and make sure that what the users see (headings, contents, where each row stands) is the
source's text, normalised, wherever the source has it.
"""

import re

import pytest

from plan.common.text import normalize
from plan.models import Area, Goal, Listing, Measure
from plan.reference.source import read_source_goals_and_areas, read_source_rows, strip_relisted_marker

_JAPANESE = r"[\u3000-\u30ff\u3400-\u9fff\uff01-\uff60]"
SPACE_INSIDE_JAPANESE = re.compile(rf"{_JAPANESE}\s+{_JAPANESE}")
LETTER_SPACED = re.compile(r"(?<![A-Za-z])(?:[A-Za-z] ){2,}[A-Za-z]")
RELISTED_MARKER = re.compile(r"[（(]再掲[）)]")


@pytest.fixture(scope="module")
def source_rows():
    return read_source_rows()


def _original_listing(number):
    return Listing.objects.select_related("area__goal", "measure").get(measure__number=number, relisted=False)


def test_every_measure_has_the_source_heading_and_content(plan_data, source_rows):
    measures = {measure.number: measure for measure in Measure.objects.filter(plan=plan_data)}
    mismatches = []
    for row in source_rows:
        if row.relisted:
            continue
        measure = measures[row.measure_number]
        if row.heading.strip():
            expected_heading = (normalize(row.heading), False)
            if (measure.heading, measure.heading_inferred) != expected_heading:
                mismatches.append((row.measure_number, "heading", measure.heading, expected_heading))
        elif not (measure.heading_inferred and measure.heading):
            mismatches.append(
                (row.measure_number, "blank heading cell not flagged as inferred", measure.heading)
            )
        if measure.content != normalize(row.content):
            mismatches.append((row.measure_number, "content", measure.content, normalize(row.content)))
        listing = _original_listing(row.measure_number)
        place = (listing.area.goal.number, listing.area.letter, listing.position)
        if place != (row.goal_number, row.area_letter, row.position):
            mismatches.append((row.measure_number, "place", place, row))
    assert mismatches == []


def test_every_relisting_shows_the_source_heading_and_content(plan_data, source_rows):
    mismatches = []
    for row in source_rows:
        if not row.relisted:
            continue
        listing = Listing.objects.select_related("measure").get(
            measure__number=row.measure_number,
            area__goal__number=row.goal_number,
            area__letter=row.area_letter,
            relisted=True,
        )
        # A blank heading cell on a re-listing shows the original measure's heading.
        expected_heading = normalize(row.heading) or listing.measure.heading
        expected_content = normalize(strip_relisted_marker(row.content))
        shown = (listing.heading, listing.content, listing.position)
        if shown != (expected_heading, expected_content, row.position):
            mismatches.append((row.measure_number, row.goal_number, row.area_letter, shown))
    assert mismatches == []


def test_relistings_keep_own_wording_only_where_it_differs(plan_data):
    own_content = {
        (listing.measure.number, listing.area.goal.number, listing.area.letter)
        for listing in Listing.objects.filter(relisted=True)
        .exclude(own_content="")
        .select_related("measure", "area__goal")
    }
    assert own_content == {
        (5, 4, "オ"),
        (6, 3, "ウ"),
        (10, 5, "カ"),
        (11, 5, "カ"),
        (70, 5, "カ"),
        (90, 5, "ウ"),
        (48, 5, "エ"),
    }
    own_heading = list(Listing.objects.exclude(own_heading="").values_list("measure__number", flat=True))
    assert own_heading == [6]


def test_counts_match_the_plan(plan_data, source_rows):
    numbers = list(Measure.objects.filter(plan=plan_data).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, 121))
    originals = Listing.objects.filter(measure__plan=plan_data, relisted=False)
    assert sorted(originals.values_list("measure__number", flat=True)) == list(range(1, 121))
    assert Listing.objects.filter(measure__plan=plan_data, relisted=True).count() == 18
    assert len(source_rows) == 138
    goals = Goal.objects.filter(plan=plan_data).order_by("number")
    assert [goal.number for goal in goals] == [1, 2, 3, 4, 5]
    assert [goal.areas.count() for goal in goals] == [8, 4, 4, 5, 9]
    assert Area.objects.filter(goal__plan=plan_data).count() == 30


def test_goal_and_area_titles_match_the_source(plan_data):
    in_source = [
        (
            goal.number,
            normalize(goal.title),
            [(area.position, area.letter, normalize(area.title)) for area in goal.areas],
        )
        for goal in read_source_goals_and_areas()
    ]
    stored = [
        (
            goal.number,
            goal.title,
            [(area.position, area.letter, area.title) for area in goal.areas.order_by("position")],
        )
        for goal in Goal.objects.filter(plan=plan_data).order_by("number")
    ]
    assert stored == in_source
    assert (
        Area.objects.get(goal__number=4, letter="ウ").title
        == "関係機関・民間団体等と連携した「トー横」問題への対応"
    )


@pytest.mark.parametrize(
    ("number", "heading"),
    [
        (85, "女性相談支援センターのDX"),
        (38, "ひとり親家庭への支援"),
        (25, "就労支援"),
        (26, "就労支援"),
        (73, "相談体制の強化"),
        (56, "民間団体と連携した支援等"),
        (24, "女性自立支援施設における支援"),
        (104, "区市町村における支援調整会議の設置や計画策定の促進"),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else "",
)
def test_blank_heading_cells_take_the_heading_of_their_merged_block(plan_data, number, heading):
    measure = Measure.objects.get(plan=plan_data, number=number)
    assert (measure.heading, measure.heading_inferred) == (heading, True)


def test_headings_written_on_the_row_are_not_flagged_inferred(plan_data):
    assert (
        Measure.objects.filter(plan=plan_data, number__in=[27, 39, 57, 74, 86], heading_inferred=True).count()
        == 0
    )
    assert Measure.objects.filter(plan=plan_data, heading_inferred=True).count() == 28


def test_relisting_of_no_6_keeps_its_own_heading_and_wording(plan_data):
    listing = Listing.objects.get(measure__number=6, area__goal__number=3, area__letter="ウ", relisted=True)
    assert listing.heading == "一時保護委託先の確保"
    assert listing.measure.heading == "多様な一時保護先の確保"
    assert listing.content.startswith(
        "女性相談支援センターが一時保護を行う場合に、中学生以上の男子についても"
    )
    assert listing.content != listing.measure.content


def test_second_relisting_of_no_48_keeps_the_source_slip(plan_data):
    first = Listing.objects.get(measure__number=48, area__goal__number=4, relisted=True)
    second = Listing.objects.get(measure__number=48, area__goal__number=5, relisted=True)
    assert first.own_content == ""
    assert "妊娠婦" in second.content
    assert second.content.replace("妊娠婦", "妊産婦") == second.measure.content


def test_no_extraction_noise_is_stored(plan_data):
    texts = [plan_data.name, plan_data.short_name]
    texts += [goal.title for goal in Goal.objects.filter(plan=plan_data)]
    texts += [area.title for area in Area.objects.filter(goal__plan=plan_data)]
    for measure in Measure.objects.filter(plan=plan_data):
        texts += [measure.heading, measure.content]
    for listing in Listing.objects.filter(measure__plan=plan_data):
        texts += [listing.own_heading, listing.own_content]
    noisy = [
        text
        for text in texts
        if "⾧" in text
        or "ト一横" in text
        or SPACE_INSIDE_JAPANESE.search(text)
        or LETTER_SPACED.search(text)
        or RELISTED_MARKER.search(text)
        or text != text.strip()
    ]
    assert noisy == []
    assert "Tokyo" in Measure.objects.get(plan=plan_data, number=39).content


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("トー横", [76, 77, 78]),
        ("ト一横", [76, 77, 78]),  # as the PDF spells it
        ("ワンストップ支援事業の実施", [15]),
        ("ワンストップ支援事業の 実施", [15]),  # with the PDF's line-wrap space
        ("86", [86]),
    ],
    ids=["toyoko", "toyoko-as-in-pdf", "one-stop", "one-stop-with-wrap-space", "number"],
)
def test_search_finds_measures_despite_extraction_noise(plan_data, query, numbers):
    found = Measure.objects.filter(plan=plan_data).search(query)
    assert sorted(found.values_list("number", flat=True)) == numbers
