"""Model fields that recur across the apps."""

from django.conf import settings
from django.db import models


def acting_user_field(verbose_name: str) -> models.ForeignKey:
    """Who did something to a record (opened, submitted, accepted, published it…), set by the
    services beside the moment it happened: optional (the system, or not yet), never edited in a
    form, kept when the account is deactivated (PROTECT), and without a reverse accessor on User."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
