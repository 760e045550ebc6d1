"""The interest form's themes and times of week, read once and kept in the cache.

The form shows them on every page view and checks them on every POST; they
change only when staff edit a theme (the times of week come from a
migration). Kept in Django's cache (Redis when REDIS_URL is set, so every
web process shares them) and deleted there whenever a theme or a time is
saved or deleted, so the next request reads them again. CHOICES_CACHE_SECONDS
bounds how long a change made outside the ORM (a raw UPDATE) can go unseen.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from .models import Slot, Theme

KEY = "intake-choices"


def themes():
    """The themes the form offers: the active ones and "something else", in order."""
    return both()[0]


def slots():
    """Every time of week (weekday, part of day)."""
    return both()[1]


def both():
    """(themes, slots), with one trip to the cache (the form asks for both at once)."""
    return _cached(
        KEY,
        lambda: (
            list(Theme.objects.filter(Q(active=True) | Q(is_other=True))),
            list(Slot.objects.all()),
        ),
    )


def _cached(key, load):
    try:
        value = cache.get(key)
    except Exception:  # the cache is down: the database still answers
        return load()
    if value is None:
        value = load()
        with contextlib.suppress(Exception):  # the next request tries again
            cache.set(key, value, timeout=settings.CHOICES_CACHE_SECONDS)
    return value


def forget(**kwargs):
    """Signal receiver: a theme or time changed; the next request reads them again."""
    with contextlib.suppress(Exception):  # they expire after CHOICES_CACHE_SECONDS
        cache.delete(KEY)
