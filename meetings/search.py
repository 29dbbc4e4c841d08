"""Searching meetings by words in what was typed about them, and organisations by name (to choose
them in the meeting form).

The search reads each meeting as the user may read it: the content of closed meetings only for the
roles that read it, and providers' names masked for whoever may not see them (see
meetings.provider_names.text_matches) — so a search cannot confirm a name the page would mask.
"""

from collections import defaultdict

from django import forms

from meetings import access
from meetings.models import AgendaItem, FollowUp, Meeting, Organization
from meetings.names import LEGAL_FORMS, clean_organization_name
from meetings.provider_names import search_words, text_matches
from plan.common.form_fields import fits_column


class MeetingSearchForm(forms.Form):
    q = forms.CharField(label="キーワード", max_length=100, required=False)


def meetings_matching(meetings, query: str, user):
    """`meetings` narrowed to those whose title, place, agenda or (where the user reads them)
    minutes, decisions and follow-ups contain every word of `query`.

    Compared in Python on folded text (width, case and spaces do not matter), three queries for any
    number of meetings: the plan's meetings number in the hundreds.
    """
    words = search_words(query)
    if not words:
        return meetings
    reads_closed = access.can_read_closed_content(user)
    rows = list(meetings.order_by().values_list("pk", "title", "place", "minutes", "decisions", "openness"))
    ids = [row[0] for row in rows]
    agenda = defaultdict(list)
    for meeting_id, title in AgendaItem.objects.filter(meeting_id__in=ids).values_list("meeting_id", "title"):
        agenda[meeting_id].append(title)
    follow_ups = defaultdict(list)
    for meeting_id, description, owner in FollowUp.objects.filter(meeting_id__in=ids).values_list(
        "meeting_id", "description", "owner"
    ):
        follow_ups[meeting_id] += [description, owner]
    matching = []
    for pk, title, place, minutes, decisions, openness in rows:
        texts = [title, place, *agenda[pk]]
        if openness == Meeting.Openness.OPEN or reads_closed:
            texts += [minutes, decisions, *follow_ups[pk]]
        if text_matches(texts, words, user):
            matching.append(pk)
    return meetings.filter(pk__in=matching)


# --- organisations, for choosing them in a form ------------------------------------------------------

ORGANIZATIONS_SHOWN = 20  # matches offered at a time: the form stays small whatever the registry's size


def organization_search_words(text: str) -> list[str]:
    """The words to look for in organisations' names, folded: the legal form is left out, since
    names are typed with or without it and in its several spellings."""
    text = clean_organization_name(text)
    for form in LEGAL_FORMS:
        text = text.replace(form, " ")
    return search_words(text)


def organizations_matching(user, query: str, *, limit: int = ORGANIZATIONS_SHOWN, exclude=()) -> list:
    """At most `limit` organisations whose name, as `user` may read it, contains every word of
    `query`, by name — each with `shown_name` (meetings.access.organizations_named_for).

    As the organisation list's search: never an organisation whose name is masked for the user (a
    masked row among the results would confirm that the typed name is a provider's), and for such a
    user the names are compared masked (meetings.provider_names.text_matches). Compared in Python,
    so that width and case never matter (ＮＰＯ finds NPO); two queries whatever the registry's size,
    the names read in chunks and the reading stopped once `limit` are found."""
    words = organization_search_words(query)
    if not words:
        return []
    candidates = access.organizations_findable_by(user, access.organizations_visible_to(user)).exclude(
        pk__in=[pk for pk in exclude if pk]
    )
    found = []
    for pk, name in candidates.order_by("name", "pk").values_list("pk", "name").iterator(chunk_size=2000):
        if text_matches([name], words, user):
            found.append(pk)
            if len(found) >= limit:
                break
    if not found:
        return []
    return list(candidates.filter(pk__in=found).order_by("name", "pk"))


def organizations_by_id(user, ids) -> list:
    """The organisations of `ids` (text as sent; anything but a record's id ignored) the user
    sees, by name, each with `shown_name`: a provider is named by the mask for whoever may not
    see its name, as on the meeting's page."""
    key_field = Organization._meta.pk
    texts = [str(value).strip() for value in ids]
    wanted = [int(text) for text in texts if text.isascii() and text.isdigit()]
    wanted = [pk for pk in wanted if fits_column(key_field, pk)]
    if not wanted:
        return []
    return list(access.organizations_visible_to(user).filter(pk__in=wanted).order_by("name_hidden", "name"))
