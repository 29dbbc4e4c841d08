from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views
from django.db.models import Count, Q
from django.shortcuts import render

from municipalities.views.officer import home_cards as officer_return_cards
from plan.access import any_role_required
from plan.models import Listing, Measure, Plan


@any_role_required
def home(request):
    plan = Plan.objects.current()
    context = {"plan": plan}
    if plan is not None:
        listing_counts = Listing.objects.filter(measure__plan=plan).aggregate(
            measures=Count("id", filter=Q(relisted=False)), relistings=Count("id", filter=Q(relisted=True))
        )
        context.update(
            reporting_year=plan.current_reporting_year(),
            goal_count=plan.goals.count(),
            area_count=plan.goals.aggregate(n=Count("areas"))["n"],
            measure_count=listing_counts["measures"],
            relisting_count=listing_counts["relistings"],
            headings_to_review=Measure.objects.filter(
                plan=plan, heading_inferred=True, heading_reviewed_at__isnull=True
            ).count(),
        )
    # A municipal officer's card: their municipality's return of each open round (two queries).
    context["officer_return_cards"] = officer_return_cards(request.user)
    return render(request, "home.html", context)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link also lifts a login lock on the account:
    the link proves the person holds the account's address, and the lock page offers this way out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        # Every address: the lock is per username and address, and the person may be elsewhere now.
        axes_reset(username=form.user.get_username())
        return response
