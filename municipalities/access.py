"""Who may see and do what with the annual returns: the one place these rules are written.

Plain functions, as in healthchecks:

- rules: `can_…(user)` and `can_…(user, annual_return)`;
- querysets scoped to a user: `returns_visible_to(user)`, `rounds_visible_to(user)`;
- helpers for views: `get_return_for_user_or_404(request, pk)` and friends (404 when the user may
  not know the return exists, 403 when they may see it but not change it).

The rules in words (docs/returns.md has the table):

- Municipal officers see and change only their own municipality's returns (an officer account is
  linked to one municipality through MunicipalOfficer; a municipality may have several officers).
  Another municipality's return is a 404 for them, as if it did not exist.
- Plan administrators (the secretariat) see every return, open and close rounds, review (send back,
  accept, reopen) and may fill in a return on a municipality's behalf.
- Viewers and bureau staff see no returns at all: the returns carry the municipalities' free text
  (issues, requests to the metropolis), which reaches them only through the indicators and the
  briefing, never as the returns themselves. System operators (superusers without the plan
  administrator's role) see none either.

Whether the answers may be changed *now* (the state, the round) is the return's own business
(`AnnualReturn.edit_refusal()` and friends); the `can_…` predicates below combine both. Nothing
here writes: writes are municipalities.services, which ask these same functions.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from municipalities.models import AnnualReturn, GoodPractice, ReturnRound, ReturnTransition
from plan.accounts.roles import Role, has_role, is_plan_admin


def officer_municipality_id(user) -> int | None:
    """The municipality an active municipal officer works for; None for anyone else (an officer
    whose account is not linked to a municipality sees nothing)."""
    if not has_role(user, Role.MUNICIPAL_OFFICER):
        return None
    officer = getattr(user, "municipal_officer", None)
    return officer.municipality_id if officer is not None else None


# --- rules ------------------------------------------------------------------------------------------


def can_review_returns(user) -> bool:
    """The secretariat's side: every return, rounds, review, training courses."""
    return is_plan_admin(user)


def can_manage_rounds(user) -> bool:
    return can_review_returns(user)


def can_manage_training_courses(user) -> bool:
    return can_review_returns(user)


def can_see_returns(user) -> bool:
    """Whether the user sees any return at all."""
    return can_review_returns(user) or officer_municipality_id(user) is not None


def can_see_return(user, annual_return: AnnualReturn) -> bool:
    if can_review_returns(user):
        return True
    municipality_id = officer_municipality_id(user)
    return municipality_id is not None and municipality_id == annual_return.municipality_id


def is_own_return(user, annual_return: AnnualReturn) -> bool:
    """The user is an officer of the return's municipality."""
    municipality_id = officer_municipality_id(user)
    return municipality_id is not None and municipality_id == annual_return.municipality_id


def may_change_return(user, annual_return: AnnualReturn) -> bool:
    """Whether the user is one of those who change this return (its municipality's officers, and
    the secretariat on their behalf), whatever its state."""
    return is_own_return(user, annual_return) or can_review_returns(user)


def can_edit_return(user, annual_return: AnnualReturn) -> bool:
    """Whether the user may save the return's answers now: one of those who change it, and the
    return open for changes (a draft or sent back, in an open round)."""
    return may_change_return(user, annual_return) and annual_return.edit_refusal() is None


def can_submit_return(user, annual_return: AnnualReturn) -> bool:
    return may_change_return(user, annual_return) and annual_return.submit_refusal() is None


def can_withdraw_return(user, annual_return: AnnualReturn) -> bool:
    """Withdrawing (取下げ) is the municipality's own correction: its officers, before the
    secretariat opens the submission. The secretariat sends back instead."""
    return is_own_return(user, annual_return) and annual_return.withdraw_refusal() is None


def can_send_back_return(user, annual_return: AnnualReturn) -> bool:
    return (
        can_review_returns(user)
        and annual_return.state == AnnualReturn.State.SUBMITTED
        and annual_return.round.is_open
    )


def can_accept_return(user, annual_return: AnnualReturn) -> bool:
    return can_review_returns(user) and annual_return.state == AnnualReturn.State.SUBMITTED


def can_reopen_return(user, annual_return: AnnualReturn) -> bool:
    return (
        can_review_returns(user)
        and annual_return.state == AnnualReturn.State.ACCEPTED
        and annual_return.round.is_open
    )


# --- querysets scoped to a user --------------------------------------------------------------------


def returns_visible_to(user, queryset=None):
    """The returns the user may see: all for the secretariat, their municipality's for an officer,
    none for anyone else. `queryset`, if given, is what the page loads, narrowed here."""
    returns = AnnualReturn.objects.all() if queryset is None else queryset
    if can_review_returns(user):
        return returns
    municipality_id = officer_municipality_id(user)
    if municipality_id is None:
        return returns.none()
    return returns.filter(municipality_id=municipality_id)


def rounds_visible_to(user, queryset=None):
    """Rounds (their deadline and message): for the secretariat and for every officer, whose
    municipality has a return in each."""
    rounds = ReturnRound.objects.all() if queryset is None else queryset
    return rounds if can_see_returns(user) else rounds.none()


def transitions_visible_to(user, queryset=None):
    """The workflow log of the returns the user sees: both sides read every step and comment."""
    transitions = ReturnTransition.objects.all() if queryset is None else queryset
    return transitions.filter(annual_return__in=returns_visible_to(user))


# --- helpers for views -----------------------------------------------------------------------------


def get_return_for_user_or_404(request, pk, queryset=None) -> AnnualReturn:
    """A return the user may see; 404 otherwise — another municipality's return included, so that
    an officer typing ids by hand learns nothing."""
    returns = returns_visible_to(request.user, queryset).select_related("round", "municipality")
    return get_object_or_404(returns, pk=pk)


def get_return_for_editing_or_404(request, pk) -> AnnualReturn:
    """A return the user may change: 404 if they may not see it, PermissionDenied if they see it
    but are not among those who change it. Its state is for the page to explain
    (`edit_refusal()`), not a refusal here."""
    annual_return = get_return_for_user_or_404(request, pk)
    if not may_change_return(request.user, annual_return):
        raise PermissionDenied
    return annual_return


def get_return_for_review_or_404(request, pk) -> AnnualReturn:
    """A return for the secretariat's review: PermissionDenied for anyone else (officers see their
    returns on their own pages, never the review), 404 for an id that is no return."""
    if not can_review_returns(request.user):
        raise PermissionDenied
    return get_return_for_user_or_404(request, pk)


def check_can_review_returns(user, *, action: str) -> None:
    """Raise PermissionDenied unless the user is the secretariat (e.g. action 「受理」)."""
    if not can_review_returns(user):
        raise PermissionDenied(f"{action}できるのは計画管理者（事務局）だけです。")


# --- sharing back with the municipalities (区市町村への還元) -------------------------------------------
#
# The metropolis shares what it gathers (seed 000, measure 104): every municipality's plan and
# council status, as structured answers only, and the good practices the secretariat publishes.
# This is the metropolis' own published information, so every role sees it — officers all
# municipalities', bureau staff and viewers too; an account without a role sees nothing. Drafts of
# good practices, and writing them, are the secretariat's alone.


def can_see_shared_information(user) -> bool:
    """The shared status page and the published good practices: anyone holding a role."""
    return has_role(user, *Role)


def can_manage_good_practices(user) -> bool:
    return can_review_returns(user)


def practices_visible_to(user, queryset=None):
    """Good practices the user may read: all, drafts included, for the secretariat; the published
    ones for anyone else holding a role; none without a role."""
    practices = GoodPractice.objects.all() if queryset is None else queryset
    if can_manage_good_practices(user):
        return practices
    if not can_see_shared_information(user):
        return practices.none()
    return practices.filter(published_at__isnull=False)


def check_can_manage_good_practices(user, *, action: str) -> None:
    if not can_manage_good_practices(user):
        raise PermissionDenied(f"{action}できるのは計画管理者（事務局）だけです。")


def get_practice_for_editing_or_404(request, pk):
    """A good practice for the secretariat's edit page: PermissionDenied for anyone else (a draft's
    existence is not theirs to learn, and the published ones are on the list), 404 for an unknown id."""
    if not can_manage_good_practices(request.user):
        raise PermissionDenied
    return get_object_or_404(
        practices_visible_to(request.user).select_related(
            "annual_return__round", "annual_return__municipality", "published_by", "created_by", "updated_by"
        ),
        pk=pk,
    )
