"""Checks behind the /helse/ endpoint: each returns True when the service answers."""

import logging

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database did not answer")
        return False


def broker_ok():
    """True when the Celery broker accepts a connection (None when none is configured)."""
    if not settings.REDIS_URL:
        return None
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.exception("Health check: the Celery broker did not answer")
        return False
