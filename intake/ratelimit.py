"""A per-address limit on accepted interest forms, kept in Django's cache.

Written by hand rather than with a rate-limit library because of two rules
those libraries do not have: only accepted forms count (a person who has to
correct mistakes five times is never locked out), and a retried request of a
form already let through (same submission key) is not counted again.
"""

import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
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


def allow_submission(request, *, submission_key):
    """Count one accepted interest form from this address; False when over the limit.

    At most INTAKE_RATE_LIMIT forms per INTAKE_RATE_LIMIT_PERIOD seconds per
    address. When the cache cannot be reached the form is let through: a form
    must never be lost because Redis is down.
    """
    limit, period = settings.INTAKE_RATE_LIMIT, settings.INTAKE_RATE_LIMIT_PERIOD
    if not limit:
        return True
    seen_key = f"intake-rate-seen:{submission_key}"
    counter_key = _counter_key(request)
    try:
        if cache.get(seen_key):
            return True
        cache.add(counter_key, 0, timeout=period)
        if cache.incr(counter_key) > limit:
            return False
        cache.set(seen_key, True, timeout=period)
    except Exception:
        # Any cache failure (connection refused, timeout, an expired counter):
        # let the person through rather than lose their form.
        logger.warning("Rate limit not checked: the cache did not answer.", exc_info=True)
    return True
