"""Named fixtures shared by the whole suite, and the service gates.

Tests that need PostgreSQL, Redis or Chromium ask for the fixture of that
service. When the service is missing they skip with a reason that says what
to install, unless REQUIRE_SERVICES=1 (as in CI), when they fail instead.
"""

import logging
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run database tests before transactional ones again, as Django does.

    pytest-django sorts them so, but pytest then moves every test of the
    session-scoped `browser_name` parameter (Playwright, and any test using
    `page`) to the front. Those flush the database, taking the rows the
    migrations wrote (themes, times of week) from every test after them.
    """
    from pytest_django.plugin import pytest_collection_modifyitems as django_order

    django_order(items)


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
    # start_worker sets the root logger to its own level (ERROR); later tests'
    # caplog would then see nothing.
    root_level = logging.root.level
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False) as worker:
            yield worker
    finally:
        app.conf.update(task_always_eager=True)
        logging.root.setLevel(root_level)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Restore the rows the data migrations create (times of week, themes, consent texts).

    Transactional tests (browser, worker, concurrency) empty every table when
    they finish, which would leave later tests without them.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not (marker or names & {"db", "transactional_db", "live_server"}):
        return
    transactional = names & {"transactional_db", "live_server"} or (
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from intake.models import ConsentText, Slot, Theme
    from intake.reference import ensure_reference_data

    ensure_reference_data(Slot, Theme)
    if not ConsentText.objects.exists():
        # The consent texts as released, from the data migration that stores them.
        import importlib

        from django.apps import apps

        migration = importlib.import_module("intake.migrations.0004_privacy_promises")
        migration.store_consent_texts(apps, None)


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Every test starts with an empty in-memory cache (the form's rate-limit
    counters live there), never the shared Redis. Tests of the Redis cache
    set CACHES themselves."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in bokmål, the portal's language.

    A request to an /nn/ or /en/ address activates that language for the
    thread, and Django leaves it active after the response: without this, a
    test after one would read its messages in the wrong language.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """A fast hasher in tests: PBKDF2 costs almost a second per user made by a factory.

    What hashing is configured for production is a settings matter, not
    something these tests prove.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _staff_sessions_pass_two_factor(monkeypatch):
    """client.force_login(staff) gives a session that really passed two-factor login.

    The admin refuses staff sessions without a verified OTP device. For a
    staff user this wraps force_login to also give the user a confirmed
    authenticator-app device (if they have none) and store it in the session
    as django_otp.login() does after a right code. Password-only sessions
    (client.login, or a real login form) stay unverified; the two-factor
    tests use those.
    """
    from django.test import Client

    from tests.otp import verify_client_session

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            verify_client_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


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
def facilitator(centre):
    """An active facilitator of `centre`, Kari Nordmann."""
    return factories.FacilitatorFactory(
        centres=[centre], user__first_name="Kari", user__last_name="Nordmann"
    )


@pytest.fixture
def other_facilitator(centre):
    """Another active facilitator of `centre`, Per Hansen."""
    return factories.FacilitatorFactory(
        centres=[centre], user__first_name="Per", user__last_name="Hansen"
    )


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


# --- Interest forms -----------------------------------------------------------


@pytest.fixture
def intake(centre):
    """A new interest form at `centre`."""
    return factories.IntakeFactory(centre=centre, name="Kari Nordmann")


@pytest.fixture
def other_centre_intake(other_centre):
    return factories.IntakeFactory(centre=other_centre, name="Ola Oslomann")


@pytest.fixture
def waiting_intake(centre):
    """An interest form at `centre` that is ready for a group."""
    return factories.IntakeFactory(centre=centre, status="waiting")


@pytest.fixture
def form_choices(transactional_db):
    """The themes and times of week of intake's data migration, for transactional
    tests: an earlier transactional test empties every table when it ends."""
    import importlib

    from django.apps import apps

    importlib.import_module("intake.migrations.0002_slots_and_themes").create(apps, None)


@pytest.fixture
def intake_form_data(centre):
    """A valid POST of the public interest form for `centre`."""
    return factories.intake_form_data(centre)
