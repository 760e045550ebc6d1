# ruff: noqa: S603, S607 - the bench runs its own services: fixed commands, found on PATH
"""Fault benchmark: a burst of interest forms while a worker dies, Redis and PostgreSQL restart.

    make bench-faults                 # the full run: about 4 minutes of forms, then settling
    make bench-faults ARGS=--short    # a quick check: about 1 minute of forms

Everything runs on its own: a PostgreSQL cluster made with initdb in a
temporary directory (port 55710), its own redis-server (56379), an SMTP sink
inside this script (55720) and the portal's web server (gunicorn, 55721),
two `celery worker` processes and `celery beat`. Nothing touches the
machine's shared PostgreSQL or Redis. Needs the PostgreSQL server binaries
(initdb, pg_ctl; run as root, they run as the `postgres` user) and
redis-server.

What happens, at set times (seconds from the start of the burst):

    full  short  fault
    40    10     a worker is killed (SIGKILL to its process group), restarted 5 s later
    90    25     Redis stops (its queue is lost: no persistence) and starts 5 s later
    150   40     PostgreSQL stops (pg_ctl stop -m fast) and starts 20 s (short: 8 s) later
    240   60     the burst ends; the system settles until nothing waits to be sent

Three clients post valid forms (each with its own email address) the whole
time; a form answered with an error or not answered is sent again, with the
same submission key, as a person pressing the button again would. At the end
it prints forms accepted (answered with the receipt), forms stored, messages
queued and messages delivered, and the numbers lost (an accepted form with no
stored form or no receipt delivered) and doubled (a receipt delivered more
than once). The goal is 0 and 0.

For a quick settle, claims go stale after 60 s here (MESSAGES_STALE_CLAIM_SECONDS,
10 minutes in production) and a worker retries finishing a send for 45 s.
"""

import argparse
import contextlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_PORT = 55710
REDIS_PORT = 56379
SMTP_PORT = 55720
WEB_PORT = 55721
DATABASE = "selvhjelp_bench_faults"
CLIENTS = 3
PLANS = {
    "full": {"kill_worker": 40, "restart_redis": 90, "restart_postgres": 150, "end": 240},
    "short": {"kill_worker": 10, "restart_redis": 25, "restart_postgres": 40, "end": 60},
}
POSTGRES_DOWN = {"full": 20, "short": 8}
SETTLE_LIMIT = 300


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- The SMTP sink ----------------------------------------------------------------


class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server that keeps (recipients, Message-ID) of every email."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        self.received = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), SmtpHandler)

    def handle_error(self, request, client_address):
        # A worker killed mid-conversation: its email was not taken (no end of DATA).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 bench-sink ESMTP")
        recipients = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-bench-sink")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 bench-sink")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    data.append(chunk)
                headers = BytesHeaderParser().parsebytes(b"".join(data))
                with self.server.lock:
                    self.server.received.append((tuple(recipients), headers["Message-ID"]))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # RSET, NOOP and the rest
                self.reply("250 OK")


# --- The services -------------------------------------------------------------------


class Services:
    """Own PostgreSQL, Redis, web, two workers and beat; stopped at the end whatever happens."""

    def __init__(self, workdir, plan_name):
        self.workdir = workdir
        self.plan_name = plan_name
        self.pgdata = workdir / "pgdata"
        self.logs = workdir / "logs"
        self.logs.mkdir()
        self.processes = {}
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "EMAIL_TIMEOUT": "5",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "INTAKE_RATE_LIMIT": "0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MESSAGES_STALE_CLAIM_SECONDS": "60",
            "MESSAGES_FINISH_RETRY_SECONDS": "45",
            "LOG_LEVEL": "WARNING",
        }

    # PostgreSQL
    def init_postgres(self):
        if self.as_postgres:
            shutil.chown(self.workdir, "postgres")
        subprocess.run(
            [*self.as_postgres, "initdb", "-D", str(self.pgdata), "-U", "postgres"]
            + ["--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            capture_output=True,
        )
        self.start_postgres()
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", DATABASE],
            check=True,
        )

    def start_postgres(self):
        options = f"-p {PG_PORT} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        for attempt in range(3):
            started = subprocess.run(
                [*self.as_postgres, "pg_ctl", "start", "-w", "-D", str(self.pgdata)]
                + ["-o", options, "-l", str(self.workdir / "postgres.log")],
                check=False,
                capture_output=True,
                text=True,
            )
            if started.returncode == 0:
                return
            log(f"pg_ctl start failed (try {attempt + 1}): {started.stdout}{started.stderr}")
            time.sleep(3)
        server_log = self.workdir / "postgres.log"
        print(server_log.read_text()[-3000:] if server_log.exists() else "(no server log)")
        raise RuntimeError("PostgreSQL does not start")

    def stop_postgres(self):
        subprocess.run(
            [*self.as_postgres, "pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata)],
            check=False,
            capture_output=True,
        )

    # Redis
    def start_redis(self):
        self.spawn(
            "redis",
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
        )
        wait_for_port(REDIS_PORT)

    # The portal
    def manage(self, *args):
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def start_web(self):
        self.spawn(
            "web",
            [PYTHON, "-m", "gunicorn", "selvhjelp.wsgi", "--bind", f"127.0.0.1:{WEB_PORT}"]
            + ["--workers", "2", "--threads", "2", "--timeout", "60"],
        )
        wait_for_port(WEB_PORT)

    def start_worker(self, name):
        self.spawn(
            name,
            [PYTHON, "-m", "celery", "-A", "selvhjelp", "worker", "-n", f"{name}@%h"]
            + ["--concurrency", "2", "--loglevel", "WARNING"]
            # As in the Procfile: with gossip, mingle and heartbeat on, a worker
            # may never consume again after Redis restarts (celery/celery#8030).
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        )

    def start_beat(self):
        self.spawn(
            "beat",
            [PYTHON, "-m", "celery", "-A", "selvhjelp", "beat", "--loglevel", "WARNING"]
            + ["--schedule", str(self.workdir / "celerybeat-schedule")],
        )

    def spawn(self, name, command):
        output = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes its children too
        )

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)
        if self.pgdata.exists():
            self.stop_postgres()


def wait_for_port(port, timeout=60):
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


# --- The clients ---------------------------------------------------------------------


class Burst:
    """Clients posting valid forms until `stop` is set; each form is retried until accepted."""

    def __init__(self, choices, run_id):
        self.choices = choices
        self.run_id = run_id
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.accepted = []  # email addresses of the forms answered with the receipt
        self.answers = Counter()  # HTTP status (or "no answer") of every POST
        self.next_number = 0

    def new_email(self):
        with self.lock:
            self.next_number += 1
            return f"p{self.next_number}-{self.run_id}@bench.example"

    def run_client(self):
        while not self.stop.is_set():
            email = self.new_email()
            if self.send_form(email):
                with self.lock:
                    self.accepted.append(email)

    def send_form(self, email):
        """Post one form until it is accepted; False if the burst ended first."""
        token = cookie = key = None
        while True:
            if token is None:
                try:
                    token, cookie, key = self.open_form()
                except (OSError, ValueError):
                    if self.stop.wait(1):
                        return False
                    continue
            body = urlencode(self.form_data(email, key, token), doseq=True)
            try:
                connection = HTTPConnection("127.0.0.1", WEB_PORT, timeout=30)
                connection.request(
                    "POST",
                    "/meld-interesse/",
                    body=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": f"csrftoken={cookie}",
                    },
                )
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                status = "no answer"
            with self.lock:
                self.answers[status] += 1
            if status == 302:
                return True
            if status == 200:
                raise RuntimeError(f"a valid form was refused: {email}")
            # 5xx or no answer: the person presses the button again a moment later,
            # with the same submission key (the form they still have on screen).
            if self.stop.wait(1):
                return False

    def open_form(self):
        connection = HTTPConnection("127.0.0.1", WEB_PORT, timeout=30)
        connection.request("GET", "/meld-interesse/")
        response = connection.getresponse()
        page = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
        connection.close()
        if response.status != 200:
            raise ValueError(response.status)
        cookie = next(
            c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
        return html.unescape(token), cookie, html.unescape(key)

    def form_data(self, email, key, token):
        return {
            "csrfmiddlewaretoken": token,
            "centre": self.choices["centre"],
            "name": "Kari Nordmann",
            "birth_year": "1985",
            "confirmed_adult": "on",
            "gender": "woman",
            "phone": "",
            "email": email,
            "contact_by": "email",
            "themes": [self.choices["theme"]],
            "about": "",
            "format": "either",
            "kind": "any",
            "availability": [self.choices["slot"]],
            "applying_for_self": "on",
            "consent": "on",
            "submission_key": key,
            "website": "",
        }


# --- The run -------------------------------------------------------------------------


SETUP = """
import json
from intake.models import Slot, Theme
from selvhjelp.models import Centre
centre = Centre.objects.create(name="Benk frivilligsentral", slug="benk", area="Bergen",
                               email="post@benk.example")
print(json.dumps({
    "centre": str(centre.pk),
    "theme": str(Theme.objects.get(is_other=True).pk),
    "slot": str(Slot.objects.get(weekday=0, part="evening").pk),
}))
"""

COUNTS = """
import json
from collections import Counter
from intake.models import Intake
from selvhjelp.models import OutboundMessage
forms = Intake.objects.filter(email__endswith="@bench.example")
forms = list(forms.values_list("email", flat=True))
rows = OutboundMessage.objects.filter(message_type="intake_confirmation")
print(json.dumps({
    "stored": forms,
    "queued": rows.count(),
    "by_status": dict(Counter(rows.values_list("status", flat=True))),
}))
"""


def database_counts(services):
    for _ in range(30):
        try:
            return json.loads(services.manage("shell", "-c", COUNTS).strip().splitlines()[-1])
        except subprocess.CalledProcessError:
            time.sleep(2)
    raise RuntimeError("the database does not answer")


def run(plan_name, keep):
    plan = PLANS[plan_name]
    workdir = Path(tempfile.mkdtemp(prefix="selvhjelp-bench-faults-"))
    services = Services(workdir, plan_name)
    sink = SmtpSink(SMTP_PORT)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    events = []
    try:
        log(f"Starting PostgreSQL (port {PG_PORT}) and Redis (port {REDIS_PORT}) in {workdir}")
        services.init_postgres()
        services.start_redis()
        services.manage("migrate", "--noinput")
        services.manage("record_consent_texts")
        choices = json.loads(services.manage("shell", "-c", SETUP).strip().splitlines()[-1])
        services.start_web()
        services.start_worker("worker1")
        services.start_worker("worker2")
        services.start_beat()
        time.sleep(3)
        burst = Burst(choices, secrets.token_hex(3))
        clients = [threading.Thread(target=burst.run_client) for _ in range(CLIENTS)]
        started = time.monotonic()
        log(f"Burst of forms for {plan['end']} s with {CLIENTS} clients ({plan_name} run)")
        for client in clients:
            client.start()

        def at(second):
            time.sleep(max(0, started + second - time.monotonic()))

        at(plan["kill_worker"])
        log(f"Killing worker1 (SIGKILL); {len(burst.accepted)} forms accepted so far")
        services.kill("worker1")
        events.append("worker killed")
        time.sleep(5)
        services.start_worker("worker1")
        log("worker1 started again")

        at(plan["restart_redis"])
        log(f"Stopping Redis; {len(burst.accepted)} forms accepted so far")
        services.kill("redis", signal.SIGKILL)
        time.sleep(5)
        services.start_redis()
        events.append("Redis restarted")
        log("Redis started again (empty)")

        at(plan["restart_postgres"])
        down = POSTGRES_DOWN[plan_name]
        log(f"Stopping PostgreSQL for {down} s; {len(burst.accepted)} forms accepted so far")
        services.stop_postgres()
        time.sleep(down)
        services.start_postgres()
        events.append(f"PostgreSQL down {down} s")
        log("PostgreSQL started again")

        at(plan["end"])
        burst.stop.set()
        for client in clients:
            client.join()
        log(f"Burst over: {len(burst.accepted)} forms accepted; settling")

        settle_started = time.monotonic()
        while True:
            counts = database_counts(services)
            waiting = sum(
                counts["by_status"].get(status, 0) for status in ("pending", "sending", "held")
            )
            if not waiting and len(sink.received) >= counts["queued"]:
                break
            if time.monotonic() - settle_started > SETTLE_LIMIT:
                log("Settling took too long; counting what there is")
                break
            time.sleep(5)
        time.sleep(5)  # anything still in flight
        counts = database_counts(services)
        settled = time.monotonic() - settle_started
        report(burst, counts, sink, events, settled, services, workdir)
    finally:
        services.stop_all()
        sink.shutdown()
        if keep:
            log(f"Kept {workdir} (logs in {workdir / 'logs'})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def report(burst, counts, sink, events, settled, services, workdir):
    accepted = set(burst.accepted)
    stored = Counter(counts["stored"])
    delivered = Counter()
    message_ids = Counter()
    for recipients, message_id in sink.received:
        for recipient in recipients:
            if recipient.endswith("@bench.example"):
                delivered[recipient] += 1
        message_ids[message_id] += 1
    lost = sorted(email for email in accepted if not stored[email] or not delivered[email])
    doubled = sum(n - 1 for n in delivered.values() if n > 1)
    doubled_forms = sum(n - 1 for n in stored.values() if n > 1)
    errors = sum(n for status, n in burst.answers.items() if status != 302)
    unanswered = len(set(stored) - accepted)
    lines = [
        f"faults:              {', '.join(events)}",
        f"forms accepted:      {len(accepted)}  (posts answered with an error or not at all, "
        f"then sent again: {errors}; answers {dict(sorted(burst.answers.items(), key=str))})",
        f"forms stored:        {sum(stored.values())}"
        + (f"  ({unanswered} stored, not answered before the end)" if unanswered else ""),
        f"messages queued:     {counts['queued']}  (by status: {counts['by_status']})",
        f"messages delivered:  {sum(delivered.values())}"
        f"  (distinct Message-IDs: {len(message_ids)})",
        f"lost:                {len(lost)}",
        f"doubled:             {doubled}  (forms stored twice: {doubled_forms})",
        f"settled in:          {settled:.0f} s after the burst",
    ]
    print("\n".join(lines), flush=True)
    if lost:
        print(f"lost forms (first 10): {lost[:10]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a quick check (about 1 minute)")
    parser.add_argument("--keep", action="store_true", help="keep the data and logs")
    args = parser.parse_args()
    for program in ("initdb", "pg_ctl", "redis-server", "createdb"):
        if not shutil.which(program):
            sys.exit(f"bench/faults.py needs {program} on PATH")
    run("short" if args.short else "full", args.keep)


if __name__ == "__main__":
    main()
