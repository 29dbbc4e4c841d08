"""Temporary-protection providers' names in free text: which names, the mask for readers who may
not see them, finding them in what someone has just typed, and searching text without them.

Who may see the names is decided by `meetings.access.can_see_provider_names` alone. The structured
fields (an organisation's own name) are masked by `meetings.access.organizations_named_for(user)`
and `organization_name_for(user, organization)`; this module does the same for everything typed by
hand: meeting titles, places, minutes and decisions, agenda items, follow-ups, notes — on pages, in
downloads, in search and in the admin.

The names are read once per request: `for_reader(user)` keeps them on the user object, which is
the request's own (as plan.accounts.roles does with the user's groups).
"""

from collections import defaultdict
from functools import cached_property

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal

from meetings import access
from meetings.models import Organization, OrganizationMerge, OrganizationRole
from meetings.names import NameMatcher, clean_organization_name, fold

_CACHE_ATTRIBUTE = "_provider_names_cache"


class ProviderNames:
    """Every name a provider is or was known by, and the organisation records that carry them.

    A provider is an organisation with a temporary-protection role, current or ended (a former
    provider stays confidential), or a deleted record that had one. Its names are its current name,
    its former names (its history), and the names of the records merged into it, whose roles and
    meetings it took over — the merged record's names were used for the same place.
    """

    def __init__(self, names=(), organization_ids=()):
        self.names = frozenset(names)
        self.organization_ids = frozenset(organization_ids)
        self.matcher = NameMatcher(self.names)

    @cached_property
    def html_matcher(self) -> NameMatcher:
        """For text already escaped into HTML (「A&amp;B」 for 「A&B」)."""
        return NameMatcher(self.names | {str(escape(name)) for name in self.names})

    @classmethod
    def load(cls) -> "ProviderNames":
        """Three queries, whatever the size of the registry."""
        provider_role = OrganizationRole.Kind.TEMPORARY_PROTECTION
        current = (
            OrganizationRole.objects.filter(role=provider_role).order_by().values_list("organization_id")
        )
        # A deleted (or merged away) record's roles are in the roles' history only. A role deleted
        # while its organisation lives on was a correction, and is not counted (as for the list).
        deleted = (
            OrganizationRole.history.filter(role=provider_role)
            .exclude(organization_id__in=Organization.objects.values("pk"))
            .order_by()
            .values_list("organization_id")
        )
        ids = {pk for (pk,) in current.union(deleted)}
        merges = list(
            OrganizationMerge.objects.order_by("merged_at", "id").values_list(
                "kept_id", "kept_name", "removed_pk", "removed_name"
            )
        )
        wanted = ids | {kept for kept, _, _, _ in merges if kept} | {removed for _, _, removed, _ in merges}
        names_by_id = defaultdict(set)
        rows = (
            Organization.objects.filter(pk__in=wanted)
            .order_by()
            .values_list("pk", "name")
            .union(Organization.history.filter(id__in=wanted).order_by().values_list("id", "name"))
        )
        for pk, name in rows:
            names_by_id[pk].add(name)

        # Merges chain (a record merged into one that was later merged into a provider). Once a
        # kept record is deleted its log rows lose the link and keep only its name, so a chain is
        # followed by name too.
        names = set()
        changed = True
        while changed:
            changed = False
            names = set().union(*(names_by_id[pk] for pk in ids)) | names
            folded = {fold(clean_organization_name(name)) for name in names}
            for kept, kept_name, removed, removed_name in merges:
                into_provider = kept in ids if kept else fold(clean_organization_name(kept_name)) in folded
                if into_provider and (removed not in ids or not {kept_name, removed_name} <= names):
                    ids.add(removed)
                    names |= {kept_name, removed_name}
                    changed = True
        return cls(names, ids)


def for_reader(user) -> ProviderNames | None:
    """The names to mask for `user`, or None when the user may see them (no query then)."""
    if access.can_see_provider_names(user):
        return None
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = ProviderNames.load()
        if user is not None:
            setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def mask_provider_names(text, user) -> str:
    """`text` as `user` may read it: every provider's name replaced by the mask the structured fields
    use, for everyone but the secretariat and holders of the case permission."""
    text = "" if text is None else str(text)
    if not text:
        return text
    hidden = for_reader(user)
    if hidden is None:
        return text
    return hidden.matcher.replace(text, access.HIDDEN_PROVIDER_NAME)


def mask_provider_names_in_html(text, user):
    """Like mask_provider_names, for a string that may be HTML someone else has built (the admin's
    lists of the records a deletion takes along). Safe HTML stays safe (the mask has nothing to
    escape); plain text stays plain, to be escaped where it is shown."""
    if not hasattr(text, "__html__"):
        return mask_provider_names(text, user)
    hidden = for_reader(user)
    if hidden is None:
        return text
    return mark_safe(hidden.html_matcher.replace(str(text), access.HIDDEN_PROVIDER_NAME))


def is_hidden_organization(pk, user) -> bool:
    """Whether the record `pk` — living or deleted — is a provider's, for a user who may not see its
    name (the admin's history of a merged-away record asks this)."""
    hidden = for_reader(user)
    return hidden is not None and pk in hidden.organization_ids


# --- search ------------------------------------------------------------------------------------------


def search_words(query: str) -> list[str]:
    """The words of a search, folded like the text they are looked for in."""
    return [fold(word) for word in (query or "").split() if fold(word)]


def admin_search_words(search_term: str) -> list[str]:
    """The words of an admin search, split as the admin splits them (quoted phrases kept whole)."""
    words = []
    for bit in smart_split(search_term or ""):
        if bit[:1] in ('"', "'") and bit[-1:] == bit[:1] and len(bit) > 1:
            bit = unescape_string_literal(bit)
        if fold(bit):
            words.append(fold(bit))
    return words


def text_matches(texts, words: list[str], user) -> bool:
    """Whether every word is in one of `texts` as `user` reads them: for whoever may not see the
    providers' names, the search runs on the masked text, so that a name (or a part of it) finds
    nothing and so confirms nothing."""
    haystacks = [fold(mask_provider_names(text, user)) for text in texts if text]
    return all(any(word in haystack for haystack in haystacks) for word in words)


# --- warning whoever types a name --------------------------------------------------------------------


def provider_names_in(texts) -> list[str]:
    """The providers' names in `texts` as typed, each once. Reads the registry afresh: it is asked
    right after a save, which may itself have made an organisation a provider."""
    texts = [str(text) for text in texts if text]
    if not texts:
        return []
    matcher = ProviderNames.load().matcher
    return list(dict.fromkeys(name for text in texts for name in matcher.found_in(text)))


def warn_about_provider_names(request, texts) -> None:
    """After a save: tell the user that what they typed names a provider and will be masked for
    others. The text is kept as typed. The names are repeated only to someone who may see them."""
    found = provider_names_in(texts)
    if not found:
        return
    names = f"（{'、'.join(found)}）" if access.can_see_provider_names(request.user) else ""
    messages.warning(
        request,
        f"入力した文に一時保護委託先の名称{names}が含まれています。"
        "閲覧権限のない利用者には伏せ字で表示されます。",
    )


def changed_texts(form, fields) -> list[str]:
    """The values of `fields` that `form` changed (all of them for a new record)."""
    return [
        form.cleaned_data.get(name)
        for name in fields
        if name in form.changed_data and isinstance(form.cleaned_data.get(name), str)
    ]


def typed_texts(form, formsets=()) -> list[str]:
    """What the user typed into free text on one save, for `warn_about_provider_names`: the free
    text (each model's FREE_TEXT_FIELDS) that the form and the rows kept in its formsets changed,
    and the names of the files uploaded (a file's name is shown on the meeting's page). The app's
    pages and the admin both ask this."""
    texts = _typed_in(form)
    for formset in formsets:
        for row in formset.forms:
            if row.has_changed() and row not in formset.deleted_forms:
                texts += _typed_in(row)
    return texts


def _typed_in(form) -> list[str]:
    texts = changed_texts(form, getattr(form._meta.model, "FREE_TEXT_FIELDS", ()))
    texts += [
        value.name
        for name, value in form.cleaned_data.items()
        if name in form.changed_data and isinstance(value, UploadedFile)
    ]
    return texts


def show_masked(obj, user):
    """Make str(obj) read as `user` may read it: the admin prints objects in titles, breadcrumbs and
    lists of related records (see `shown_str` in the models' __str__)."""
    if obj is not None and not access.can_see_provider_names(user):
        obj.__dict__.pop("shown_str", None)
        obj.shown_str = mask_provider_names(str(obj), user)
    return obj
