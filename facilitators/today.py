"""The facilitators' section of the staff's start page (selvhjelp.today): visits asked for."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from selvhjelp.today import TodayRow, TodayRows

from .visits import pending_visits

SECTION_ROWS = 10


def visit_requests_section(centres, today, since):
    """Visits groups asked for that no facilitator has taken yet, with any declines' notes.

    Late when the answer is past due. Three queries.
    """
    pending = pending_visits(centres)
    rows = []
    for visit in pending.prefetch_related("declines__facilitator__user")[:SECTION_ROWS]:
        asked = timezone.localdate(visit.asked_at) if visit.asked_at else visit.created_at.date()
        detail = _("Asked for on %(date)s.") % {"date": formats.date_format(asked)}
        declines = [
            _("%(who)s cannot come: %(note)s")
            % {"who": decline.facilitator, "note": decline.note or "–"}
            for decline in visit.declines.all()
        ]
        rows.append(
            TodayRow(
                label=visit.group.name,
                url=reverse("admin:facilitators_followup_change", args=[visit.pk]),
                detail=" ".join([detail, *declines]),
                late=visit.due_on < today,
            )
        )
    return TodayRows(count=pending.count(), rows=rows)
