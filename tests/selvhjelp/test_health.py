import pytest
from django.db import OperationalError

from selvhjelp import health


@pytest.mark.django_db
def test_answers_ok_when_the_database_answers(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/helse/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_answers_503_without_internals_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused to 10.0.0.5")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/helse/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert b"10.0.0.5" not in response.content


@pytest.mark.django_db
def test_answers_503_when_the_configured_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    from selvhjelp.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = settings.REDIS_URL
    try:
        response = client.get("/helse/")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503


def test_staff_see_each_component(client, staff, settings):
    settings.REDIS_URL = ""
    client.force_login(staff)
    body = client.get("/helse/").json()
    assert body == {"status": "ok", "database": "ok", "broker": "not configured"}


def test_broker_check_passes_against_real_redis(redis_url, settings):
    settings.REDIS_URL = redis_url
    assert health.broker_ok() is True
