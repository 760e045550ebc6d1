"""Named fixtures shared by the whole suite, and the service gates.

Tests that need PostgreSQL, Redis or Chromium ask for the fixture of that
service. When the service is missing they skip with a reason that says what
to install, unless REQUIRE_SERVICES=1 (as in CI), when they fail instead.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "browser" / "screenshots"


def require(available, what):
    """Skip (or, with REQUIRE_SERVICES=1, fail) a test whose service is missing."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {what}")
    pytest.skip(what)


# --- Services -----------------------------------------------------------------


@pytest.fixture
def postgres(db):
    require(
        connection.vendor == "postgresql",
        "this test needs PostgreSQL: set DATABASE_URL=postgres://... (see README)",
    )


@pytest.fixture(scope="session")
def redis_url():
    url = settings.REDIS_URL
    available = False
    if url:
        import redis

        try:
            available = redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError:
            available = False
    require(available, "this test needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    return url


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker, in this process, consuming from the real Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from selvhjelp.celery import app

    app.conf.update(task_always_eager=False, broker_url=redis_url, result_backend=redis_url)
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False) as worker:
            yield worker
    finally:
        app.conf.update(task_always_eager=True)


# --- Browser ------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(
        Path(CHROMIUM).exists(),
        "browser tests need Chromium: apt-get install chromium (see README)",
    )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nb-NO", "timezone_id": "Europe/Oslo"}


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under tests/browser/screenshots/ (not committed)."""

    def take(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


# --- People and centres -------------------------------------------------------


@pytest.fixture
def centre(db):
    return factories.CentreFactory(name="Arna frivilligsentral", slug="arna")


@pytest.fixture
def other_centre(db):
    return factories.CentreFactory(name="LINK Oslo", slug="link-oslo")


@pytest.fixture
def staff(centre):
    return factories.StaffFactory(centres=[centre])


@pytest.fixture
def other_centre_staff(other_centre):
    return factories.StaffFactory(centres=[other_centre])


@pytest.fixture
def superuser(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def other_staff_client(client, other_centre_staff):
    client.force_login(other_centre_staff)
    return client
