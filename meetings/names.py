"""Organisation names: how they are stored, and how two names are compared for likeness.

The same organisation is typed in many ways: 「特定非営利活動法人 ぱっぷす」, 「NPO法人ぱっぷす」,
「ＮＰＯ法人　ぱっぷす」, 「ぱっぷす」. The registry stores what was typed (width-normalised, spaces
tidied) and compares names by a key without width differences, spaces, punctuation or the legal
form (法人格), so that the person entering a name is warned before a second record is made.
"""

import difflib
import re
import unicodedata

from plan.common.text import fold as fold_text

# Longest first, so that 「認定特定非営利活動法人」 is removed whole rather than leaving 「認定」.
LEGAL_FORMS = sorted(
    [
        "認定特定非営利活動法人",
        "特定非営利活動法人",
        "認定NPO法人",
        "NPO法人",
        "公益社団法人",
        "一般社団法人",
        "公益財団法人",
        "一般財団法人",
        "社会福祉法人",
        "医療法人社団",
        "医療法人財団",
        "医療法人",
        "学校法人",
        "宗教法人",
        "更生保護法人",
        "独立行政法人",
        "地方独立行政法人",
        "株式会社",
        "有限会社",
        "合同会社",
        "合資会社",
        "合名会社",
        "(特非)",
        "(認定特非)",
        "(一社)",
        "(公社)",
        "(一財)",
        "(公財)",
        "(社福)",
        "(福)",
        "(医)",
        "(学)",
        "(株)",
        "(有)",
        "(同)",
    ],
    key=len,
    reverse=True,
)
_SPACES = re.compile(r"\s+")
# Separators people type or leave out at will: 「・」, 「-」, brackets, dots, commas.
_PUNCTUATION = re.compile(r"[・･\-‐－―—–_.,、。「」『』()（）\[\]【】〈〉《》\"'“”‘’]")
# The legal forms as they appear in a folded name (「npo法人」).
_FOLDED_LEGAL_FORMS = [fold_text(form) for form in LEGAL_FORMS]
SIMILARITY_THRESHOLD = 0.85
MIN_CONTAINED_LENGTH = 3  # 「会」 inside every name is no likeness


def clean_organization_name(name: str) -> str:
    """The name as stored: full-width letters and digits made half-width, spaces tidied."""
    name = unicodedata.normalize("NFKC", name or "")
    return _SPACES.sub(" ", name).strip()


def organization_name_key(name: str) -> str:
    """The comparison key: no width differences, spaces, legal form or punctuation; lower case."""
    key = _SPACES.sub("", fold_text(name))
    for form in _FOLDED_LEGAL_FORMS:
        key = key.replace(form, "")
    return _PUNCTUATION.sub("", key)


def names_are_similar(first: str, second: str) -> bool:
    a, b = organization_name_key(first), organization_name_key(second)
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted([a, b], key=len)
    if len(shorter) >= MIN_CONTAINED_LENGTH and shorter in longer:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= SIMILARITY_THRESHOLD


# --- names inside free text ------------------------------------------------------------------------
#
# A provider's name typed into minutes or a title is found however it was typed: full- or half-width,
# with or without spaces, in either case, and with or without its legal form.

MIN_NAME_IN_TEXT_LENGTH = 2  # a registered name shorter than this would mask ordinary words
MIN_BARE_NAME_LENGTH = MIN_CONTAINED_LENGTH  # the name without its legal form: 「会」 again


def _clusters(text: str):
    """(start, end) of each character as read: a base character with the marks that follow it,
    including the half-width voiced marks (ﾞ ﾟ), which NFKC turns into combining ones."""
    start = 0
    for index in range(1, len(text) + 1):
        if index < len(text):
            following = unicodedata.normalize("NFKC", text[index])
            if following and unicodedata.combining(following[0]):
                continue
        yield start, index
        start = index


def fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` NFKC-normalised, case-folded and without whitespace, with, for each character of the
    result, the span of `text` it came from (so that a match can be replaced in what was typed)."""
    folded, spans = [], []
    for start, end in _clusters(text):
        for char in fold_text(text[start:end]):
            if not char.isspace():
                folded.append(char)
                spans.append((start, end))
    return "".join(folded), spans


def fold(text: str) -> str:
    return fold_with_spans(text or "")[0]


def name_spellings(name: str) -> set[str]:
    """The folded forms under which `name` is looked for in text: the whole name, and the name
    without its legal form (minutes say 「ぱっぷす」, not 「特定非営利活動法人ぱっぷす」)."""
    whole = clean_organization_name(name)
    bare = whole
    for form in LEGAL_FORMS:
        bare = bare.replace(form, "")
    spellings = set()
    if len(fold(whole)) >= MIN_NAME_IN_TEXT_LENGTH:
        spellings.add(fold(whole))
    if len(fold(bare)) >= MIN_BARE_NAME_LENGTH:
        spellings.add(fold(bare))
    return spellings


class NameMatcher:
    """Finds any of a set of names in free text, however it was typed (see `fold_with_spans`)."""

    def __init__(self, names):
        spellings = set().union(*(name_spellings(name) for name in names))
        # Longest first: at one position, the whole name wins over the name without its legal form.
        ordered = sorted(spellings, key=lambda spelling: (-len(spelling), spelling))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self):
        return self._pattern is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the names are in `text`, as (start, end) of what was typed."""
        if not self._pattern or not text:
            return []
        folded, spans = fold_with_spans(text)
        return [(spans[m.start()][0], spans[m.end() - 1][1]) for m in self._pattern.finditer(folded)]

    def replace(self, text: str, replacement: str) -> str:
        pieces, position = [], 0
        for start, end in self.spans(text):
            pieces += [text[position:start], replacement]
            position = end
        return "".join(pieces) + text[position:] if pieces else text

    def found_in(self, text: str) -> list[str]:
        """The names as typed in `text`, each once, in order."""
        return list(dict.fromkeys(text[start:end] for start, end in self.spans(text)))
