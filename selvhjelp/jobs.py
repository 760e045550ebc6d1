"""Periodic jobs: plain functions, run by Celery beat, cron or a test alike.

A job is a function registered with `@job("name")` in any app's `jobs.py`.
It runs from the Celery task `selvhjelp.tasks.run_job` (scheduled in
CELERY_BEAT_SCHEDULE, the one place that lists the times) and from
`manage.py run_job <name>`. Every job is safe to run twice: what it writes
has a de-duplication key, and what it sends is claimed row by row.

Adding a job (e.g. the reminders before a group's first meeting): write the
function in that app's jobs.py with `@job("remind_first_meetings")`, queue
its messages with `selvhjelp.messaging.queue_messages`, and add one entry to
CELERY_BEAT_SCHEDULE.
"""

import logging
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from . import audit, messaging, outbox_keys
from .models import OutboundMessage, StaffMembership

logger = logging.getLogger(__name__)

_JOBS = {}


class UnknownJob(LookupError):
    pass


def job(name):
    """Register the decorated function as the job `name`."""

    def register(func):
        _JOBS[name] = func
        return func

    return register


def registered_jobs():
    """Every job, by name, after importing each installed app's jobs module."""
    autodiscover_modules("jobs")
    return dict(sorted(_JOBS.items()))


def run_job(name):
    """Run the job `name` and return its summary (counts only)."""
    jobs = registered_jobs()
    if name not in jobs:
        raise UnknownJob(f"No job called {name!r}; known: {', '.join(jobs)}")
    result = jobs[name]()
    logger.info("Job %s done: %s", name, result)
    return result


# --- Sending due messages -------------------------------------------------------


@job("send_due_messages")
def send_due_messages():
    """Send every outbox row that is due: new ones the broker missed, and retries."""
    # Stop before the next beat run starts; the rest waits a minute.
    return messaging.send_due_messages(time_budget=50)


# --- Tidying: sessions and the access log -----------------------------------------


@job("clear_expired_sessions")
def clear_expired_sessions():
    """Delete expired sessions, which Django keeps until something deletes them.

    A session can hold a person's receipt (their reference and centre);
    erasure, withdrawal and retention delete those at once, this job the
    rest once they expire.
    """
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE.endswith(".db") or settings.SESSION_ENGINE.endswith(".cached_db"):
        from django.contrib.sessions.models import Session

        _total, by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return {"expired_sessions": sum(by_model.values())}
    engine.SessionStore.clear_expired()
    return {"expired_sessions": None}


@job("prune_access_log")
def prune_access_log():
    """Delete access log entries older than ACCESS_LOG_RETENTION_MONTHS (counts only)."""
    return {"access_entries": audit.prune_access_log()}


# --- The staff digest -----------------------------------------------------------


def count_failed_messages(today):
    """Messages per centre that failed and were neither sent again nor cancelled."""
    rows = (
        OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED)
        .values("centre")
        .annotate(n=Count("pk"))
    )
    return {row["centre"]: row["n"] for row in rows}


def count_held_messages(today):
    """Messages per centre held after a restore, waiting for staff to send or drop them."""
    rows = (
        OutboundMessage.objects.filter(status=OutboundMessage.Status.HELD)
        .values("centre")
        .annotate(n=Count("pk"))
    )
    return {row["centre"]: row["n"] for row in rows}


# What the digest counts: context key -> function(today) giving {centre id: count},
# each a line in templates/messages/staff_digest.txt. The core counts failed
# messages; each app adds its own counters in its AppConfig.ready() (as it adds
# its MESSAGE_TYPES), so the core never imports the apps.
DIGEST_COUNTERS = {
    "failed_messages": count_failed_messages,
    "held_messages": count_held_messages,
}


@job("staff_digest")
@transaction.atomic
def staff_digest():
    """Queue today's digest for every staff member of each centre with something to say.

    Counts only, never names or what anyone wrote. One email per staff member
    per centre per day (the de-duplication key), so a second run the same day
    writes nothing. Queries do not grow with the number of centres.
    """
    today = timezone.localdate()
    counts = {name: counter(today) for name, counter in DIGEST_COUNTERS.items()}
    centre_ids = {centre_id for per_centre in counts.values() for centre_id in per_centre}
    memberships = (
        StaffMembership.objects.filter(
            centre__in=centre_ids, centre__active=True, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("centre", "user")
        .order_by("centre_id", "user_id")
    )
    drafts = []
    for membership in memberships:
        centre = membership.centre
        context = {name: per_centre.get(centre.pk, 0) for name, per_centre in counts.items()}
        context.update(
            centre=centre.name,
            digest_on=today.isoformat(),
            uncontacted_days=settings.DIGEST_UNCONTACTED_DAYS,
            idle_months=settings.INTAKE_IDLE_MONTHS,
        )
        drafts.append(
            {
                "centre": centre,
                "channel": OutboundMessage.Channel.EMAIL,
                "recipient": membership.user.email,
                "message_type": "staff_digest",
                "about": centre,
                "to": membership.user,
                "dedup_key": outbox_keys.staff_digest(centre, today, membership.user),
                "context": context,
            }
        )
    return {"digests": messaging.queue_messages(drafts)}
