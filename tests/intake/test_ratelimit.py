"""Which address a form counts against, and the counter itself."""

import datetime
import uuid

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from intake.ratelimit import allow_submission, check_submission, client_address
from tests.factories import intake_form_data


def request(remote="203.0.113.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/meld-interesse/", **extra)


def test_without_proxies_the_address_is_the_connection(settings):
    settings.PROXY_COUNT = 0

    assert client_address(request(forwarded="198.51.100.1")) == "203.0.113.5"


def test_behind_one_proxy_the_address_is_the_last_forwarded_one(settings):
    settings.PROXY_COUNT = 1

    address = client_address(request(remote="10.0.0.1", forwarded="1.2.3.4, 198.51.100.7"))

    assert address == "198.51.100.7"


def test_a_forged_forwarded_header_cannot_choose_the_address(settings):
    settings.PROXY_COUNT = 2
    # The client wrote 1.2.3.4; the outer proxy appended the real client.
    header = "1.2.3.4, 198.51.100.7, 10.0.0.2"

    assert client_address(request(remote="10.0.0.3", forwarded=header)) == "198.51.100.7"


def test_a_missing_forwarded_header_falls_back_to_the_connection(settings):
    settings.PROXY_COUNT = 1

    assert client_address(request(remote="10.0.0.1")) == "10.0.0.1"


def test_an_ipv6_address_counts_for_its_64_network(settings):
    settings.PROXY_COUNT = 0

    first = client_address(request(remote="2001:db8:1:2:aaaa::1"))
    second = client_address(request(remote="2001:db8:1:2:bbbb::9"))

    assert first == second == "2001:db8:1:2::"


def test_garbage_in_the_header_is_not_a_crash(settings):
    settings.PROXY_COUNT = 1

    assert client_address(request(forwarded="not-an-ip\x00" * 100))


def test_the_cache_holds_no_address(settings):
    settings.INTAKE_RATE_LIMIT = 5

    allow_submission(request(remote="203.0.113.99"), submission_key=uuid.uuid4())

    keys = list(cache._cache)  # LocMemCache's store
    assert keys and not any("203.0.113.99" in key for key in keys)


@pytest.mark.parametrize("limit", [1, 3])
def test_the_limit_allows_exactly_limit_submissions(settings, limit):
    settings.INTAKE_RATE_LIMIT = limit

    answers = [allow_submission(request(), submission_key=uuid.uuid4()) for _ in range(limit + 2)]

    assert answers == [True] * limit + [False, False]


def test_a_limit_of_zero_turns_it_off(settings):
    settings.INTAKE_RATE_LIMIT = 0

    assert all(allow_submission(request(), submission_key=uuid.uuid4()) for _ in range(50))


def test_a_refused_form_says_when_the_address_may_send_again(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    settings.INTAKE_RATE_LIMIT_PERIOD = 60 * 60
    data = intake_form_data(centre, submission_key=str(uuid.uuid4()))
    assert client.post("/meld-interesse/", data).status_code == 302

    refused = client.post(
        "/meld-interesse/", {**data, "submission_key": str(uuid.uuid4())}
    ).content.decode()

    in_an_hour = timezone.localtime(timezone.now() + datetime.timedelta(hours=1))
    times = {(in_an_hour - datetime.timedelta(minutes=m)).strftime("%H:%M") for m in range(0, 3)}
    assert any(f"Du kan sende det igjen etter klokken {t}" in refused for t in times), refused


def test_with_redis_the_limit_is_one_round_trip(settings, redis_url, monkeypatch):
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4()}",
        }
    }
    settings.INTAKE_RATE_LIMIT = 2
    settings.INTAKE_RATE_LIMIT_PERIOD = 600
    calls = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        calls.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    key = uuid.uuid4()

    first = check_submission(request(), submission_key=key)
    assert len([c for c in calls if c != "SCRIPT LOAD"]) == 1
    again = check_submission(request(), submission_key=key)  # a retried request
    second = check_submission(request(), submission_key=uuid.uuid4())
    third = check_submission(request(), submission_key=uuid.uuid4())

    assert first and again and second and not third
    seconds = (third.retry_at - timezone.now()).total_seconds()
    assert 590 <= seconds <= 600
