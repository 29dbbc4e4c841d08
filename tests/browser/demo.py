"""`make run`'s demo data in a browser test's database, and the addresses of the pages that the
accessibility and reflow tests open: the real thing a user meets, full lists and every state."""

from django.core.management import call_command

from config.management.commands.create_demo_users import DEMO_PASSWORD
from meetings.models import Meeting
from municipalities.models import AnnualReturn

__all__ = ["DEMO_PASSWORD", "load_demo", "demo_paths"]

# The demo's people (config/management/commands/create_demo_users.py).
SECRETARIAT = "admin"
BUREAU = "bureau"  # 福祉局 育成支援課: No. 86 is theirs
OFFICER = "officer"  # 新宿区
VIEWER = "viewer"

# The demo's reporting year: its progress year and its returns round.
YEAR = 2025


def load_demo():
    """What `make demo` runs after the reference data (the Makefile's demo target)."""
    call_command("create_demo_users", verbosity=0)
    call_command("start_progress_year", year=2024, verbosity=0)
    call_command("start_progress_year", year=YEAR, verbosity=0)
    call_command("create_demo_returns", verbosity=0)
    call_command("create_demo_meetings", verbosity=0)


def demo_paths():
    """Each checked page's address, by the key config.accessibility_views lists it under."""
    shinjuku_return = AnnualReturn.objects.get(round__fiscal_year=YEAR, municipality__name="新宿区")
    # A held meeting, with its agenda, attendance and follow-ups filled in.
    meeting = Meeting.objects.filter(status=Meeting.Status.HELD, title__startswith="【デモ】").order_by(
        "date", "pk"
    )[0]
    return {
        "login": "/accounts/login/",
        "accessibility": "/accessibility/",
        "dashboard": "/",
        "plan_tree": "/plan/",
        "measure": "/plan/measures/86/",
        "progress_list": f"/plan/progress/?year={YEAR}",
        "progress_form": f"/plan/progress/{YEAR}/86/edit/",
        "return_form": f"/returns/{shinjuku_return.pk}/",
        "round": f"/returns/rounds/{YEAR}/",
        "matrix": f"/returns/rounds/{YEAR}/matrix/",
        "indicator_overview": "/indicators/",
        "indicator_detail": "/indicators/1/",
        "meeting_list": "/meetings/",
        "meeting_counts": "/meetings/counts/",
        "meeting_detail": f"/meetings/{meeting.pk}/",
        "meeting_form": "/meetings/new/",
        "organization_list": "/meetings/organizations/",
    }
