"""The access rule for the plan's pages: everyone signed in reads the plan; administrators edit it."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from plan.accounts.roles import Role, has_role


def role_required(*roles: Role):
    """Refuse (403) a signed-in user without one of `roles`. Anonymous users never get here:
    LoginRequiredMiddleware sends them to the login page first."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def any_role_required(view):
    """Any of the four roles: an account with no role (left without a group) sees nothing."""
    return role_required(*Role)(view)
