"""Every de-duplication key of the outbox, built in one place.

A key names one message once: writing the same key twice writes nothing
(OutboundMessage.dedup_key is unique). A change that must reach people again
(a meeting moved twice) carries the object's `revision`, so it is a new key.
The keys hold ids and dates only, never names or addresses, and nothing
reads them back: who a message went to is `OutboundMessage.person`.

The functions take model instances (anything with `pk`) or ids; they never
import the apps' models, so the core stays below the apps.
"""

import uuid


def _id(value):
    return getattr(value, "pk", value)


# --- Interest forms ------------------------------------------------------------


def intake_confirmation(intake):
    """The receipt of an interest form: once per form."""
    return f"intake-confirmation:{_id(intake)}"


# --- Groups: to each member ----------------------------------------------------


def group_welcome(membership):
    """ "You have a place": once per membership."""
    return f"group-welcome:{_id(membership)}"


def member_first_meeting_reminder(meeting, membership):
    """A member's reminder of their first meeting, per revision of the meeting."""
    return f"meeting-reminder:{_id(meeting)}:{meeting.revision}:member:{_id(membership)}"


def commitment_end(membership):
    """The 12 weeks are complete: once per membership."""
    return f"commitment-end:{_id(membership)}"


def group_cancelled(group):
    """A planned group will not start (one message per member; see to_member)."""
    return f"group-cancelled:{_id(group)}"


def place_changed(group, version):
    """The group meets elsewhere from now; `version` tells one change from the next."""
    return f"group-place-changed:{_id(group)}:{version}"


def meeting_cancelled(meeting):
    """A meeting is cancelled, per revision of the meeting."""
    return f"group-meeting-cancelled:{_id(meeting)}:{meeting.revision}"


def meeting_moved(meeting):
    """A meeting is moved, per revision of the meeting."""
    return f"group-meeting-moved:{_id(meeting)}:{meeting.revision}"


def rhythm_changed(change):
    """The group meets every week or every other week from a date: once per change."""
    return f"group-rhythm:{_id(change)}"


def member_absence(absence, recipient):
    """A member cannot come (or comes after all): per revision of the notice, per recipient.

    `recipient` is ("member", membership) or ("facilitator", assignment).
    """
    kind, whom = recipient
    return f"member-absence:{_id(absence)}:{absence.revision}:{kind}:{_id(whom)}"


def member_left(membership, recipient):
    """A member has left through their link: once per membership and recipient."""
    kind, whom = recipient
    return f"member-left:{_id(membership)}:{kind}:{_id(whom)}"


def member_meeting_reminder(meeting, membership):
    """A member's reminder of a meeting (after their first), per revision of the meeting."""
    return f"meeting-reminder:{_id(meeting)}:{meeting.revision}:every:{_id(membership)}"


def visit_requested(follow_up, recipient):
    """A group asks for a visit: once per request and recipient ("facilitator"/"staff", id)."""
    kind, whom = recipient
    return f"visit-requested:{_id(follow_up)}:{kind}:{_id(whom)}"


def visit_planned(follow_up):
    """Who visits the group and when (one message per member; see to_member)."""
    return f"visit-planned:{_id(follow_up)}"


def visit_declined(decline, user):
    """A facilitator cannot visit: once per decline and staff member."""
    return f"visit-declined:{_id(decline)}:{_id(user)}"


def to_member(key, membership):
    """A message to every member (one of the keys above) made one member's own."""
    return f"{key}:{_id(membership)}"


# --- Facilitators ----------------------------------------------------------------


def password_link(facilitator, purpose):
    """An invitation or a reset link: every request is a new message."""
    return f"password-link:{_id(facilitator)}:{purpose}:{uuid.uuid4()}"


def facilitator_meeting_reminder(meeting, assignment):
    """A facilitator's reminder of a meeting they attend, per revision of the meeting."""
    return f"meeting-reminder:{_id(meeting)}:{meeting.revision}:facilitator:{_id(assignment)}"


def facilitator_follow_up_reminder(follow_up, assignment):
    """A facilitator's reminder of a follow-up, per revision (due date) of the follow-up."""
    return f"follow-up-reminder:{_id(follow_up)}:{follow_up.revision}:facilitator:{_id(assignment)}"


# --- Staff ----------------------------------------------------------------------


def staff_digest(centre, day, user):
    """The morning digest: once per centre, day and staff member."""
    return f"staff-digest:{_id(centre)}:{day.isoformat()}:{_id(user)}"
