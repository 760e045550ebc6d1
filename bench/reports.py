"""Benchmark: the reports at national scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/selvhjelp .venv/bin/python bench/reports.py

DATABASE_URL names the server only: the bench makes its own scratch database
(`selvhjelp_reports_bench`, or BENCH_DATABASE), migrates it, and drops it at
the end, also after an error (`--keep` keeps it for a look).

What it does:
1. Fills the database with bulk_create: 100 centres, 500 facilitators,
   100,000 interest forms received over three years (2024-2026) with their
   first contact (a status change, and a call for most), 10,000 groups with
   six members each (some leave), twelve weekly meetings (one in ten
   cancelled), two facilitators and a follow-up each, and one to three
   themes per form.
2. Times `make_report` (every figure, the tables and the suppression, as the
   page and the exports use it) for 2025: the national report, the national
   report compared with 2024, and one centre's; each run three times, the
   median kept, with the number of queries.

Target (issue 17): under one second, with a constant number of queries.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = os.environ.get("BENCH_DATABASE", "selvhjelp_reports_bench")
FORMS = 100_000
GROUPS = 10_000
MEMBERS = 6
MEETINGS = 12
CENTRES = 100
FACILITATORS = 500
FIRST_DAY = datetime.date(2024, 1, 1)
DAYS = 3 * 365 - 40  # up to late November 2026
RUNS = 3


def scratch_url(url):
    return urlunsplit(urlsplit(url)._replace(path=f"/{SCRATCH}"))


def configure_environment(database_url):
    """Production-like settings, set before Django starts; no .env file."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "selvhjelp.settings",
            "ENV_FILE": "",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdef"),
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "0",
        }
    )
    sys.path.insert(0, str(ROOT))


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
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH)))


def drop_database(server_url):
    from psycopg import sql

    with admin_connection(server_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH))
        )


def reference(number):
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    digits = []
    for _ in range(6):
        number, digit = divmod(number, len(alphabet))
        digits.append(alphabet[digit])
    code = "".join(digits)
    return f"{code[:3]}-{code[3:]}"


def at(day, hour):
    from selvhjelp.dates import OSLO

    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=OSLO)


def fill():
    """Everything the report reads, with bulk_create; returns the number of rows by kind."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from facilitators.models import Assignment, Facilitator, FollowUp
    from groups.models import Group, Meeting, Membership
    from intake.models import ContactAttempt, Intake, StatusChange, Theme
    from selvhjelp.models import Centre

    rng = random.Random(17)
    Status = Intake.Status
    with transaction.atomic():
        centres = Centre.objects.bulk_create(
            Centre(name=f"Senter {n}", slug=f"senter-{n}", area="Bergen") for n in range(CENTRES)
        )
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"igangsetter-{n}") for n in range(FACILITATORS)
        )
        facilitators = Facilitator.objects.bulk_create(
            Facilitator(user=user, calendar_token=f"bench-{user.pk}") for user in users
        )
        Facilitator.centres.through.objects.bulk_create(
            Facilitator.centres.through(facilitator=f, centre=centres[n % CENTRES])
            for n, f in enumerate(facilitators)
        )

        groups = []
        for number in range(GROUPS):
            started = FIRST_DAY + datetime.timedelta(days=60 + number * (DAYS - 90) // GROUPS)
            self_run = started + datetime.timedelta(weeks=rng.choice([2, 3, 4]))
            ended = None
            if number % 5 == 0:
                ended = self_run + datetime.timedelta(weeks=rng.randint(1, 40))
            today = FIRST_DAY + datetime.timedelta(days=DAYS)
            if ended and ended > today:
                ended = None
            groups.append(
                Group(
                    centre=centres[number % CENTRES],
                    name=f"Gruppe {number}",
                    kind=Group.Kind.ACROSS,
                    format=Group.Format.PHYSICAL if number % 4 else Group.Format.DIGITAL,
                    venue="Møterom" if number % 4 else "",
                    video_link="" if number % 4 else "https://video.example.no/bench",
                    weekday=started.weekday(),
                    start_time=datetime.time(18),
                    planned_start=started,
                    status=Group.Status.ENDED if ended else Group.Status.SELF_RUN,
                    started_on=started,
                    self_run_on=self_run if self_run <= today else None,
                    ended_on=ended,
                )
            )
        groups = Group.objects.bulk_create(groups, batch_size=5000)

        intakes = []
        placed = GROUPS * MEMBERS
        for number in range(FORMS):
            if number < placed:
                group = groups[number // MEMBERS]
                received = group.started_on - datetime.timedelta(days=rng.randint(10, 200))
                status = Status.PLACED
            else:
                received = FIRST_DAY + datetime.timedelta(days=rng.randint(0, DAYS))
                status = rng.choice([Status.WAITING, Status.WITHDRAWN, Status.CLOSED, Status.NEW])
            received = max(received, FIRST_DAY - datetime.timedelta(days=200))
            intakes.append(
                Intake(
                    centre_id=(
                        groups[number // MEMBERS].centre_id
                        if number < placed
                        else centres[number % CENTRES].pk
                    ),
                    reference=reference(number),
                    name=f"Person {number}",
                    email=f"person{number}@example.org",
                    birth_year=rng.randint(1940, 2007),
                    gender=rng.choice(["woman", "woman", "man", "other", ""]),
                    confirmed_adult=True,
                    consent_version="bench",
                    consent_given_at=at(received, 12),
                    created_at=at(received, rng.randint(7, 22)),
                    status=status,
                )
            )
        intakes = Intake.objects.bulk_create(intakes, batch_size=5000)

        changes, attempts = [], []
        for intake in intakes:
            if intake.status == Status.NEW:
                continue
            contacted = intake.created_at + datetime.timedelta(days=rng.randint(0, 12))
            changes.append(
                StatusChange(
                    intake=intake, from_status="new", to_status="contacted", changed_at=contacted
                )
            )
            if rng.random() < 0.7:
                attempts.append(ContactAttempt(intake=intake, kind="answered", at=contacted))
        StatusChange.objects.bulk_create(changes, batch_size=5000)
        ContactAttempt.objects.bulk_create(attempts, batch_size=5000)

        themes = list(Theme.objects.all())
        Intake.themes.through.objects.bulk_create(
            (
                Intake.themes.through(intake=intake, theme=theme)
                for intake in intakes
                for theme in rng.sample(themes, rng.randint(1, 3))
            ),
            batch_size=10000,
        )

        memberships = []
        for index, intake in enumerate(intakes[:placed]):
            group = groups[index // MEMBERS]
            left = None
            if rng.random() < 0.3:
                left = group.started_on + datetime.timedelta(days=rng.randint(7, 300))
            if group.ended_on and (left is None or left > group.ended_on):
                left = group.ended_on
            memberships.append(
                Membership(
                    group=group,
                    intake=intake,
                    seat=index % MEMBERS + 1,
                    joined_on=group.started_on - datetime.timedelta(days=7),
                    left_on=left,
                    left_reason="Bench" if left else "",
                )
            )
        Membership.objects.bulk_create(memberships, batch_size=5000)

        meetings, assignments, follow_ups = [], [], []
        for number, group in enumerate(groups):
            for sequence in range(1, MEETINGS + 1):
                day = group.started_on + datetime.timedelta(weeks=sequence - 1)
                meetings.append(
                    Meeting(
                        group=group,
                        sequence=sequence,
                        start=at(day, 18),
                        cancelled=rng.random() < 0.1 and sequence > 1,
                    )
                )
            for offset in range(2):
                assignments.append(
                    Assignment(
                        group=group,
                        facilitator=facilitators[(number * 2 + offset) % FACILITATORS],
                        meetings_attended=rng.randint(1, 3),
                    )
                )
            due = group.started_on + datetime.timedelta(weeks=4)
            done = due + datetime.timedelta(days=rng.randint(-5, 10))
            follow_ups.append(
                FollowUp(
                    group=group,
                    kind=FollowUp.Kind.START_UP,
                    due_on=due,
                    done_on=done if rng.random() < 0.85 else None,
                    outcome="going_well" if done else "",
                )
            )
        for follow_up in follow_ups:
            if follow_up.done_on is None:
                follow_up.outcome = ""
        Meeting.objects.bulk_create(meetings, batch_size=5000)
        Assignment.objects.bulk_create(assignments, batch_size=5000)
        FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "forms": len(intakes),
        "groups": len(groups),
        "members": len(memberships),
        "meetings": len(meetings),
        "status changes": len(changes),
        "contact attempts": len(attempts),
    }


def backend_cpu_seconds(connection):
    """CPU time the PostgreSQL backend of `connection` has used (it runs on this machine)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label, **kwargs):
    """Wall time (median of RUNS), and the CPU time of Python and the database backend.

    On a busy machine the wall time is the CPU time stretched by waiting for
    a core; the CPU time is what the report itself costs.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import periods
    from reports.report import make_report

    now = at(FIRST_DAY + datetime.timedelta(days=DAYS), 12)
    seconds, cpu, queries = [], [], set()
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            database_before, python_before = backend_cpu_seconds(connection), time.process_time()
            started = time.perf_counter()
            report = make_report(period=periods.parse("2025"), now=now, **kwargs)
            seconds.append(time.perf_counter() - started)
            cpu.append(
                backend_cpu_seconds(connection)
                - database_before
                + time.process_time()
                - python_before
            )
        queries.add(len(captured.captured_queries))
    forms = report.table("summary").rows[0].cells[0].value
    return label, statistics.median(seconds), min(seconds), statistics.median(cpu), queries, forms


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
        from django.core.management import call_command
        from django.db import connection

        from selvhjelp.models import Centre

        call_command("migrate", verbosity=0)
        if Centre.objects.exists():
            print("Using the data already there (--keep).")
        else:
            started = time.perf_counter()
            counts = fill()
            filled = time.perf_counter() - started
            summary = ", ".join(f"{n:,} {k}" for k, n in counts.items())
            print(f"Filled in {filled:.1f} s: {summary}")
        centre = Centre.objects.get(slug="senter-7")
        results = [
            measure("national report, 2025"),
            measure("national report, 2025 compared with 2024", compare=True),
            measure("one centre, 2025", centre=centre),
            measure("one centre, 2025 compared with 2024", centre=centre, compare=True),
        ]
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load {load}")
        print("| report | wall s, median | wall s, best | CPU s (db + python) | queries | forms |")
        print("|---|---|---|---|---|---|")
        for label, median, best, cpu, queries, forms in results:
            numbers = "/".join(str(q) for q in sorted(queries))
            print(f"| {label} | {median:.3f} | {best:.3f} | {cpu:.3f} | {numbers} | {forms:,} |")
        slow = [label for label, median, *_rest in results if median >= 1.0]
        print("Target under 1 s (wall): " + ("missed by " + ", ".join(slow) if slow else "met"))
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            drop_database(server_url)


if __name__ == "__main__":
    main()
