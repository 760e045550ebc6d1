"""Read-side queries about interest forms used by jobs and staff pages."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count

from selvhjelp.dates import local_midnight

from .models import Intake


def count_uncontacted_intakes(today):
    """Interest forms per centre still "new" DIGEST_UNCONTACTED_DAYS calendar days after arrival.

    Counted in whole days in Oslo time, so a digest says the same on the day
    the clocks change as on any other day. For the staff digest.
    """
    cutoff_day = today - timedelta(days=settings.DIGEST_UNCONTACTED_DAYS - 1)
    rows = (
        Intake.objects.filter(status=Intake.Status.NEW, created_at__lt=local_midnight(cutoff_day))
        .values("centre")
        .annotate(n=Count("pk"))
    )
    return {row["centre"]: row["n"] for row in rows}
