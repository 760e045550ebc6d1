"""Benchmark: the admin's start page ("I dag") at 100,000 interest forms, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selvhjelp .venv/bin/python bench/today.py

DATABASE_URL names the server only: the bench makes its own scratch database
(`selvhjelp_today_bench`, or BENCH_DATABASE), migrates it, and drops it at
the end, also after an error (`--keep` keeps it, `--reuse` times it again).

What it does:
1. Fills the database with bulk_create: 100 centres, 100,000 interest forms
   over three years in every status (new, contacted, ready with two times of
   week each, placed, withdrawn with their status change, closed), 2,000
   groups (planned, started and self-run) with a meeting this week, a
   follow-up each and one facilitator on every other planned group, and
   500 messages that failed.
2. Renders the start page (the admin index with every section, through the
   admin site's view and its template) for a staff member of one centre, and
   for a national administrator (every centre); each 7 times, the median
   kept, with the number of queries.

Target (issue 15): under 150 ms, with the same number of queries at any size.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The scratch database's helpers are the reports bench's, on a database of its own.
os.environ.setdefault("BENCH_DATABASE", "selvhjelp_today_bench")
sys.path.insert(0, str(ROOT))
from bench.reports import (  # noqa: E402
    configure_environment,
    drop_database,
    recreate_database,
    scratch_url,
)

FORMS = 100_000
CENTRES = 100
GROUPS = 2_000
FAILED = 500
RUNS = 7
TARGET = 0.150


def reference(number):
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    digits = []
    for _ in range(6):
        number, digit = divmod(number, len(alphabet))
        digits.append(alphabet[digit])
    code = "".join(digits)
    return f"{code[:3]}-{code[3:]}"


def fill():
    """Everything the start page reads, with bulk_create; returns the number of rows by kind."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from facilitators.models import Assignment, Facilitator, FollowUp
    from groups.models import Group, Meeting
    from intake.models import Intake, Slot, StatusChange
    from selvhjelp.dates import local_start
    from selvhjelp.models import Centre, OutboundMessage

    rng = random.Random(15)
    Status = Intake.Status
    now = timezone.now()
    today = timezone.localdate()
    statuses = [Status.NEW] + [Status.CONTACTED] * 2 + [Status.WAITING] * 2
    statuses += [Status.PLACED] * 3 + [Status.WITHDRAWN, Status.CLOSED]
    with transaction.atomic():
        centres = Centre.objects.bulk_create(
            Centre(name=f"Senter {n}", slug=f"senter-{n}", area="Bergen") for n in range(CENTRES)
        )
        intakes = []
        for number in range(FORMS):
            received = now - datetime.timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            intakes.append(
                Intake(
                    centre=centres[number % CENTRES],
                    reference=reference(number),
                    name=f"Person {number}",
                    email=f"person{number}@example.org",
                    birth_year=rng.randint(1940, 2006),
                    confirmed_adult=True,
                    consent_version="bench",
                    consent_given_at=received,
                    created_at=received,
                    status_changed_at=received,
                    status=rng.choice(statuses),
                )
            )
        intakes = Intake.objects.bulk_create(intakes, batch_size=5000)
        slots = list(Slot.objects.all())
        Intake.availability.through.objects.bulk_create(
            (
                Intake.availability.through(intake=intake, slot=slot)
                for intake in intakes
                if intake.status == Status.WAITING
                for slot in rng.sample(slots, 2)
            ),
            batch_size=10000,
        )
        StatusChange.objects.bulk_create(
            (
                StatusChange(
                    intake=intake,
                    from_status="new",
                    to_status="withdrawn",
                    changed_at=now - datetime.timedelta(hours=rng.randint(0, 24 * 60)),
                )
                for intake in intakes
                if intake.status == Status.WITHDRAWN
            ),
            batch_size=5000,
        )
        user = get_user_model().objects.create(username="igangsetter-bench")
        facilitator = Facilitator.objects.create(user=user, calendar_token="bench-today")  # noqa: S106
        groups = []
        for number in range(GROUPS):
            status = [Group.Status.PLANNED, Group.Status.STARTED, Group.Status.SELF_RUN][number % 3]
            offset = rng.randint(1, 30) if status == Group.Status.PLANNED else -rng.randint(7, 200)
            start = today + datetime.timedelta(days=offset)
            groups.append(
                Group(
                    centre=centres[number % CENTRES],
                    name=f"Gruppe {number}",
                    kind=Group.Kind.ACROSS,
                    format=Group.Format.PHYSICAL,
                    venue="Møterom",
                    weekday=start.weekday(),
                    start_time=datetime.time(18),
                    planned_start=start,
                    status=status,
                )
            )
        groups = Group.objects.bulk_create(groups, batch_size=5000)
        monday = today - datetime.timedelta(days=today.weekday())
        Meeting.objects.bulk_create(
            Meeting(
                group=group,
                sequence=1,
                start=local_start(monday + datetime.timedelta(days=n % 7), datetime.time(18)),
                cancelled=n % 10 == 0,
            )
            for n, group in enumerate(groups)
        )
        FollowUp.objects.bulk_create(
            FollowUp(
                group=group,
                kind=FollowUp.Kind.START_UP,
                due_on=today - datetime.timedelta(days=rng.randint(-20, 20)),
            )
            for group in groups
        )
        Assignment.objects.bulk_create(
            Assignment(group=group, facilitator=facilitator)
            for n, group in enumerate(groups)
            if group.status == Group.Status.PLANNED and n % 2
        )
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                centre=centres[n % CENTRES],
                channel="email",
                recipient=f"person{n}@example.org",
                message_type="intake_confirmation",
                dedup_key=f"bench-failed-{n}",
                status=OutboundMessage.Status.FAILED,
                due_at=now - datetime.timedelta(hours=n),
                attempts=5,
            )
            for n in range(FAILED)
        )
    with connection_cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"centres": CENTRES, "forms": FORMS, "groups": GROUPS, "failed messages": FAILED}


def connection_cursor():
    from django.db import connection

    return connection.cursor()


def measure(label, user):
    """Render the start page for `user` RUNS times: (label, median s, best s, query counts)."""
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, reset_queries
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    seconds, cpu, sql, queries = [], [], [], set()
    for _ in range(RUNS):
        request = RequestFactory().get("/admin/")
        request.user = user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, python_started = time.perf_counter(), time.process_time()
            response = admin.site.index(request)
            response.render()
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - python_started)
        sql.append(sum(float(query["time"]) for query in captured.captured_queries))
        assert response.status_code == 200, response.status_code
        queries.add(len(captured.captured_queries))
    return (
        label,
        statistics.median(seconds),
        min(seconds),
        statistics.median(cpu),
        statistics.median(sql),
        queries,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="time the scratch database kept by --keep again"
    )
    options = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://... (the bench needs PostgreSQL).")
    configure_environment(scratch_url(server_url))
    if not options.reuse:
        recreate_database(server_url)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection

        from selvhjelp.models import Centre
        from selvhjelp.services import grant_centre_access

        # Static files as files: the bench renders pages without collectstatic.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        call_command("migrate", verbosity=0)
        if Centre.objects.exists():
            print("Using the data already there (--keep).")
        else:
            started = time.perf_counter()
            counts = fill()
            summary = ", ".join(f"{n:,} {k}" for k, n in counts.items())
            print(f"Filled in {time.perf_counter() - started:.1f} s: {summary}")
        User = get_user_model()
        staff, created = User.objects.get_or_create(username="ansatt-bench", is_staff=True)
        if created:
            grant_centre_access(user=staff, centres=[Centre.objects.get(slug="senter-7")])
        admin, _created = User.objects.get_or_create(
            username="admin-bench", is_staff=True, is_superuser=True
        )
        results = [
            measure("staff of one centre (1,000 forms)", staff),
            measure("national administrator, every centre (100,000 forms)", admin),
        ]
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load {load}")
        print("| start page for | wall ms, median | best | Python CPU ms | SQL ms | queries |")
        print("|---|---|---|---|---|---|")
        for label, median, best, cpu, sql, queries in results:
            numbers = "/".join(str(q) for q in sorted(queries))
            print(
                f"| {label} | {median * 1000:.0f} | {best * 1000:.0f} | {cpu * 1000:.0f} "
                f"| {sql * 1000:.0f} | {numbers} |"
            )
        slow = [label for label, median, *_rest in results if median >= TARGET]
        print("Target under 150 ms (wall): " + ("missed by " + ", ".join(slow) if slow else "met"))
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            drop_database(server_url)


if __name__ == "__main__":
    main()
