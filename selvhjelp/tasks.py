"""Celery tasks: thin entry points that take ids or names and call services.

Retry policy: none at the Celery level. A send that fails is rescheduled in
the database (`due_at`, with backoff) and the beat sweep sends it, so no
countdown or ETA task waits on the Redis broker. A task that dies mid-way
is harmless: rows are claimed atomically and every job is safe to run twice.
"""

from celery import shared_task

from . import jobs, messaging


@shared_task(ignore_result=False)
def ping():
    """A broker round-trip: a worker answers "pong". Used to check the pipeline."""
    return "pong"


@shared_task
def send_message(message_id):
    """Send one outbox row now if it is due and not already taken (enqueued after commit)."""
    return messaging.send_message(message_id=message_id)


@shared_task
def run_job(name):
    """Run one periodic job of selvhjelp.jobs by name (the entries of CELERY_BEAT_SCHEDULE)."""
    return jobs.run_job(name)
