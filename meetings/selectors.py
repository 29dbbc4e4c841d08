"""Reads of the meetings app that more than one page shares."""

from django.db.models import Prefetch

from meetings import access
from meetings.models import AgendaItem


def meetings_concerning_measure(user, measure):
    """The meetings `user` may see whose agenda concerns `measure`, newest first, each with
    `measure_agenda` (its agenda items about the measure). A queryset, so that the measure page
    can take the latest few and the full list can paginate it."""
    return (
        access.meetings_visible_to(user)
        .filter(agenda_items__measures=measure)
        .distinct()
        .select_related("body", "tier")
        .prefetch_related(
            Prefetch(
                "agenda_items", queryset=AgendaItem.objects.filter(measures=measure), to_attr="measure_agenda"
            )
        )
        .order_by("-date", "-start_time", "-id")
    )
