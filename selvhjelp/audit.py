"""The change history and the access log of people's data.

Changes: every change to an intake, its contact attempts, memberships,
groups, facilitators, assignments and follow-ups is a django-auditlog
LogEntry with who, when and what (free text masked). It holds the values
that changed, former names and contact details too, so it is deleted with
the person.

Accesses: every look at a person's data by a user (opening their page, a
search or list that shows their name, reading their health information,
exporting, erasing) is an AccessEntry, written by `record_access`. It
outlives the person: on erasure `pseudonymise` replaces the person with a
random code stored nowhere else, and `prune_access_log` deletes entries
older than ACCESS_LOG_RETENTION_MONTHS.
"""

import secrets
from urllib.parse import urlencode

from auditlog.registry import auditlog
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Value, When
from django.urls import reverse
from django.utils import timezone

from .models import AccessedPerson, AccessEntry

MASK = "[skjult]"
# What replaces a person's name or contact detail in text that stays; stored
# as data rather than translated on display.
REDACTED = "[anonymisert]"

Action = AccessEntry.Action
Page = AccessEntry.Page


def mask(value):
    """Hide a free-text value completely; auditlog's default keeps half of it."""
    return MASK


def register(model, **options):
    """Log every change to `model` (each app registers its models in its ready()).

    `mask_fields` are free text, hidden entirely in the log (MASK, through
    AUDITLOG_MASK_CALLABLE); `m2m_fields` are many-to-many fields to log.
    """
    auditlog.register(model, **options)


def log_created(instance, *, m2m=None):
    """The one audit entry of a new `instance`, with its many-to-many values in it.

    For a row saved inside `auditlog.context.disable_auditlog()` whose
    many-to-many rows were inserted in bulk (no m2m_changed signal): the same
    entry auditlog writes on creation, plus, for each field of `m2m` the
    model logs (its `m2m_fields`), the objects added, as auditlog writes them.
    One INSERT.
    """
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry

    # The row's own columns: following a reverse relation would cost a query each.
    columns = [field.name for field in instance._meta.concrete_fields]
    changes = (
        model_instance_diff(
            None,
            instance,
            fields_to_check=columns,
            use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES,
        )
        or {}
    )
    logged = auditlog._registry[instance._meta.model]["m2m_fields"]
    for field_name, objects in (m2m or {}).items():
        if field_name in logged and objects:
            changes[field_name] = {
                "type": "m2m",
                "operation": "add",
                "objects": [str(obj) for obj in objects],
            }
    return LogEntry.objects.log_create(
        instance, action=LogEntry.Action.CREATE, changes=changes, force_log=True
    )


# --- The access log ---------------------------------------------------------------


def record_access(*, actor, action, people, page="", reason="", at=None):
    """Log that `actor` did `action` with the data of `people` (model instances).

    One entry per page view however many people it shows, written with two
    queries (none when `people` is empty). Returns the entry, or None.
    """
    people = [person for person in people if person is not None and person.pk is not None]
    if not people:
        return None
    entry = AccessEntry.objects.create(
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        page=page,
        reason=reason[: AccessEntry._meta.get_field("reason").max_length],
    )
    seen = set()
    rows = []
    for person in people:
        person_type = ContentType.objects.get_for_model(person)
        if (person_type.pk, person.pk) in seen:
            continue
        seen.add((person_type.pk, person.pk))
        rows.append(AccessedPerson(entry=entry, person_type=person_type, person_id=person.pk))
    AccessedPerson.objects.bulk_create(rows)
    return entry


def accesses_of(person):
    """The access entries naming `person`, oldest first, with their actors."""
    return (
        AccessEntry.objects.filter(
            people__person_type=ContentType.objects.get_for_model(person),
            people__person_id=person.pk,
        )
        .select_related("actor")
        .order_by("at", "pk")
        .distinct()
    )


def has_accessed(user, person, action, *, since):
    """Whether `user` logged `action` with `person` at `since` or later."""
    return AccessEntry.objects.filter(
        actor=user,
        action=action,
        at__gte=since,
        people__person_type=ContentType.objects.get_for_model(person),
        people__person_id=person.pk,
    ).exists()


def pseudonymise(model, ids, *, redact=()):
    """Replace the people `ids` of `model` in the access log by a random code each.

    The code is new for each person, stored nowhere else and made from
    nothing about them: the entries still show that one person was opened
    three times and then erased, and by whom, but not who. Reasons written
    on those entries lose every string in `redact` (the person's names,
    contact details and reference, former ones too). Three queries.
    """
    ids = [int(pk) for pk in ids]
    if not ids:
        return
    person_type = ContentType.objects.get_for_model(model)
    rows = AccessedPerson.objects.filter(person_type=person_type, person_id__in=ids)
    redact = sorted({value for value in redact if value and len(value) >= 3}, key=len)[::-1]
    if redact:
        entries = list(AccessEntry.objects.filter(people__in=rows).exclude(reason="").distinct())
        for entry in entries:
            for value in redact:
                entry.reason = replace_ignoring_case(entry.reason, value, REDACTED)
        AccessEntry.objects.bulk_update(entries, ["reason"])
    codes = [When(person_id=pk, then=Value(secrets.token_hex(8))) for pk in ids]
    rows.update(pseudonym=Case(*codes, output_field=CharField()), person_id=None)


def replace_ignoring_case(text, value, replacement):
    """`text` with every occurrence of `value`, in any case, replaced by `replacement`."""
    lowered, needle = text.lower(), value.lower()
    start = lowered.find(needle)
    while start != -1:
        text = text[:start] + replacement + text[start + len(value) :]
        lowered = text.lower()
        start = lowered.find(needle, start + len(replacement))
    return text


def prune_access_log(*, now=None):
    """Delete access entries older than ACCESS_LOG_RETENTION_MONTHS; returns the count."""
    now = now or timezone.now()
    cutoff = now - relativedelta(months=settings.ACCESS_LOG_RETENTION_MONTHS)
    _total, by_model = AccessEntry.objects.filter(at__lt=cutoff).delete()
    return by_model.get(AccessEntry._meta.label, 0)


# --- Links for national administrators -------------------------------------------------


def audit_log_url(instance):
    """The change history (django-auditlog) of `instance`, for superusers."""
    content_type = ContentType.objects.get_for_model(instance)
    query = urlencode({"content_type__id__exact": content_type.pk, "object_pk": instance.pk})
    return f"{reverse('admin:auditlog_logentry_changelist')}?{query}"


def access_log_url(instance):
    """The access log filtered to `instance`, for superusers."""
    content_type = ContentType.objects.get_for_model(instance)
    query = urlencode({"people__person_type": content_type.pk, "people__person_id": instance.pk})
    return f"{reverse('admin:selvhjelp_accessentry_changelist')}?{query}"
