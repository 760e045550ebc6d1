"""Periodic jobs about interest forms (see selvhjelp.jobs; the time is in CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from selvhjelp.jobs import job

from . import retention
from .models import Intake


@job("apply_retention")
def apply_retention(*, now=None):
    """Tell staff of idle forms, close, delete and anonymise what is due (counts only).

    Safe to run twice: what is gone is not found again. Also
    `manage.py apply_retention` (with --dry-run to see the counts first).
    """
    return retention.apply_retention(now=now).as_dict()


@job("clear_submission_keys")
def clear_submission_keys(*, now=None):
    """Forget the key that stopped a double click from saving a form twice, once it is old.

    The key only matters while the form page may be sent again (minutes);
    it is kept SUBMISSION_KEY_HOURS.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.SUBMISSION_KEY_HOURS)
    cleared = Intake.objects.filter(submission_key__isnull=False, created_at__lt=cutoff).update(
        submission_key=None
    )
    return {"submission_keys": cleared}
