"""Normalising text extracted from the plan's PDF, and what users type into search.

The source text has line-wrap spaces inside Japanese words (「ワンストップ支援事業の 実施」),
letter-spaced Latin words (「T o k y o」), Kangxi radicals standing for ordinary kanji (⾧ for 長) and
the kanji 一 standing for the long-vowel mark in katakana words (「ト一横」 for 「トー横」).
"""

import re
import unicodedata

# Kangxi Radicals and CJK Radicals Supplement: NFKC maps them to the unified ideographs.
_RADICALS = re.compile(r"[\u2e80-\u2eff\u2f00-\u2fdf]")
# The kanji 一 standing for the long-vowel mark ー: between two katakana letters it can only be
# the mark; elsewhere only in words known from the source, since 「サービス一覧」 is a real 一.
_KANJI_ONE_BETWEEN_KATAKANA = re.compile(r"(?<=[\u30a1-\u30fa])\u4e00(?=[\u30a1-\u30fc])")
_KNOWN_MISREADINGS = {"ト一横": "トー横"}
_WIDE = r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff01-\uff60\uff5e-\uff65]"
# Japanese is written without spaces: one next to a Japanese character is a line wrap.
_SPACE_NEXT_TO_WIDE = re.compile(rf"(?<={_WIDE})[ \u3000]+|[ \u3000]+(?={_WIDE})")
_LETTER_SPACED = re.compile(r"(?<![A-Za-z])(?:[A-Za-z] ){2,}[A-Za-z](?![A-Za-z])")
_SPACES = re.compile(r"[ \u3000]{2,}")


def normalize(text: str) -> str:
    text = _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _KANJI_ONE_BETWEEN_KATAKANA.sub("ー", text)
    for misread, word in _KNOWN_MISREADINGS.items():
        text = text.replace(misread, word)
    text = _LETTER_SPACED.sub(lambda m: m.group().replace(" ", ""), text)
    text = _SPACE_NEXT_TO_WIDE.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip()


# --- search and name comparison ------------------------------------------------------------------
#
# What users type differs from what is stored in width (ＤＶ, ﾄｰ横, ８６) and case; every search and
# every comparison of names goes through `fold`/`search_key` so that these never matter, on SQLite
# and PostgreSQL alike (the comparison is done in Python: the searched tables are small).


def fold(text) -> str:
    """`text` with width and case differences removed: NFKC, case-folded, NFKC again (case folding
    can leave text that is not in NFKC form). The character-level part of `search_key`, for callers
    that must map each folded character back to what was typed (meetings.names)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", str(text or "")).casefold())


def search_key(text) -> str:
    """The form in which a search word and the searched text are compared: the PDF's noise removed
    as for stored text (`normalize`), width and case folded (`fold`)."""
    return fold(normalize(unicodedata.normalize("NFKC", str(text or ""))))


def search_words(query) -> list[str]:
    """The words of a search, each as `search_key`. Split first: normalising would join words typed
    with a space between Japanese words."""
    return [key for word in str(query or "").split() if (key := search_key(word))]


# 「８６」, No.86, ＮＯ．８６, #86, (86): a measure's number typed in the ways people type it.
_MEASURE_NUMBER = re.compile(r"^[「『(\[【]?(?:no\.?|#)?\s*(\d{1,3})[」』)\]】]?$")


def measure_number_in(query) -> int | None:
    """The measure number a search asks for, or None when the query is not a number."""
    match = _MEASURE_NUMBER.match("".join(search_words(query)))
    return int(match.group(1)) if match else None
