"""Searching meetings by words in what was typed about them.

The search reads each meeting as the user may read it: the content of closed meetings only for the
roles that read it, and providers' names masked for whoever may not see them (see
meetings.provider_names.text_matches) — so a search cannot confirm a name the page would mask.
"""

from collections import defaultdict

from django import forms

from meetings import access
from meetings.models import AgendaItem, FollowUp, Meeting
from meetings.provider_names import search_words, text_matches


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
