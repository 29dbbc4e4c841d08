from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.dashboard import dashboard_for, plan_summary
from plan.access import any_role_required
from plan.models import Plan


@any_role_required
def home(request):
    """The first page after login: the role's dashboard (config.dashboard), then the plan card."""
    plan = Plan.objects.current()
    context = plan_summary(plan) | dashboard_for(request.user, plan)
    return render(request, "home.html", context)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link also lifts a login lock on the account:
    the link proves the person holds the account's address, and the lock page offers this way out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        # Every address: the lock is per username and address, and the person may be elsewhere now.
        axes_reset(username=form.user.get_username())
        return response


# --- session keepalive (docs/security.md) ---
@require_GET
def keepalive(request):
    """What static/js/session-timeout.js's 「ログインを延長する」 calls: the session is saved, and
    so gets a fresh idle timeout (config.middleware.IdleSessionTimeoutMiddleware), at the cost of
    one session write and nothing else. Anonymous requests go to the login page like every other
    one, which the script reads as "the session has already ended"."""
    # A changed session is saved with a fresh end, however recently it was last moved.
    request.session.modified = True
    return HttpResponse(status=204)


# --- end session keepalive ---
