"""Benchmark: the reminder scan and the send job at scale, on PostgreSQL with a real worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selvhjelp \
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/reminders.py

DATABASE_URL names the server only: the bench makes its own scratch database
(`selvhjelp_bench_reminders`, or BENCH_DATABASE), migrates it, and drops it at
the end, also after an error. REDIS_URL is the broker of a real Celery worker
process the bench starts (it listens on a queue of its own, so other workers
on the same Redis take nothing).

What it does:
1. Fills the database with bulk_create: active groups of eight members and
   twelve weekly meetings each, one group in eight starting in two days (its
   members are due a reminder now), the others running for weeks.
2. Times `remind_first_meetings` (the due-reminder scan that writes the
   outbox) at two sizes: 1,000 groups / 8,000 members and 10,000 groups /
   80,000 members, with the queries it makes. A bare `bulk_create` of as many
   outbox rows is the baseline.
3. Counts the queries of sending one message at both sizes (in-process).
4. Starts `celery worker` (prefork, one process per core) with the console
   email backend writing to /dev/null and times sending the 10,000 reminders:
   one sweep (`send_due_messages`) per worker process, enqueued again as beat
   would when a sweep's time budget runs out. A bare `send_mail` loop over the
   console backend in one process is the baseline.

Targets (issue 6): the scan under 10 s, sending under 60 s.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = os.environ.get("BENCH_DATABASE", "selvhjelp_bench_reminders")
SIZES = (1_000, 10_000)  # groups; eight members each
MEMBERS = 8
MEETINGS = 12
DUE_EVERY = 8  # one group in eight starts in two days
QUEUE = f"bench-reminders-{os.getpid()}"


def scratch_url(url):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{SCRATCH}"))


def configure_environment(database_url):
    """Settings for the bench, set before Django starts: production-like, no .env file."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "selvhjelp.settings",
            "ENV_FILE": "",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdef"),
            "EMAIL_URL": "consolemail://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "0",
        }
    )
    sys.path.insert(0, str(ROOT))


# --- The worker process -----------------------------------------------------------------


def run_worker(queue, concurrency):
    """Entry point of the worker subprocess (`bench/reminders.py --worker QUEUE N`)."""
    import django

    django.setup()
    from selvhjelp.celery import app

    # The console backend prints each email to stdout (here /dev/null); Celery
    # would otherwise turn every printed line into a log record.
    app.conf.worker_redirect_stdouts = False
    app.conf.task_default_queue = queue
    app.worker_main(
        [
            "worker",
            "--queues",
            queue,
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{queue}@%h",
        ]
    )


# --- The scratch database -----------------------------------------------------------------


def admin_connection(server_url):
    import psycopg

    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(server_url):
    from psycopg import sql

    with admin_connection(server_url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH)))


def drop_database(server_url):
    from psycopg import sql

    with admin_connection(server_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH))
        )


# --- Filling it ---------------------------------------------------------------------------------


def reference(number):
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    digits = []
    for _ in range(6):
        number, digit = divmod(number, len(alphabet))
        digits.append(alphabet[digit])
    code = "".join(digits)
    return f"{code[:3]}-{code[3:]}"


def fill(first_group, last_group, now):
    """Groups first_group..last_group-1 with their members, intakes and meetings."""
    from django.db import transaction

    from groups.models import Group, Meeting, Membership
    from intake.models import Intake
    from selvhjelp.dates import OSLO, local_start
    from selvhjelp.models import Centre

    local_now = now.astimezone(OSLO)
    # Due groups meet first two days from now, 30 minutes later on the clock:
    # their reminder time came half an hour ago.
    due_start = local_start(
        (local_now - datetime.timedelta(minutes=30)).date() + datetime.timedelta(days=2),
        (local_now - datetime.timedelta(minutes=30)).time().replace(second=0, microsecond=0),
    )
    with transaction.atomic():
        centres = list(Centre.objects.order_by("pk"))
        if not centres:
            centres = Centre.objects.bulk_create(
                Centre(name=f"Senter {n}", slug=f"senter-{n}", area="Bergen") for n in range(100)
            )
        groups = []
        for number in range(first_group, last_group):
            if number % DUE_EVERY == 0:
                first = due_start
                status = Group.Status.PLANNED
            else:
                weeks_ago = 3 + number % 9
                first = local_start(
                    local_now.date() - datetime.timedelta(weeks=weeks_ago, days=number % 7),
                    datetime.time(17 + number % 3, 0),
                )
                status = Group.Status.STARTED
            local_first = first.astimezone(OSLO)
            groups.append(
                Group(
                    centre=centres[number % len(centres)],
                    name=f"Gruppe {number}",
                    kind=Group.Kind.ACROSS,
                    format=Group.Format.PHYSICAL,
                    venue=f"Møterom {number % 20}",
                    weekday=local_first.weekday(),
                    start_time=local_first.time(),
                    planned_start=local_first.date(),
                    status=status,
                    started_on=None if status == Group.Status.PLANNED else local_first.date(),
                )
            )
        groups = Group.objects.bulk_create(groups, batch_size=2000)

        intakes, meetings = [], []
        for group in groups:
            for seat in range(1, MEMBERS + 1):
                number = int(group.name.split()[1]) * MEMBERS + seat
                intakes.append(
                    Intake(
                        centre_id=group.centre_id,
                        reference=reference(number),
                        name=f"Deltaker {number}",
                        email=f"deltaker{number}@example.org",
                        contact_by=Intake.ContactBy.EMAIL,
                        birth_year=1980,
                        confirmed_adult=True,
                        consent_version="bench",
                        consent_given_at=now,
                        status=Intake.Status.PLACED,
                    )
                )
            for sequence in range(1, MEETINGS + 1):
                date = group.planned_start + datetime.timedelta(weeks=sequence - 1)
                meetings.append(
                    Meeting(
                        group=group,
                        sequence=sequence,
                        start=local_start(date, group.start_time),
                        length=120,
                    )
                )
        intakes = Intake.objects.bulk_create(intakes, batch_size=5000)
        Meeting.objects.bulk_create(meetings, batch_size=5000)
        memberships = [
            Membership(
                group=groups[index // MEMBERS],
                intake=intake,
                seat=index % MEMBERS + 1,
                joined_on=groups[index // MEMBERS].planned_start - datetime.timedelta(days=14),
            )
            for index, intake in enumerate(intakes)
        ]
        Membership.objects.bulk_create(memberships, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(groups), len(intakes), len(meetings)


# --- Measuring ------------------------------------------------------------------------------------


class Row:
    def __init__(self, step, size, rows, seconds, queries=None, batch=None, note=""):
        self.step, self.size, self.rows, self.seconds = step, size, rows, seconds
        self.queries, self.batch, self.note = queries, batch, note

    def cells(self):
        rate = f"{self.rows / self.seconds:,.0f}" if self.seconds else "-"
        if self.queries is None:
            queries = per_batch = "-"
        else:
            queries = f"{self.queries}"
            batches = -(-self.rows // self.batch)
            per_batch = f"{self.queries / batches:.1f} per {self.batch:,} rows"
        return [
            self.step,
            self.size,
            f"{self.rows:,}",
            f"{self.seconds:.2f}",
            rate,
            queries,
            per_batch,
            self.note,
        ]


def print_table(rows):
    header = ["step", "data", "rows", "seconds", "rows/s", "queries", "queries per batch", "note"]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    print()
    print("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(header)) + " |")
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for line in table[1:]:
        print("| " + " | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)) + " |")
    print()


def baseline_bulk_create(count):
    """A bare bulk_create of `count` outbox rows like the reminders, in one transaction."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from groups.models import Membership
    from selvhjelp.models import Centre, OutboundMessage

    centre = Centre.objects.first()
    content_type = ContentType.objects.get_for_model(Membership)
    started = time.perf_counter()
    with transaction.atomic():
        OutboundMessage.objects.bulk_create(
            (
                OutboundMessage(
                    centre=centre,
                    channel="email",
                    recipient=f"baseline{n}@example.org",
                    message_type="group_first_meeting_reminder",
                    context={"first_name": "Kari", "group": "Gruppe", "place": "Møterom"},
                    content_type=content_type,
                    object_id=n,
                    dedup_key=f"baseline:{n}",
                    due_at=datetime.datetime.now(datetime.UTC),
                )
                for n in range(count)
            ),
            batch_size=1000,
        )
    seconds = time.perf_counter() - started
    OutboundMessage.objects.filter(dedup_key__startswith="baseline:").delete()
    return seconds


def scan(size_label, expected):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups import reminders

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = reminders.remind_first_meetings()
        seconds = time.perf_counter() - started
    written = result["reminders"]
    if written != expected:
        raise SystemExit(f"expected {expected} reminders at {size_label}, the scan wrote {written}")
    return written, seconds, len(queries)


def sweep_in_process(sample):
    """Send `sample` of the waiting reminders with one in-process sweep (locmem email).

    The others are made due tomorrow meanwhile, then put back. Returns the
    seconds and the queries the sweep made.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from selvhjelp import messaging
    from selvhjelp.models import OutboundMessage

    waiting = OutboundMessage.objects.filter(status="pending")
    keep = list(waiting.order_by("due_at", "pk").values_list("pk", flat=True)[:sample])
    later = timezone.now() + datetime.timedelta(days=1)
    due_at = waiting.exclude(pk__in=keep).values_list("due_at", flat=True).first()
    waiting.exclude(pk__in=keep).update(due_at=later)
    try:
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            CaptureQueriesContext(connection) as queries,
        ):
            started = time.perf_counter()
            outcome = messaging.send_due_messages()
            seconds = time.perf_counter() - started
    finally:
        OutboundMessage.objects.filter(due_at=later).update(due_at=due_at)
    if outcome != {"sent": sample}:
        raise SystemExit(f"the in-process sweep did not send all {sample}: {outcome}")
    # Put them back for the worker to send.
    OutboundMessage.objects.filter(pk__in=keep).update(status="pending", sent_at=None, attempts=0)
    return seconds, len(queries)


def start_worker(database_url, concurrency, log_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    with open(log_path, "w") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, __file__, "--worker", QUEUE, str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=ROOT,
        )


def wait_for_worker(app, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=[f"{QUEUE}@{os.uname().nodename}"], timeout=1)
        if replies:
            return
    raise SystemExit("the Celery worker did not start; see the log above")


def send_through_worker(expected, concurrency):
    """Enqueue one sweep per worker process and wait until every reminder is sent."""
    from selvhjelp.celery import app
    from selvhjelp.models import OutboundMessage
    from selvhjelp.tasks import run_job

    reminders = OutboundMessage.objects.filter(message_type="group_first_meeting_reminder")
    started = last_sweep = time.perf_counter()
    for _ in range(concurrency):
        run_job.delay("send_due_messages")
    while True:
        sent = reminders.filter(status="sent").count()
        if sent >= expected:
            break
        if reminders.filter(status__in=["failed", "cancelled"]).exists():
            raise SystemExit("some reminders were not sent")
        if time.perf_counter() - started > 600:
            raise SystemExit(f"only {sent} of {expected} sent after 10 minutes")
        # As beat does every minute: a sweep stops after its time budget (50 s).
        if time.perf_counter() - last_sweep > 60:
            last_sweep = time.perf_counter()
            for _ in range(concurrency):
                run_job.delay("send_due_messages")
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    app.control.purge()
    return seconds


def remove_queue():
    """Delete the bench's queue and its bindings from Redis."""
    if "selvhjelp.celery" not in sys.modules:
        return
    from selvhjelp.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(QUEUE)
        # Celery declared an exchange named as the queue; kombu keeps its
        # bindings in keys of their own.
        connection.default_channel.client.delete(
            f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}"
        )


def baseline_send_mail(count):
    """A bare send_mail loop over the console backend (to /dev/null), one process."""
    from django.core.mail import get_connection, send_mail

    with open(os.devnull, "w") as devnull:
        connection = get_connection(
            "django.core.mail.backends.console.EmailBackend", stream=devnull
        )
        started = time.perf_counter()
        for n in range(count):
            send_mail(
                "Påminnelse: ditt første møte",
                "Hei Kari,\n\nDette er en påminnelse om ditt første møte.\n",
                None,
                [f"baseline{n}@example.org"],
                connection=connection,
            )
        return time.perf_counter() - started


def main():
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://... (the bench needs PostgreSQL).")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL=redis://... (the bench starts a real Celery worker).")
    database_url = scratch_url(server_url)
    configure_environment(database_url)
    concurrency = os.cpu_count() or 2

    recreate_database(server_url)
    worker = None
    log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.utils import timezone

        from selvhjelp.celery import app
        from selvhjelp.models import OutboundMessage

        app.conf.task_default_queue = QUEUE
        call_command("migrate", verbosity=0)
        rows = []
        now = timezone.now()
        made = 0
        for size in SIZES:
            label = f"{size:,} groups / {size * MEMBERS:,} members"
            started = time.perf_counter()
            groups, intakes, meetings = fill(made, size, now)
            rows.append(
                Row(
                    "fill (bulk_create)",
                    label,
                    groups + 2 * intakes + meetings,
                    time.perf_counter() - started,
                    note=f"+{groups:,} groups, {intakes:,} members, {meetings:,} meetings",
                )
            )
            made = size
            expected = size // DUE_EVERY * MEMBERS
            baseline = baseline_bulk_create(expected)
            rows.append(Row("baseline: bare bulk_create", label, expected, baseline))
            written, seconds, queries = scan(label, expected)
            rows.append(
                Row(
                    "reminder scan",
                    label,
                    written,
                    seconds,
                    queries,
                    batch=1000,
                    note=f"{seconds / baseline:.1f} x the baseline; target < 10 s",
                )
            )
            seconds, queries = sweep_in_process(500)
            rows.append(
                Row(
                    "send sweep, in-process",
                    label,
                    500,
                    seconds,
                    queries,
                    batch=100,
                    note="locmem email; counts the queries",
                )
            )
            if size != SIZES[-1]:
                OutboundMessage.objects.all().delete()
        app.control.purge()

        worker = start_worker(database_url, concurrency, log)
        wait_for_worker(app)
        expected = SIZES[-1] // DUE_EVERY * MEMBERS
        label = f"{SIZES[-1]:,} groups / {SIZES[-1] * MEMBERS:,} members"
        baseline = baseline_send_mail(expected)
        rows.append(Row("baseline: bare send_mail loop", label, expected, baseline))
        seconds = send_through_worker(expected, concurrency)
        rows.append(
            Row(
                "send via Celery worker",
                label,
                expected,
                seconds,
                note=(
                    f"{concurrency} processes; {seconds / baseline:.1f} x the baseline; "
                    "target < 60 s"
                ),
            )
        )
        print_table(rows)
    except BaseException:
        if log.exists() and log.stat().st_size:
            print("--- worker log ---\n" + log.read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        remove_queue()
        from django.db import connections

        connections.close_all()
        drop_database(server_url)
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--worker", nargs=2, metavar=("QUEUE", "CONCURRENCY"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.worker:
        sys.path.insert(0, str(ROOT))
        run_worker(arguments.worker[0], int(arguments.worker[1]))
    else:
        main()
