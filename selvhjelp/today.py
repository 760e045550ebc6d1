"""The admin's start page for staff ("I dag"): what to do today, section by section.

The page belongs to the core; what it shows comes from the apps. Each app
registers its sections from its AppConfig.ready(), as it registers message
types and digest counts:

    from selvhjelp.today import TODAY_SECTIONS, TodaySection
    TODAY_SECTIONS.append(TodaySection(key="new-forms", title=_("..."), order=10, load=...))

A section's `load(centres, today, since)` gets the centres the user works for
(a Centre queryset; every centre for a superuser, or the one chosen in the
centre filter), today's Oslo date and when the user last opened the page
(None the first time), and returns TodayRows: how many there are, the
oldest first rows, and the page where staff handle them all. It must cost a
fixed number of queries whatever the data size (a test pins the page's).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .dates import admin_datetime

# Opening the page again within this time is the same visit: "since your
# last visit" keeps meaning the visit before.
TODAY_VISIT_GAP = timedelta(hours=2)
# When the user has never opened the page: how far back "since" reaches.
FIRST_VISIT_LOOKBACK = timedelta(days=7)
# Rows a section shows; the rest are one click away.
SECTION_ROWS = 10


@dataclass(frozen=True)
class TodayRow:
    """One thing to do: what it is, a link that does the work, and how urgent."""

    label: str
    url: str
    detail: str = ""
    # True when it is past what the centre promised (marked on the page).
    late: bool = False


@dataclass(frozen=True)
class TodayRows:
    count: int
    rows: list = field(default_factory=list)  # TodayRow, oldest first, at most a page
    more_url: str = ""  # where all of them are handled
    # Anything more a section's own template shows (counts by time of week...).
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TodaySection:
    key: str
    title: str  # lazily translated
    order: int  # sections are shown by this, lowest first
    load: Callable  # (centres, today, since) -> TodayRows
    empty: str = ""  # what the page says when there is nothing (lazily translated)
    template: str = "admin/today/section.html"


TODAY_SECTIONS = []


def sections():
    """The registered sections, in the order they are shown."""
    return sorted(TODAY_SECTIONS, key=lambda section: (section.order, section.key))


@dataclass(frozen=True)
class LoadedSection:
    section: TodaySection
    rows: TodayRows


def visit(user, now=None):
    """Record that `user` opened the page now; return since when "new" counts.

    Two queries (the row, and its update or creation). The first time, the
    last FIRST_VISIT_LOOKBACK counts as new.
    """
    from .models import TodayVisit

    now = now or timezone.now()
    seen = TodayVisit.objects.filter(user=user).first()
    if seen is None:
        TodayVisit.objects.create(user=user, seen_at=now, since=None)
        return now - FIRST_VISIT_LOOKBACK
    since = seen.since if now - seen.seen_at < TODAY_VISIT_GAP else seen.seen_at
    TodayVisit.objects.filter(pk=seen.pk).update(seen_at=now, since=since)
    return since or now - FIRST_VISIT_LOOKBACK


def centre_choice(user, chosen):
    """(the centres the page covers, the centres offered in the filter, the chosen one or None).

    Superusers see every centre, staff their own; `chosen` (a centre id from
    the filter) narrows it to one of those, and is ignored when it is not.
    """
    from .models import Centre

    offered = list(Centre.objects.for_user(user).only("pk", "name").order_by("name"))
    picked = next((c for c in offered if str(c.pk) == str(chosen or "")), None)
    ids = [picked.pk] if picked else [c.pk for c in offered]
    return Centre.objects.filter(pk__in=ids), offered, picked


def load_sections(centres, today, since):
    """Every registered section loaded for `centres`: a fixed number of queries in all."""
    return [LoadedSection(section, section.load(centres, today, since)) for section in sections()]


# --- The core's own section: messages that failed for good --------------------


def failed_messages_section(centres, today, since):
    """Messages the outbox gave up on: send them again or reach the person another way.

    Two queries. The row names the kind of message and the channel, never
    the text.
    """
    from . import messaging
    from .models import OutboundMessage

    failed = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.FAILED, centre__in=centres
    )
    rows = [
        TodayRow(
            label=_("%(type)s by %(channel)s to %(recipient)s")
            % {
                "type": messaging.message_type_label(message.message_type),
                "channel": message.get_channel_display().lower(),
                "recipient": message.recipient,
            },
            url=reverse("admin:selvhjelp_outboundmessage_change", args=[message.pk]),
            detail=_("Due %(when)s; %(attempts)d attempts.")
            % {
                "when": admin_datetime(message.due_at),
                "attempts": message.attempts,
            },
            late=True,
        )
        for message in failed.order_by("due_at", "pk")[:SECTION_ROWS]
    ]
    more_url = reverse("admin:selvhjelp_outboundmessage_changelist") + "?status=failed"
    return TodayRows(count=failed.count(), rows=rows, more_url=more_url)


def count_by(queryset, field_name):
    """{value: count} of one field, in one query."""
    return {
        row[field_name]: row["n"]
        for row in queryset.order_by().values(field_name).annotate(n=Count("pk"))
    }
