"""Benchmark: the staff lists at 100,000 interest forms and 10,000 groups, on PostgreSQL.

    make bench-staff     # or: DATABASE_URL=postgres://... .venv/bin/python bench/staff.py

DATABASE_URL names the server only: the bench makes its own scratch database
(`selvhjelp_bench_staff`, or BENCH_DATABASE), migrates it, fills it with the
reports bench's data (bench/reports.py: 100 centres, 100,000 forms, 10,000
groups with their members, meetings and facilitators) and drops it at the end
(`--keep` keeps it; `--reuse` times a kept one again).

It then opens the admin's lists in-process (Django's test client, production
settings) as a superuser and as a staff member of every centre (so that the
centre scoping is in the query and all rows are seen): the interest forms, the
forms searched by name, e-mail and reference, the forms filtered by status, and
the groups, plain and searched. Each page is opened five times; the median
time and the number of queries are printed.

Target (issue 14): under 150 ms each, with a constant number of queries.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("BENCH_DATABASE", "selvhjelp_bench_staff")
sys.path.insert(0, str(ROOT))

from bench import reports  # noqa: E402 - the data of the reports bench

RUNS = 5
TARGET_MS = 150
PAGES = [
    ("interest forms", "/admin/intake/intake/"),
    ("interest forms, search by name", "/admin/intake/intake/?q=Person+4711"),
    ("interest forms, search by e-mail", "/admin/intake/intake/?q=person99@example"),
    ("interest forms, search by reference", "/admin/intake/intake/?q=AAB"),
    ("interest forms, status waiting", "/admin/intake/intake/?status__exact=waiting"),
    ("groups", "/admin/groups/group/"),
    ("groups, search by name", "/admin/groups/group/?q=Gruppe+77"),
]


def measure(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, counts = [], []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        counts.append(len(queries))
    return statistics.median(times) * 1000, min(times) * 1000, sorted(set(counts))


def users():
    """A superuser, and a staff member of every centre with the usual permissions."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from selvhjelp.models import Centre, StaffMembership

    User = get_user_model()
    superuser, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff, created = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    if created:
        staff.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["intake", "groups"], codename__startswith="view_"
            )
        )
        StaffMembership.objects.bulk_create(
            StaffMembership(user=staff, centre=centre) for centre in Centre.objects.all()
        )
    return {"superuser": superuser, "staff of every centre": staff}


def logged_in(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="time a kept scratch database")
    options = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://... (the bench needs PostgreSQL).")
    reports.configure_environment(reports.scratch_url(server_url))
    os.environ.update({"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false"})
    os.environ.pop("REDIS_URL", None)
    if not options.reuse:
        reports.recreate_database(server_url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from selvhjelp.models import Centre

        call_command("migrate", verbosity=0)
        if not Centre.objects.exists():
            started = time.perf_counter()
            counts = reports.fill()
            summary = ", ".join(f"{n:,} {k}" for k, n in counts.items())
            print(f"Filled in {time.perf_counter() - started:.1f} s: {summary}")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load {load}")
        print("| who | page | ms, median | ms, best | queries |")
        print("|---|---|---|---|---|")
        slow = []
        for who, user in users().items():
            client = logged_in(user)
            for label, url in PAGES:
                median, best, queries = measure(client, url)
                numbers = "/".join(map(str, queries))
                print(f"| {who} | {label} | {median:.0f} | {best:.0f} | {numbers} |", flush=True)
                if median >= TARGET_MS:
                    slow.append(f"{who}: {label}")
        verdict = "missed by " + "; ".join(slow) if slow else "met"
        print(f"Target under {TARGET_MS} ms: {verdict}")
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            reports.drop_database(server_url)


if __name__ == "__main__":
    main()
