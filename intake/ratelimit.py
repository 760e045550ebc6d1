"""A per-address limit on accepted interest forms, kept in Django's cache.

Written by hand rather than with a rate-limit library because of two rules
those libraries do not have: only accepted forms count (a person who has to
correct mistakes five times is never locked out), and a retried request of a
form already let through (same submission key) is not counted again.
"""

import datetime
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def client_address(request):
    """The address the request came from, seen past PROXY_COUNT trusted proxies.

    Each trusted proxy appends the address it was contacted from to
    X-Forwarded-For, so the client is the PROXY_COUNT-th entry from the right;
    anything further left was written by the client and cannot be trusted.
    An IPv6 address stands for its /64 network, which one household or phone
    usually has to itself.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.PROXY_COUNT:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [part.strip() for part in forwarded if part.strip()]
        if len(forwarded) >= settings.PROXY_COUNT:
            address = forwarded[-settings.PROXY_COUNT]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _counter_key(request):
    # Keyed by a keyed hash, so the cache never holds people's addresses.
    digest = salted_hmac("intake.ratelimit", client_address(request)).hexdigest()[:32]
    return f"intake-rate:{digest}"


@dataclass(frozen=True)
class Decision:
    """Whether a form may be saved; when refused, from when the address may send again."""

    allowed: bool
    retry_at: datetime.datetime | None = None

    def __bool__(self):
        return self.allowed


ALLOWED = Decision(True)

# One round trip to Redis: was this form let through before (the same
# submission key), else count it, and remember it when it is under the limit.
# Returns {count, seconds until the count expires}; {0, 0} for a form seen before.
REDIS_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0} end
local count = redis.call('INCR', KEYS[2])
local ttl = redis.call('TTL', KEYS[2])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  ttl = tonumber(ARGV[2])
end
if count <= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], 1, 'EX', ARGV[2])
end
return {count, ttl}
"""


def allow_submission(request, *, submission_key):
    """Count one accepted interest form from this address; False when over the limit."""
    return check_submission(request, submission_key=submission_key).allowed


def check_submission(request, *, submission_key):
    """Count one accepted interest form from this address: a Decision.

    At most INTAKE_RATE_LIMIT forms per INTAKE_RATE_LIMIT_PERIOD seconds per
    address; a refused Decision says when the address may send again. With
    Redis this is one round trip (a script). When the cache cannot be
    reached the form is let through: a form must never be lost because Redis
    is down.
    """
    limit, period = settings.INTAKE_RATE_LIMIT, settings.INTAKE_RATE_LIMIT_PERIOD
    if not limit:
        return ALLOWED
    seen_key = f"intake-rate-seen:{submission_key}"
    counter_key = _counter_key(request)
    try:
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            count, ttl = _redis_script(backend)(
                keys=[
                    cache.make_and_validate_key(seen_key),
                    cache.make_and_validate_key(counter_key),
                ],
                args=[limit, period],
            )
        else:
            count, ttl = _portable(seen_key, counter_key, limit, period)
    except Exception:
        # Any cache failure (connection refused, timeout, an expired counter):
        # let the person through rather than lose their form.
        logger.warning("Rate limit not checked: the cache did not answer.", exc_info=True)
        return ALLOWED
    if count > limit:
        return Decision(False, timezone.now() + datetime.timedelta(seconds=max(int(ttl), 1)))
    return ALLOWED


def _redis_script(backend):
    return backend._cache.get_client(write=True).register_script(REDIS_SCRIPT)


def _portable(seen_key, counter_key, limit, period):
    """The same steps through Django's cache API (the local cache without Redis)."""
    if cache.get(seen_key):
        return 0, 0
    if cache.add(counter_key, 0, timeout=period):
        cache.set(f"{counter_key}:until", time.time() + period, timeout=period)
    count = cache.incr(counter_key)
    if count <= limit:
        cache.set(seen_key, True, timeout=period)
    until = cache.get(f"{counter_key}:until") or time.time() + period
    return count, until - time.time()
