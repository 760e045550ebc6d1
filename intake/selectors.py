"""Read-side queries about interest forms used by jobs and staff pages."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from selvhjelp.dates import local_date, local_midnight, working_days_between
from selvhjelp.today import TodayRow, TodayRows, count_by

from . import retention
from .models import ErasureRequest, Intake, Slot, StatusChange

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


# --- The start page: new forms, people ready for a group, withdrawals ----------------


def working_days_waited(intake, today):
    """Working days from the day the form came in up to `today` (the day it came, not today)."""
    return working_days_between(local_date(intake.created_at), today)


def new_forms_section(centres, today, since):
    """New forms nobody has contacted, oldest first, marked when past the centre's promise.

    The promise is the centre's `usual_response_days` (working days), the
    number the person was told after sending the form. Two queries.
    """
    new = Intake.objects.filter(status=Intake.Status.NEW, centre__in=centres)
    rows = []
    for intake in new.select_related("centre").order_by("created_at", "pk")[:SECTION_ROWS]:
        waited = working_days_waited(intake, today)
        promise = intake.centre.usual_response_days
        rows.append(
            TodayRow(
                label=intake.name_and_reference,
                url=reverse("admin:intake_intake_change", args=[intake.pk]),
                detail=ngettext(
                    "%(centre)s. Received %(date)s: waited %(days)d working day; "
                    "the centre promises %(promise)d.",
                    "%(centre)s. Received %(date)s: waited %(days)d working days; "
                    "the centre promises %(promise)d.",
                    waited,
                )
                % {
                    "centre": intake.centre.name,
                    "date": formats.date_format(local_date(intake.created_at)),
                    "days": waited,
                    "promise": promise,
                },
                late=waited > promise,
            )
        )
    more_url = reverse("admin:intake_intake_changelist") + f"?status={Intake.Status.NEW}"
    return TodayRows(count=new.count(), rows=rows, more_url=more_url)


def suggestions_url():
    """The suggested groups page, once the groups app has it; "" until then."""
    try:
        return reverse("admin:groups_suggestions")
    except NoReverseMatch:
        return ""


def ready_section(centres, today, since):
    """People ready for a group: counted by time of week and by format, oldest first.

    Four queries: how many, the oldest, the count per time of week and the
    count per format.
    """
    waiting = Intake.objects.filter(status=Intake.Status.WAITING, centre__in=centres)
    rows = [
        TodayRow(
            label=intake.name_and_reference,
            url=reverse("admin:intake_intake_change", args=[intake.pk]),
            detail=_("%(centre)s. Ready since %(date)s; %(format)s.")
            % {
                "centre": intake.centre.name,
                "date": formats.date_format(local_date(intake.status_changed_at)),
                "format": intake.get_format_display().lower(),
            },
        )
        for intake in waiting.select_related("centre").order_by("status_changed_at", "pk")[
            :SECTION_ROWS
        ]
    ]
    per_slot = {
        (row["slot__weekday"], row["slot__part"]): row["n"]
        for row in Intake.availability.through.objects.filter(intake__in=waiting)
        .values("slot__weekday", "slot__part")
        .annotate(n=Count("pk"))
        .order_by()
    }
    parts = Slot.Part.choices
    by_time = [
        {
            "weekday": label,
            "counts": [per_slot.get((weekday, part), 0) for part, _label in parts],
        }
        for weekday, label in Slot.WEEKDAYS
    ]
    per_format = count_by(waiting, "format")
    more_url = reverse("admin:intake_intake_changelist") + f"?status={Intake.Status.WAITING}"
    return TodayRows(
        count=waiting.count(),
        rows=rows,
        more_url=more_url,
        extra={
            "parts": [label for _part, label in parts],
            "by_time": by_time,
            "by_format": [
                (label, per_format.get(value, 0)) for value, label in Intake.Format.choices
            ],
            "suggestions_url": suggestions_url(),
        },
    )


def withdrawals_section(centres, today, since):
    """Forms withdrawn since the user's last visit, by the person or by staff. Two queries."""
    withdrawn = StatusChange.objects.filter(
        to_status=Intake.Status.WITHDRAWN, changed_at__gte=since, intake__centre__in=centres
    )
    rows = [
        TodayRow(
            label=change.intake.name_and_reference,
            url=reverse("admin:intake_intake_change", args=[change.intake_id]),
            detail=(
                _("Withdrew %(date)s with the link in the receipt.")
                if change.changed_by is None
                else _("Withdrawn %(date)s by %(who)s.")
            )
            % {
                "date": formats.date_format(local_date(change.changed_at)),
                "who": change.changed_by
                and (change.changed_by.get_full_name() or change.changed_by.get_username()),
            },
        )
        for change in withdrawn.select_related("intake", "changed_by").order_by("changed_at", "pk")[
            :SECTION_ROWS
        ]
    ]
    more_url = reverse("admin:intake_intake_changelist") + f"?status={Intake.Status.WITHDRAWN}"
    return TodayRows(count=withdrawn.count(), rows=rows, more_url=more_url)


# --- The same person twice ----------------------------------------------------------

NEAR_DUPLICATE_DAYS = 90


def near_duplicates(intake):
    """Other forms at the centre that may be the same person, oldest first. One query.

    The same name and year of birth, or the same mobile number or email,
    received within NEAR_DUPLICATE_DAYS of this one. Forms already merged
    into another are left out.
    """
    same = Q(name__iexact=intake.name, birth_year=intake.birth_year)
    if intake.phone:
        same |= Q(phone=intake.phone)
    if intake.email:
        same |= Q(email__iexact=intake.email)
    window = timedelta(days=NEAR_DUPLICATE_DAYS)
    return list(
        Intake.objects.filter(
            same,
            centre_id=intake.centre_id,
            merged_into__isnull=True,
            anonymised_at__isnull=True,
            created_at__gte=intake.created_at - window,
            created_at__lte=intake.created_at + window,
        )
        .exclude(pk=intake.pk)
        .order_by("created_at", "pk")
    )
