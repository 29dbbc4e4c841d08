"""Reminding the municipalities that have not submitted (督促), from a round's page.

`round_remind` (/returns/rounds/<year>/remind/): on GET a confirmation page listing the
municipalities to be reminded and those left out (already reminded today, no officer with an
address); on POST the reminders are sent (municipalities.services.return_reminders_send) and the
secretariat goes back to the round page with a summary. Plan administrators only. The scheduled
`manage.py send_return_reminders` sends the same reminders; see docs/returns.md (督促)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from municipalities import selectors, services
from municipalities.models import ReturnReminder
from municipalities.views.secretariat import _round_or_404, secretariat_only
from plan.common.fiscal_year import era_date


@secretariat_only
def round_remind(request, year):
    round = _round_or_404(request, year)
    if request.method == "POST":
        try:
            report = services.return_reminders_send(
                round=round, user=request.user, channel=ReturnReminder.Channel.BUTTON
            )
        except ValidationError as error:
            messages.error(request, "督促できませんでした。" + " ".join(error.messages))
        else:
            if report.failed:
                messages.error(request, report.summary)
            elif report.reminded:
                messages.success(request, report.summary)
            else:
                messages.info(request, report.summary)
        return redirect("municipalities:review_round", year=round.fiscal_year)
    return render(
        request,
        "municipalities/secretariat/remind_confirm.html",
        {
            "round": round,
            "plan": selectors.reminder_plan(round) if round.is_open else None,
            "deadline_label": era_date(round.deadline, western=True),
            "no_address_message": selectors.NO_ADDRESS_MESSAGE,
        },
    )
