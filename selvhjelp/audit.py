"""What django-auditlog records about people's data, and how it is masked.

Every change to an intake, its contact attempts, memberships, groups,
facilitators, assignments and follow-ups is a LogEntry with who, when and
what. Reading a person's intake page and exporting their data are logged as
access entries through auditlog's `accessed` signal (`record_access`).
"""

from urllib.parse import urlencode

from auditlog.registry import auditlog
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

MASK = "[skjult]"


def mask(value):
    """Hide a free-text value completely; auditlog's default keeps half of it."""
    return MASK


def register(model, **options):
    """Log every change to `model` (each app registers its models in its ready()).

    `mask_fields` are free text, hidden entirely in the log (MASK, through
    AUDITLOG_MASK_CALLABLE); `m2m_fields` are many-to-many fields to log.
    """
    auditlog.register(model, **options)


def record_access(instance):
    """Log that the current user (auditlog's actor) read or exported `instance`."""
    accessed.send(sender=instance.__class__, instance=instance)


def audit_log_url(instance):
    """The audit log's list of changes and accesses of `instance` (for superusers)."""
    content_type = ContentType.objects.get_for_model(instance)
    query = urlencode({"content_type__id__exact": content_type.pk, "object_pk": instance.pk})
    return f"{reverse('admin:auditlog_logentry_changelist')}?{query}"
