"""Reading the plan's measure tables from the text extracted from its PDF.

The source (fixtures/source/001_60a3e0020fc96c35.txt) is a sequence of goal lines
(「基本目標 1 …」 or 「基本目標2 …」), lettered area lines (「ア …」) and, under each area, a
tab-separated table: a `No.	事項	内容` header, then one row per measure (「14 再掲」 in the
number cell marks a re-listing). Blank lines and `----` separator rows are page-break debris.

The text is returned raw, without normalisation, so that tests can compare the source with what
the loader stored (plan.common.text.normalize applied). fixtures/plan.yaml is the structured, corrected
form that the loader reads; this module is how we check it against the source.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SOURCE_NAME = "001_60a3e0020fc96c35.txt"

_GOAL_LINE = re.compile(r"^基本目標\s*(\d+)\s+(.+)$")
# An area line is one katakana letter, a space and the area's title.
_AREA_LINE = re.compile(r"^([\u30a2-\u30f3])\s+(.+)$")
_ROW_NUMBER = re.compile(r"^(\d+)\s*(再掲)?$")
_HEADER_LINE = re.compile(r"^No\.\t")
_SEPARATOR_LINE = re.compile(r"^-+\t")
# The re-listing marker at the end of a content cell: 「（再掲）」 or 「 (再掲)」.
_RELISTED_MARKER = re.compile(r"\s*[（(]再掲[）)]\s*$")


@dataclass(frozen=True)
class SourceRow:
    goal_number: int
    goal_title: str
    area_letter: str
    area_title: str
    measure_number: int
    relisted: bool
    heading: str  # the raw 事項 cell; "" where the original table merged it with a neighbour
    content: str  # the raw 内容 cell, re-listing marker included
    position: int  # 1-based place in the area's table, re-listings counted
    line_number: int


@dataclass
class SourceArea:
    letter: str
    title: str
    position: int
    rows: list[SourceRow] = field(default_factory=list)


@dataclass
class SourceGoal:
    number: int
    title: str
    areas: list[SourceArea] = field(default_factory=list)


def default_source_path() -> Path:
    return Path(settings.FIXTURES_DIR) / "source" / SOURCE_NAME


def strip_relisted_marker(text: str) -> str:
    return _RELISTED_MARKER.sub("", text)


def read_source_goals_and_areas(path=None) -> list[SourceGoal]:
    """The goals, their areas and the areas' table rows, in document order."""
    path = Path(path) if path else default_source_path()
    goals: list[SourceGoal] = []
    goal = area = None
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or _HEADER_LINE.match(line) or _SEPARATOR_LINE.match(line):
            continue
        if match := _GOAL_LINE.match(line):
            goal = SourceGoal(number=int(match[1]), title=match[2])
            goals.append(goal)
            area = None
            continue
        if goal is None:
            continue  # the document's title, above the first goal
        if match := _AREA_LINE.match(line):
            area = SourceArea(letter=match[1], title=match[2], position=len(goal.areas) + 1)
            goal.areas.append(area)
            continue
        cells = line.split("\t")
        number = _ROW_NUMBER.match(cells[0])
        if area is None or len(cells) != 3 or not number:
            # Fail loudly: a line we do not understand means the source changed shape.
            raise ValueError(f"{path.name}:{line_number}: unexpected line: {line!r}")
        area.rows.append(
            SourceRow(
                goal_number=goal.number,
                goal_title=goal.title,
                area_letter=area.letter,
                area_title=area.title,
                measure_number=int(number[1]),
                relisted=bool(number[2]),
                heading=cells[1],
                content=cells[2],
                position=len(area.rows) + 1,
                line_number=line_number,
            )
        )
    return goals


def read_source_rows(path=None) -> list[SourceRow]:
    """Every table row of the source, in document order."""
    return [row for goal in read_source_goals_and_areas(path) for area in goal.areas for row in area.rows]
