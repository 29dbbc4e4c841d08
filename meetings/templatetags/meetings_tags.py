"""Template tags that let the plan's pages show what the meetings app holds about a measure,
without the plan app importing meetings (imports point one way: plan ← meetings), and the filter
that masks providers' names in free text on every page."""

from django import template
from django.db.models import Prefetch

from meetings import access
from meetings.models import AgendaItem, FollowUp
from meetings.provider_names import mask_provider_names

register = template.Library()


@register.simple_tag(takes_context=True)
def measure_meetings(context, measure):
    """The meetings whose agenda concerns `measure`, and the follow-ups linked to it: three queries,
    whatever the number of meetings. The snippet shows their free text through `mask_providers`."""
    user = context["request"].user
    meetings = (
        access.meetings_visible_to(user)
        .filter(agenda_items__measures=measure)
        .distinct()
        .select_related("body", "tier")
        .prefetch_related(
            Prefetch(
                "agenda_items", queryset=AgendaItem.objects.filter(measures=measure), to_attr="measure_agenda"
            )
        )
        .order_by("-date", "-id")
    )
    follow_ups = (
        access.follow_ups_visible_to(user, FollowUp.objects.filter(measures=measure))
        .select_related("meeting__body", "meeting__tier")
        .order_by("done", "due_date", "id")
    )
    return {"meetings": list(meetings), "follow_ups": list(follow_ups)}


@register.filter
def mask_providers(text, user):
    """`{{ meeting.minutes|mask_providers:user }}`: free text as `user` may read it (providers'
    names masked for whoever may not see them). The names are read once per request."""
    return mask_provider_names(text, user)
