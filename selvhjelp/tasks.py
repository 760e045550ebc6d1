"""Celery tasks: thin entry points that take ids or names and call services.

Retry policy: sends are not retried at the Celery level. A send that fails
is rescheduled in the database (`due_at`, with backoff) and the beat sweep
sends it, so no countdown or ETA task waits on the Redis broker. A task that
dies mid-way is harmless: rows are claimed atomically and every job is safe
to run twice.

The one exception: a periodic job that fails because the database is
unreachable is tried again JOB_RETRY_SECONDS later, for up to
JOB_RETRY_MAX_TRIES tries, so a daily job missed in an outage runs within
minutes of the database's return, not the next day. The sweep is not: it
runs every minute anyway.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from . import jobs, messaging

logger = logging.getLogger(__name__)

# Jobs beat runs so often that the next run is the retry.
NOT_RETRIED = {"send_due_messages"}


@shared_task(ignore_result=False)
def ping():
    """A broker round-trip: a worker answers "pong". Used to check the pipeline."""
    return "pong"


@shared_task
def send_message(message_id):
    """Send one outbox row now if it is due and not already taken (enqueued after commit)."""
    return messaging.send_message(message_id=message_id)


@shared_task(bind=True, max_retries=None)
def run_job(self, name):
    """Run one periodic job of selvhjelp.jobs by name (the entries of CELERY_BEAT_SCHEDULE)."""
    try:
        return jobs.run_job(name)
    except (OperationalError, InterfaceError) as error:
        if name in NOT_RETRIED or self.request.retries >= settings.JOB_RETRY_MAX_TRIES:
            raise
        close_old_connections()
        logger.warning(
            "Job %s failed: the database is unreachable (%s); trying again in %d s (try %d)",
            name,
            type(error).__name__,
            settings.JOB_RETRY_SECONDS,
            self.request.retries + 1,
        )
        # Not bound by the beat entry's expiry: a missed daily job still runs today.
        raise self.retry(countdown=settings.JOB_RETRY_SECONDS, expires=None) from error
