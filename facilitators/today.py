"""The facilitators' section of the staff's start page (selvhjelp.today): visits asked for."""

from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from selvhjelp.today import TodayRow, TodayRows

from .models import VisitDecline
from .visits import pending_visits

SECTION_ROWS = 10


def visit_requests_section(centres, today, since):
    """Visits groups asked for that no facilitator has taken yet, with the latest decline's note.

    Late when the answer is past due. One query: a group has at most one
    request open, so all are read and counted.
    """
    latest = VisitDecline.objects.filter(follow_up=OuterRef("pk")).order_by("-created_at", "-pk")
    pending = list(
        pending_visits(centres).annotate(
            declined=Count("declines"),
            declined_by=Subquery(latest.values("facilitator__user__first_name")[:1]),
            declined_note=Subquery(latest.values("note")[:1]),
        )
    )
    rows = []
    for visit in pending[:SECTION_ROWS]:
        asked = timezone.localdate(visit.asked_at) if visit.asked_at else visit.created_at.date()
        detail = _("Asked for on %(date)s.") % {"date": formats.date_format(asked)}
        if visit.declined:
            detail += " " + _("%(who)s cannot come: %(note)s") % {
                "who": visit.declined_by,
                "note": visit.declined_note or "–",
            }
        rows.append(
            TodayRow(
                label=visit.group.name,
                url=reverse("admin:facilitators_followup_change", args=[visit.pk]),
                detail=detail,
                late=visit.due_on < today,
            )
        )
    return TodayRows(count=len(pending), rows=rows)
