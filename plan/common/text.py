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
