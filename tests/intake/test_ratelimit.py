"""Which address a form counts against, and the counter itself."""

import uuid

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from intake.ratelimit import allow_submission, client_address


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
