"""No log line holds a secret link, whatever logger writes it."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from intake import retention
from selvhjelp import log_scrubbing
from tests.factories import IntakeFactory

SECRET = "Zq7SecretTokenXyz"
REFUSED = "Forbidden (Referer checking failed - no Referer.): /meld-interesse/trekk/[hidden]/"
# Loggers that write paths: Django's, gunicorn's (which do not propagate to the
# root logger and have their own handlers), runserver's and Celery's.
LOGGERS = [
    "django.request",
    "django.security.csrf",
    "django.security.DisallowedHost",
    "django.server",
    "gunicorn.error",
    "gunicorn.access",
    "celery.app.trace",
    "celery.worker.request",
    "selvhjelp.anything",
]


@pytest.fixture
def written():
    """What a plain handler, with no filter of ours, writes for each logger in LOGGERS."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.propagate, logger.level)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
    yield stream
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate, level = saved[name]
        logger.setLevel(level)


def token_urls():
    return {
        "withdrawal": reverse("intake:withdraw", kwargs={"token": SECRET}),
        "calendar": reverse("facilitators:calendar-feed", kwargs={"token": SECRET}),
        "stop messages": reverse("stop-messages", kwargs={"token": SECRET}),
        "password link": reverse(
            "facilitators:password-set", kwargs={"uidb64": "MTIzNDU", "token": SECRET}
        ),
    }


@pytest.mark.parametrize("kind", ["withdrawal", "calendar", "stop messages", "password link"])
def test_every_logger_writes_token_urls_without_the_token(written, kind):
    url = token_urls()[kind]
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.warning("Forbidden (Referer checking failed - no Referer.): %s", url)
        logger.info('"POST %s HTTP/1.1" 403 2515', url)
        logger.error("Link: https://selvhjelp.example.no%s", url)
    text = written.getvalue()
    assert SECRET not in text
    assert "MTIzNDU" not in text
    assert text.count("[hidden]") >= 3 * len(LOGGERS)


def test_a_traceback_loses_the_token_too(written):
    url = token_urls()["calendar"]
    try:
        raise ValueError(f"could not build {url}")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: %s", url)
    text = written.getvalue()
    assert "Traceback" in text
    assert SECRET not in text


def test_a_link_in_another_language_loses_its_token_too(written):
    with translation.override("nn"):
        url = reverse("intake:withdraw", kwargs={"token": SECRET})
    assert url.startswith("/nn/")
    logging.getLogger("django.request").warning("Forbidden: %s", url)
    assert "Forbidden: /nn/meld-interesse/trekk/[hidden]/" in written.getvalue()


def test_other_lines_are_left_alone(written):
    logging.getLogger("selvhjelp.anything").info(
        "Intake %s withdrawn from %s", 12, "/meld-interesse/"
    )
    assert "Intake 12 withdrawn from /meld-interesse/" in written.getvalue()


@pytest.mark.django_db
def test_a_refused_post_to_a_real_withdrawal_link_logs_no_token(written, centre):
    """As found: a POST without CSRF logged the whole withdrawal link."""
    intake = IntakeFactory(centre=centre)
    token = retention.withdrawal_token(intake.pk)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post(f"/meld-interesse/trekk/{token}/", secure=True)
    assert response.status_code == 403
    text = written.getvalue()
    assert (
        "Forbidden (Referer checking failed - no Referer.): /meld-interesse/trekk/[hidden]/" in text
    )
    assert token not in text and token.split(":")[0] not in text


def test_a_token_url_added_elsewhere_is_scrubbed_without_being_listed(written, settings):
    """The contract with other branches: a `token` keyword, any converter, is enough."""
    settings.ROOT_URLCONF = "tests.security.urls_new_token"
    logger = logging.getLogger("django.request")
    logger.warning("Forbidden: /min-gruppe/abcdef0123456789/")
    logger.warning("Forbidden: /hvor-star-jeg/%s/status/", SECRET)
    text = written.getvalue()
    assert "abcdef0123456789" not in text and SECRET not in text
    assert "/min-gruppe/[hidden]/" in text and "/hvor-star-jeg/[hidden]/status/" in text


def test_the_patterns_come_from_the_urlconf():
    names = {regex.pattern for regex, _names in log_scrubbing.secret_path_patterns()}
    assert any("trekk" in name for name in names)
    assert any("kalender" in name for name in names)
    assert any("stopp" in name for name in names)
    assert any("nytt\\-passord" in name for name in names)


# --- gunicorn, as the Procfile runs it --------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_writes_no_token_in_its_logs(tmp_path):
    """gunicorn's own loggers (error and access log, with the request line in it) and
    Django's loggers inside the worker, all written to gunicorn's output."""
    root = Path(__file__).resolve().parents[2]
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-test-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "ENV_FILE": "",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "selvhjelp.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--log-level",
                "debug",
                "--access-logfile",
                "-",
                # The request line, which the Procfile's format leaves out.
                "--access-logformat",
                "%(r)s %(s)s",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.time() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                        path = f"/meld-interesse/trekk/{SECRET}/"
                        sock.sendall(
                            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "X-Forwarded-Proto: https\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n".encode()
                        )
                        reply = sock.recv(100)
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)
            assert b" 403 " in reply
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    assert "POST /meld-interesse/trekk/[hidden]/ HTTP/1.1 403" in text
    assert (
        "Forbidden (Referer checking failed - no Referer.): /meld-interesse/trekk/[hidden]/" in text
    )
    assert SECRET not in text


# --- a Celery worker, as the Procfile runs it ------------------------------------------


def test_a_celery_worker_writes_no_token_in_its_log(redis_url, tmp_path):
    """A task failing with a token URL in its error: the worker's log (Celery's own
    handlers, which replace the root logger's) has the path without the token."""
    from selvhjelp.celery import app

    root = Path(__file__).resolve().parents[2]
    queue = f"hardening-log-test-{os.getpid()}"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "celery-test-key-" + "x" * 40,
        "ENV_FILE": "",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "selvhjelp",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            with app.connection_for_write(redis_url) as connection:
                app.send_task(
                    "selvhjelp.tasks.run_job",
                    args=[f"/igangsetter/kalender/{SECRET}.ics"],
                    queue=queue,
                    connection=connection,
                )
            deadline = time.time() + 60
            while "UnknownJob" not in log.read_text() and time.time() < deadline:
                time.sleep(0.5)
            time.sleep(0.5)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    text = log.read_text()
    assert "No job called '/igangsetter/kalender/[hidden].ics'" in text
    assert "Traceback" in text
    assert SECRET not in text
