"""The person's own status page ("Hvor står jeg?"), reached only by the link in their receipt.

The link names the form by its random link key (the one its withdrawal link
uses, never its id or reference), signed and dated; nobody can make one
without the secret key, and a wrong, cut or too old link answers 404.
The page shows the stage the form is at, what happens next and the centre's
contact details, never the themes or the free text. When a person is
anonymised the key is replaced, so their old links stop working.

Where a person stands in a group is the groups app's to tell: it adds a
function to PLACEMENT_LOOKUPS from its ready(), so this module does not
import it.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import holidays
from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Intake
from .retention import withdrawal_context

STATUS_SALT = "intake.status-page"

# Functions (intake) -> Placement or None, added by the apps that place people.
PLACEMENT_LOOKUPS = []


@dataclass(frozen=True)
class Placement:
    """The person's place in a group, as the status page shows it: when and where, no one else."""

    group_started: bool
    starts_on: object  # date of the first meeting, or of the next one once started
    time: str
    place: str
    digital: bool


@dataclass(frozen=True)
class Stage:
    key: str
    label: str


STAGES = [
    Stage("received", _("Received")),
    Stage("contacted", _("Contacted")),
    Stage("waiting", _("Waiting for a group")),
    Stage("placed", _("Place in a group")),
    Stage("started", _("The group has started")),
]
STAGE_OF_STATUS = {
    Intake.Status.NEW: "received",
    Intake.Status.CONTACTED: "contacted",
    Intake.Status.WAITING: "waiting",
    Intake.Status.PLACED: "placed",
}


def status_token(intake):
    """A signed, dated token naming only the form's random link key."""
    return signing.TimestampSigner(salt=STATUS_SALT).sign(str(intake.withdrawal_key))


def status_url(intake):
    return settings.SITE_URL + reverse("intake:status", kwargs={"token": status_token(intake)})


def intake_for_status(token, *, lock=False):
    """The form a status link names; Http404 for a wrong, expired or spent link.

    Closed, withdrawn and anonymised forms have no status page: there is
    nothing left to follow, and the withdrawal link says what became of them.
    """
    signer = signing.TimestampSigner(salt=STATUS_SALT)
    max_age = timedelta(days=settings.STATUS_LINK_MAX_AGE_DAYS)
    try:
        key = uuid.UUID(signer.unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):  # SignatureExpired included
        raise Http404 from None
    intakes = Intake.objects.select_related("centre").filter(
        withdrawal_key=key, anonymised_at__isnull=True, status__in=STAGE_OF_STATUS
    )
    if lock:
        intakes = intakes.select_for_update(of=("self",))
    intake = intakes.first()
    if intake is None:
        raise Http404
    return intake


def placement_of(intake):
    for lookup in PLACEMENT_LOOKUPS:
        placement = lookup(intake)
        if placement is not None:
            return placement
    return None


def stage_of(intake, placement):
    """The key of the stage the form is at."""
    if placement is not None:
        return "started" if placement.group_started else "placed"
    return STAGE_OF_STATUS[intake.status]


def steps(current):
    """Every stage in order, each marked done, current or to come."""
    keys = [stage.key for stage in STAGES]
    position = keys.index(current)
    return [
        {
            "label": stage.label,
            "state": "done" if index < position else "current" if index == position else "todo",
        }
        for index, stage in enumerate(STAGES)
    ]


def receipt_links(message):
    """Send-time values of the receipt: the person's status and withdrawal links."""
    context = withdrawal_context(message)
    if context:
        intake = Intake.objects.filter(pk=message.object_id, anonymised_at__isnull=True).first()
        if intake is not None:
            context["status_url"] = status_url(intake)
    return context


def contact_by_date(intake):
    """The last day the centre has promised to get in touch by: its working days after the form.

    Working days leave out weekends and Norwegian public holidays, as the reports count them.
    """
    day = timezone.localtime(intake.created_at).date()
    closed = holidays.Norway(years=[day.year, day.year + 1])
    left = intake.centre.usual_response_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            left -= 1
    return day
