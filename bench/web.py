"""Benchmark: the portal's public pages beside a bare Django app, measured the same way.

    make bench        # or: .venv/bin/python bench/web.py [--rounds 3 --seconds 5]

(Not bench/http.py: a file of that name would hide the standard library's
http package from every script in bench/.)

Needs: PostgreSQL (DATABASE_URL names the server; default the local one as
postgres), Redis (REDIS_URL; the portal's cache, rate limit and broker, as in
production; without it the portal runs on its local cache), `wrk` on the PATH
(Debian: `apt-get install -y wrk`) and gunicorn (a dependency of the portal).

What it does:
1. Makes two scratch databases of its own, `<prefix>_portal` and `<prefix>_bare`
   (prefix BENCH_DATABASE_PREFIX, default `selvhjelp_bench_http`), migrates
   them and gives the portal three centres; collects the portal's static files.
2. Starts the portal and the bare app (bench/bare/: a plain response, a
   template with a four-field form, a validated POST with one INSERT) the same
   way: gunicorn, GUNICORN_WORKERS sync workers (default 4), production
   settings (DEBUG off, no access log), each on its own port.
3. Measures three rows, interleaved (in each round every row runs on both apps,
   the order alternating), with wrk -t2 -c16:
   - `/` and the info pages (about, questions, centres, privacy,
     accessibility) against the bare app's plain response;
   - the interest form GET against the bare template with a form;
   - the interest form POST, valid, a new form each time (a fresh submission
     key, from a random address so the rate limit is checked but not hit),
     against the bare validated POST.
   Every answer must be 200 (GET) or a 302 to the receipt (POST); after each
   POST run the rows in the database are counted (intake, its themes and
   times, its status change, its receipt message, its audit row).
4. Prints each page's median requests per second, the ratio against bare
   Django with its goal, the POST's p99 latency against three times bare's,
   and the resident memory of the web workers at the end.

Requests send `Accept-Encoding: gzip, br` as a phone's browser does. The
machine is shared: absolute numbers vary from run to run, the ratios less so,
as both apps run side by side in the same minutes.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "selvhjelp_bench_http")
SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "")
PORTAL_PORT = int(os.environ.get("BENCH_PORTAL_PORT", "18101"))
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", "18102"))
WORKERS = int(os.environ.get("GUNICORN_WORKERS", "4"))
SECRET_KEY = "bench-only-" + secrets.token_urlsafe(40)

INFO_PAGES = [
    "/",
    "/om-selvhjelpsgrupper/",
    "/sporsmal-og-svar/",
    "/sentre/",
    "/personvern/",
    "/tilgjengelighet/",
]
GOALS = {"info": 0.9, "form": 0.6, "post": 0.35}
P99_FACTOR = 3


def database_url(name):
    parts = urlsplit(SERVER)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql(sql, database="postgres"):
    import psycopg

    with psycopg.connect(database_url(database), autocommit=True) as connection:
        return (
            connection.execute(sql).fetchall()
            if sql.lstrip().upper().startswith("SELECT")
            else connection.execute(sql)
        )


def recreate(name):
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')


def count(database, table):
    return psql(f"SELECT count(*) FROM {table}", database)[0][0]  # noqa: S608 - our table names


# --- The two apps ----------------------------------------------------------------------


def portal_env():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "selvhjelp.settings",
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(f"{PREFIX}_portal"),
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_URL": "consolemail://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        # wrk is one address; each POST says it comes from another (post.lua).
        "PROXY_COUNT": "1",
    }
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    return env


def bare_env():
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bare.settings",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url(f"{PREFIX}_bare"),
        "PYTHONPATH": str(BENCH / "bare"),
    }


SEED = """
from selvhjelp.models import Centre
from intake.models import Slot, Theme
for n, (name, area) in enumerate([("Arna frivilligsentral", "Bergen"),
        ("Selvhjelp Tromsø", "Tromsø"), ("Selvhjelp Oslo", "Oslo")]):
    Centre.objects.create(name=name, slug=f"senter-{n}", area=area, runs_digital_groups=True,
                          phone="55 00 00 00")
import json
print(json.dumps({
    "centre": Centre.objects.order_by("pk").first().pk,
    "themes": list(Theme.objects.filter(active=True).values_list("pk", flat=True)[:2]),
    "slots": list(Slot.objects.values_list("pk", flat=True)[:3]),
}))
"""


def prepare():
    recreate(f"{PREFIX}_portal")
    recreate(f"{PREFIX}_bare")
    manage = [PYTHON, "manage.py"]
    run(manage + ["migrate", "--noinput", "-v", "0"], portal_env())
    run(manage + ["record_consent_texts"], portal_env())
    run(manage + ["collectstatic", "--noinput", "-v", "0"], portal_env())
    seeded = run(manage + ["shell", "-c", SEED], portal_env())
    run([PYTHON, str(BENCH / "bare" / "manage.py"), "migrate", "--noinput", "-v", "0"], bare_env())
    return json.loads(seeded.strip().splitlines()[-1])


def run(command, env, cwd=ROOT):
    result = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        command, env=env, cwd=cwd, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def port_in_use(port):
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(name, module, port, env, cwd, started):
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        module,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    log = open(f"/tmp/bench-http-{name}-{os.getpid()}.log", "w")  # noqa: SIM115, S108
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and app
        command, env=env, cwd=cwd, stdout=log, stderr=log
    )
    started.append(process)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)  # noqa: S310
            return process
        except OSError:  # refused, reset or timed out while starting
            if process.poll() is not None:
                sys.exit(f"{name} did not start; see {log.name}")
            time.sleep(0.2)
    sys.exit(f"{name} did not answer; see {log.name}")


def stop(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_rss(process):
    """The resident size (MB) of each gunicorn worker of `process`, largest first."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        kilobytes = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        sizes.append(kilobytes / 1024)
    return sorted(sizes, reverse=True)


# --- The form ------------------------------------------------------------------------


def csrf_pair(url):
    """A CSRF cookie and a token of the form at `url`, as a browser would have them."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url).read().decode()  # noqa: S310
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = next(c for c in jar if c.name == "csrftoken")
    return f"csrftoken={cookie.value}", token


def portal_body(token, seeded):
    fields = [
        ("csrfmiddlewaretoken", token),
        ("centre", seeded["centre"]),
        ("name", "Kari Nordmann"),
        ("birth_year", 1980),
        ("confirmed_adult", "on"),
        ("gender", "woman"),
        ("phone", "912 34 567"),
        ("email", "kari@example.org"),
        ("contact_by", "sms"),
        *[("themes", pk) for pk in seeded["themes"]],
        ("about", "Jeg vil gjerne snakke med andre som har det slik."),
        ("format", "either"),
        ("kind", "any"),
        *[("availability", pk) for pk in seeded["slots"]],
        ("applying_for_self", "on"),
        ("consent", "on"),
        ("submission_key", "SUBMISSIONKEY"),
        ("website", ""),
    ]
    return urllib.parse.urlencode(fields)


def bare_body(token):
    fields = [
        ("csrfmiddlewaretoken", token),
        ("name", "Kari Nordmann"),
        ("email", "kari@example.org"),
        ("phone", "91234567"),
        ("about", "Jeg vil gjerne snakke med andre som har det slik."),
    ]
    return urllib.parse.urlencode(fields)


PORTAL_ROWS = [
    "intake_intake",
    "intake_intake_themes",
    "intake_intake_availability",
    "intake_statuschange",
    "selvhjelp_outboundmessage",
    "auditlog_logentry",
]


# --- wrk -----------------------------------------------------------------------------


def wrk(port, script, args, seconds, connections):
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        "Accept-Encoding: gzip, br",
        "-s",
        str(BENCH / "wrk" / script),
        f"http://127.0.0.1:{port}",
        "--",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 - wrk
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    values = dict(part.split("=") for part in line.split()[1:])
    values = {key: int(value) for key, value in values.items()}
    values["rps"] = values["requests"] / (values["duration_us"] / 1e6)
    if result.stderr.strip():
        print(result.stderr.strip()[:2000], file=sys.stderr)
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk).")

    print(f"Preparing {PREFIX}_portal and {PREFIX}_bare ...", flush=True)
    seeded = prepare()
    for port in (PORTAL_PORT, BARE_PORT):
        if port_in_use(port):
            sys.exit(f"Port {port} is in use (BENCH_PORTAL_PORT, BENCH_BARE_PORT choose others).")
    started = []
    try:
        portal = start("portal", "selvhjelp.wsgi", PORTAL_PORT, portal_env(), ROOT, started)
        bare = start("bare", "bare.wsgi", BARE_PORT, bare_env(), BENCH / "bare", started)
        portal_cookie, portal_token = csrf_pair(f"http://127.0.0.1:{PORTAL_PORT}/meld-interesse/")
        bare_cookie, bare_token = csrf_pair(f"http://127.0.0.1:{BARE_PORT}/meld-interesse/")
        rows = {
            "info": {
                "portal": (PORTAL_PORT, "get.lua", INFO_PAGES),
                "bare": (BARE_PORT, "get.lua", ["/"]),
            },
            "form": {
                "portal": (PORTAL_PORT, "get.lua", ["/meld-interesse/"]),
                "bare": (BARE_PORT, "get.lua", ["/meld-interesse/"]),
            },
            "post": {
                "portal": (
                    PORTAL_PORT,
                    "post.lua",
                    [
                        "/meld-interesse/",
                        portal_cookie,
                        portal_body(portal_token, seeded),
                        "/meld-interesse/takk/",
                    ],
                ),
                "bare": (
                    BARE_PORT,
                    "post.lua",
                    [
                        "/meld-interesse/",
                        bare_cookie,
                        bare_body(bare_token),
                        "/meld-interesse/takk/",
                    ],
                ),
            },
        }
        results = {row: {"portal": [], "bare": []} for row in rows}
        problems = []
        for number in range(arguments.rounds):
            for row, apps in rows.items():
                order = ["bare", "portal"] if number % 2 else ["portal", "bare"]
                for app in order:
                    port, script, args = apps[app]
                    database = f"{PREFIX}_{app}"
                    table = "intake_intake" if app == "portal" else "bare_interest"
                    before = count(database, table) if row == "post" else 0
                    if row == "post" and app == "portal":
                        related_before = {t: count(database, t) for t in PORTAL_ROWS}
                    values = wrk(port, script, args, arguments.seconds, arguments.connections)
                    results[row][app].append(values)
                    if values["unexpected"] or values["socket_errors"]:
                        problems.append(f"{row} {app} round {number + 1}: {values}")
                    if row == "post":
                        added = settled_count(database, table) - before
                        if not values["redirects"] <= added <= values["redirects"] + 32:
                            problems.append(
                                f"post {app}: {values['redirects']} receipts, {added} rows"
                            )
                        if app == "portal":
                            check_related(database, related_before, added, problems)
                    print(
                        f"round {number + 1} {row:5} {app:6} {values['rps']:8.0f} req/s"
                        f"  p99 {values['p99_us'] / 1000:6.1f} ms",
                        flush=True,
                    )
        print()
        report(results, problems)
        print()
        print("Resident memory of the web workers after the benchmark (MB):")
        print("  portal: " + ", ".join(f"{size:.0f}" for size in worker_rss(portal)))
        print("  bare:   " + ", ".join(f"{size:.0f}" for size in worker_rss(bare)))
        if problems:
            print("\nPROBLEMS:\n  " + "\n  ".join(problems))
            sys.exit(1)
    finally:
        for process in started:
            stop(process)
        clear_queue()


def settled_count(database, table):
    """The row count once requests wrk stopped waiting for have finished."""
    last = count(database, table)
    while True:
        time.sleep(1)
        now = count(database, table)
        if now == last:
            return now
        last = now


def check_related(database, before, added, problems):
    """Each saved form has its 2 themes, 3 times, 1 status change, 1 receipt, 1 audit row."""
    expected = {
        "intake_intake": 1,
        "intake_intake_themes": 2,
        "intake_intake_availability": 3,
        "intake_statuschange": 1,
        "selvhjelp_outboundmessage": 1,
        "auditlog_logentry": 1,
    }
    for table, each in expected.items():
        grown = count(database, table) - before[table]
        if grown != each * added:
            problems.append(f"post portal: {table} grew by {grown}, expected {each * added}")


def clear_queue():
    """The receipts' send tasks the bench enqueued (no worker runs) leave the broker."""
    if not REDIS_URL:
        return
    import redis

    redis.Redis.from_url(REDIS_URL).delete("celery")


def report(results, problems):
    names = {
        "info": "/ and the info pages",
        "form": "/meld-interesse/ GET",
        "post": "/meld-interesse/ POST",
    }
    print(f"{'page':24} {'portal req/s':>12} {'bare req/s':>11} {'ratio':>6} {'goal':>6}")
    for row, name in names.items():
        portal = statistics.median(v["rps"] for v in results[row]["portal"])
        bare = statistics.median(v["rps"] for v in results[row]["bare"])
        ratio = portal / bare
        verdict = "ok" if ratio >= GOALS[row] else "BELOW"
        print(f"{name:24} {portal:12.0f} {bare:11.0f} {ratio:6.2f} {GOALS[row]:>6} {verdict}")
        if ratio < GOALS[row]:
            problems.append(f"{name}: ratio {ratio:.2f} below {GOALS[row]}")
    portal_p99 = statistics.median(v["p99_us"] for v in results["post"]["portal"]) / 1000
    bare_p99 = statistics.median(v["p99_us"] for v in results["post"]["bare"]) / 1000
    verdict = "ok" if portal_p99 <= P99_FACTOR * bare_p99 else "ABOVE"
    print(
        f"POST p99: portal {portal_p99:.1f} ms, bare {bare_p99:.1f} ms, "
        f"{portal_p99 / bare_p99:.2f}x (goal <= {P99_FACTOR}x) {verdict}"
    )
    if verdict != "ok":
        problems.append(f"POST p99 {portal_p99 / bare_p99:.2f}x bare")


if __name__ == "__main__":
    main()
