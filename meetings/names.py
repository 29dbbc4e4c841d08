"""Organisation names: how they are stored, and how two names are compared for likeness.

The same organisation is typed in many ways: 「特定非営利活動法人 ぱっぷす」, 「NPO法人ぱっぷす」,
「ＮＰＯ法人　ぱっぷす」, 「ぱっぷす」. The registry stores what was typed (width-normalised, spaces
tidied) and compares names by a key without width differences, spaces, punctuation or the legal
form (法人格), so that the person entering a name is warned before a second record is made.
"""

import difflib
import re
import unicodedata

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
SIMILARITY_THRESHOLD = 0.85
MIN_CONTAINED_LENGTH = 3  # 「会」 inside every name is no likeness


def clean_organization_name(name: str) -> str:
    """The name as stored: full-width letters and digits made half-width, spaces tidied."""
    name = unicodedata.normalize("NFKC", name or "")
    return _SPACES.sub(" ", name).strip()


def organization_name_key(name: str) -> str:
    """The comparison key: no width differences, spaces, legal form or punctuation; lower case."""
    key = unicodedata.normalize("NFKC", name or "")
    key = _SPACES.sub("", key)
    for form in LEGAL_FORMS:
        key = key.replace(form, "")
    key = _PUNCTUATION.sub("", key)
    return key.lower()


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
