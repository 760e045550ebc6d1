"""Read-side queries about interest forms used by jobs and staff pages."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from selvhjelp.dates import local_midnight
from selvhjelp.today import TodayRow, TodayRows

from . import retention
from .models import ErasureRequest, Intake

# Rows a start page section shows; the rest are one click away.
SECTION_ROWS = 10


def count_uncontacted_intakes(today):
    """Interest forms per centre still "new" DIGEST_UNCONTACTED_DAYS calendar days after arrival.

    Counted in whole days in Oslo time, so a digest says the same on the day
    the clocks change as on any other day. For the staff digest.
    """
    cutoff_day = today - timedelta(days=settings.DIGEST_UNCONTACTED_DAYS - 1)
    rows = (
        Intake.objects.filter(status=Intake.Status.NEW, created_at__lt=local_midnight(cutoff_day))
        .values("centre")
        .annotate(n=Count("pk"))
    )
    return {row["centre"]: row["n"] for row in rows}


# --- Forms with no activity (intake.retention) -----------------------------------------


def count_idle_intakes(today):
    """Forms per centre the nightly job will close for lack of activity. For the digest."""
    rows = retention.intakes_noticed_idle().values("centre").annotate(n=Count("pk"))
    return {row["centre"]: row["n"] for row in rows}


def idle_intakes_section(centres, today, since):
    """The start page's "no activity" section: forms to handle before the job closes them.

    Two queries whatever the number of forms.
    """
    idle = retention.intakes_noticed_idle().filter(centre__in=centres)
    rows = [
        TodayRow(
            label=intake.name_and_reference,
            url=reverse("admin:intake_intake_change", args=[intake.pk]),
            detail=_("No activity since %(since)s. Closed on %(closes)s unless someone acts.")
            % {
                "since": formats.date_format(timezone.localdate(intake.last_activity)),
                "closes": formats.date_format(retention.closes_on(intake)),
            },
            late=retention.closes_on(intake) <= today + timedelta(days=7),
        )
        for intake in idle.order_by("idle_notice_at", "pk")[:SECTION_ROWS]
    ]
    more_url = reverse("admin:intake_intake_changelist") + "?idle=1&status=all"
    return TodayRows(count=idle.count(), rows=rows, more_url=more_url)


# --- Erasure waiting for a second person (intake.rights) ------------------------------


def _pending_erasures():
    since = timezone.now() - timedelta(days=settings.ERASURE_REQUEST_DAYS)
    return ErasureRequest.objects.filter(requested_at__gt=since)


def count_pending_erasures(today):
    """Erasure requests per centre waiting for someone to confirm them. For the digest."""
    rows = _pending_erasures().values("intake__centre").annotate(n=Count("pk"))
    return {row["intake__centre"]: row["n"] for row in rows}


def pending_erasures_section(centres, today, since):
    """The start page's section of erasures a colleague asked for: confirm them. Two queries."""
    pending = _pending_erasures().filter(intake__centre__in=centres)
    rows = [
        TodayRow(
            label=request.intake.reference,
            url=reverse("admin:intake_intake_erase", args=[request.intake_id]),
            detail=_("Asked by %(who)s on %(when)s; can be confirmed until %(until)s.")
            % {
                "who": request.requested_by.get_full_name() or request.requested_by.get_username(),
                "when": formats.date_format(timezone.localdate(request.requested_at)),
                "until": formats.date_format(timezone.localdate(request.expires_at)),
            },
        )
        for request in pending.select_related("intake", "requested_by").order_by(
            "requested_at", "pk"
        )[:SECTION_ROWS]
    ]
    return TodayRows(count=pending.count(), rows=rows)
