"""Error pages Django renders through a view of ours. The others (400, 403, 404, 500) are Django's
default views rendering templates/<status>.html."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render


@login_not_required
def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (CSRF_FAILURE_VIEW): usually a page left open past the
    session's end, or cookies turned off. Django's own page is in English and speaks of tokens;
    this one says what happened and what to do, and that nothing was saved. The reason stays out
    of the page (it is for developers, and in the log)."""
    return render(request, "csrf_failure.html", status=403)
