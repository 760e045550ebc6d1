"""Periodic jobs about interest forms (see selvhjelp.jobs; the time is in CELERY_BEAT_SCHEDULE)."""

from selvhjelp.jobs import job

from . import retention


@job("apply_retention")
def apply_retention(*, now=None):
    """Delete and anonymise personal data past its retention period (counts only).

    Safe to run twice: what is gone is not found again. Also
    `manage.py apply_retention` (with --dry-run to see the counts first).
    """
    return retention.apply_retention(now=now).as_dict()
