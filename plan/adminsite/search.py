"""The admin's search box, searching as the app's pages do (plan.common.text.search_key).

Django's admin search is the database's `icontains`: on SQLite it folds ASCII case only, on
PostgreSQL it folds case but never width, so ＤＶ does not find DV, ﾄｰ横 does not find トー横 and 「８６」
does not find No. 86. `FoldedSearchAdmin` compares in Python on the searched columns instead, as
every search of the app does (the searched tables are small: measures, progress records,
municipalities, accounts, organisations).
"""

from collections import defaultdict

from django.utils.text import smart_split, unescape_string_literal

from plan.common.text import search_key


def admin_search_words(search_term: str) -> list[str]:
    """The words of an admin search, split as the admin splits them (quoted phrases kept whole),
    each in the form the searched text is compared in."""
    words = []
    for bit in smart_split(search_term or ""):
        if bit[:1] in ('"', "'") and bit[-1:] == bit[:1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if key := search_key(bit):
            words.append(key)
    return words


def _field_matches(prefix: str, text: str, word: str) -> bool:
    if prefix == "=":
        return text == word
    if prefix == "^":
        return text.startswith(word)
    return word in text


class FoldedSearchAdmin:
    """Mixed into every admin that has `search_fields` (tests/plan/test_admin_search.py checks):
    the rows whose searched columns hold every word, width and case folded. As in Django, each
    word must be found in one of the fields; `=field` compares whole values, `^field` the start."""

    def get_search_results(self, request, queryset, search_term):
        words = admin_search_words(search_term)
        fields = list(self.get_search_fields(request))
        if not words or not fields:
            return super().get_search_results(request, queryset, search_term)
        parsed = [(name[0] if name[0] in "=^@" else "", name.lstrip("=^@")) for name in fields]
        texts_by_pk = defaultdict(list)
        # One query over the searched columns; a many-valued relation gives one row per value.
        for pk, *values in queryset.order_by().values_list("pk", *[lookup for _, lookup in parsed]):
            texts_by_pk[pk].extend(
                (prefix, search_key(value))
                for (prefix, _), value in zip(parsed, values, strict=True)
                if value is not None
            )
        matched = [
            pk
            for pk, texts in texts_by_pk.items()
            if all(any(_field_matches(prefix, text, word) for prefix, text in texts) for word in words)
        ]
        return queryset.filter(pk__in=matched), False
