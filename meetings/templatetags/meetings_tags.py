"""Template tags that let the plan's pages show what the meetings app holds about a measure,
without the plan app importing meetings (imports point one way: plan ← meetings), and the filter
that masks providers' names in free text on every page."""

from django import template

from meetings import access
from meetings.models import FollowUp
from meetings.provider_names import mask_provider_names
from meetings.selectors import meetings_concerning_measure

register = template.Library()


@register.simple_tag(takes_context=True)
def measure_meetings(context, measure, latest=None):
    """The meetings whose agenda concerns `measure` (the `latest` newest only, if given, with
    `meeting_count`, the number of them all), and the follow-ups linked to it: four queries,
    whatever the number of meetings. The snippet shows their free text through `mask_providers`."""
    user = context["request"].user
    meetings = meetings_concerning_measure(user, measure)
    follow_ups = (
        access.follow_ups_visible_to(user, FollowUp.objects.filter(measures=measure))
        .select_related("meeting__body", "meeting__tier")
        .order_by("done", "due_date", "id")
    )
    shown = list(meetings if latest is None else meetings[:latest])
    # Counted whether or not there are more, so the page runs the same queries at any size.
    count = len(shown) if latest is None else meetings.count()
    return {"meetings": shown, "meeting_count": count, "follow_ups": list(follow_ups)}


@register.filter
def mask_providers(text, user):
    """`{{ meeting.minutes|mask_providers:user }}`: free text as `user` may read it (providers'
    names masked for whoever may not see them). The names are read once per request."""
    return mask_provider_names(text, user)
