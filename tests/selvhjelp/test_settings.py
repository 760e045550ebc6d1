import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-real-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "selvhjelp.example.no",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ENV_FILE": "",
}


def manage(*args, **env):
    # Only what a production host would have: none of the test-only variables.
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_deploy_check_warns_without_a_broker():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "REDIS_URL": ""}
    )
    assert result.returncode != 0
    assert "selvhjelp.W001" in result.stderr


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    env = {**PRODUCTION}
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_defaults_are_norwegian_and_safe(settings):
    assert settings.LANGUAGE_CODE == "nb"
    assert settings.TIME_ZONE == "Europe/Oslo"
    assert settings.USE_TZ is True


@pytest.mark.parametrize("name", ["DEBUG", "SECURE_SSL_REDIRECT"])
def test_debug_off_by_default(name):
    result = manage(
        "shell",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        SECRET_KEY="x" * 50,
        ENV_FILE="",
    )
    expected = {"DEBUG": "False", "SECURE_SSL_REDIRECT": "True"}[name]
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_the_web_access_log_keeps_neither_addresses_nor_paths():
    """Paths carry calendar, stop and withdrawal tokens and say which page a
    person read; the address says who. gunicorn's access log keeps neither."""
    procfile = (ROOT / "Procfile").read_text()
    [web] = [line for line in procfile.splitlines() if line.startswith("web:")]

    assert "--access-logformat" in web
    log_format = web.split("--access-logformat", 1)[1]
    for field in ("%(h)s", "%(r)s", "%(U)s", "%(q)s", "%(f)s", "%(a)s", "{"):
        assert field not in log_format, field
