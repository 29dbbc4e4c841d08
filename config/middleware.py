from django.core.exceptions import BadRequest

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
