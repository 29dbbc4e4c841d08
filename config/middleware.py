import time

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils.cache import add_never_cache_headers

NUL = "\x00"


class RejectNulCharactersMiddleware:
    """A 400 (templates/400.html) for any request with a NUL character in its path or in a GET or
    POST parameter's name or value.

    No form or page here has a use for one, and PostgreSQL refuses NUL in text: a search or filter
    that carried one reached the database and failed there with a server error. Checking every
    request once covers every form, filter and admin page, including those of other packages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            NUL in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            raise BadRequest("A NUL character in the request.")
        return self.get_response(request)


def _has_nul(query_dict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists())


class NoStoreForSignedInUsersMiddleware:
    """`Cache-Control: no-store` (and the rest of Django's never-cache headers) on every response
    to a signed-in user: pages, downloads and redirects alike.

    The system is used on shared municipal PCs: without it the browser may keep a page in its cache
    and show it again (Back, or a restored tab) to the next person at the PC after the first has
    signed out. Static files are left cacheable: they hold no data (WhiteNoise serves them before
    this middleware in any case; the path check covers the development server too). A view that set
    its own Cache-Control keeps it only if it already forbids storing."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.static_prefix)
            and "no-store" not in response.get("Cache-Control", "")
        ):
            add_never_cache_headers(response)
        return response


# When a signed-in session's stored end was last moved forward (seconds since the epoch).
SESSION_REFRESHED_AT = "_idle_refreshed_at"


class IdleSessionTimeoutMiddleware:
    """Ends a signed-in session after SESSION_IDLE_TIMEOUT_MINUTES without a request.

    The session backend refuses a session past its stored end, which Django sets to
    SESSION_COOKIE_AGE (the timeout plus SESSION_REFRESH_SECONDS) from each save. This middleware
    saves the session again when the last move is SESSION_REFRESH_SECONDS old — marking it
    modified, so that SessionMiddleware writes it with a fresh end — rather than on every request
    as SESSION_SAVE_EVERY_REQUEST would (see config/settings.py for why). A session saved anyway
    (a login, a form that stores something) counts as a move too.

    It also puts the timeout, in seconds, on the request (`request.session_idle_timeout`) for
    base.html to hand to static/js/session-timeout.js."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.session_idle_timeout = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            refreshed_at = session.get(SESSION_REFRESHED_AT)
            now = int(time.time())
            if session.modified or refreshed_at is None or now - refreshed_at >= settings.SESSION_REFRESH_SECONDS:
                session[SESSION_REFRESHED_AT] = now
        return response


def mark_session_refreshed_at_login(sender, request, user, **kwargs):
    """At login (a user_logged_in receiver, connected in config.apps): the new session is saved
    with a full lifetime, so it starts its count now. (The middleware would do the same for a
    sign-in through the login form; this covers every way of signing in.)"""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_REFRESHED_AT] = int(time.time())
