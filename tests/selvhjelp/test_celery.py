import pytest

from selvhjelp.tasks import ping


def test_ping_runs_in_process_without_a_broker(settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert ping.delay().get(timeout=1) == "pong"


@pytest.mark.django_db(transaction=True)
def test_ping_round_trips_through_redis_to_a_real_worker(celery_worker):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    assert result.successful()
    assert result.backend.__class__.__name__ == "RedisBackend"
