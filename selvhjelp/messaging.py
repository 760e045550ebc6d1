"""The outbox: writing messages, rendering them and sending each exactly once.

Every message the portal sends is first a row in OutboundMessage, written in
the transaction that causes it (`queue_message`, `queue_messages`). After
commit a `send_message` task is enqueued for a row that is due now; a sweep
every minute (`send_due_messages`) sends whatever is due and was not sent,
because the broker was down, a send failed and waits for its retry, or a
worker died. Due times live in the database, never in countdown tasks.

Sending claims the row first with one conditional UPDATE (pending -> sending),
so two workers, a task delivered twice and the sweep can all try the same row
and only one of them sends it. A claim older than MESSAGES_STALE_CLAIM_SECONDS
belongs to a worker that died mid-send and may be taken over.

Message text is rendered from templates/messages/ by `render_message` in the
recipient's language: the row keeps the language of the person it goes to
(`Intake.language`, the language their form was sent in) when it is queued;
facilitators and staff, who have none, get bokmål. The context holds
where/when/reference values only, never why a person is in touch: no health
details in any message.
"""

import contextlib
import hashlib
import logging
import re
import smtplib
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import sms
from .errors import RuleError
from .models import Centre, MessageOptOut, OutboundMessage

logger = logging.getLogger(__name__)


class MessageError(RuleError):
    """A rule about messages was broken; the text is shown to staff as is."""


# --- Message types ----------------------------------------------------------


@dataclass(frozen=True)
class MessageType:
    label: str
    # Optional messages (reminders) carry a link to stop them (`stop_url` in
    # the template); required ones (a receipt, a changed meeting) do not.
    optional: bool = False
    # function(message) -> dict of values made only when the message is sent
    # (a one-time link), so they never sit in the outbox.
    send_time_context: Callable[[OutboundMessage], dict] | None = None
    # function(messages) -> the ids of those still worth sending, asked just
    # before sending: a reminder for a meeting moved, cancelled or begun since
    # it was written is left out, and then cancelled instead of sent. Called
    # with a whole batch by the sweep, so it should cost a fixed number of
    # queries however many messages it gets.
    still_relevant: Callable[[list[OutboundMessage]], set[int]] | None = None


# Every `message_type` an OutboundMessage may name. Each has
# templates/messages/<name>.subject.txt and <name>.txt (email) and, when it
# can go by SMS, <name>.sms.txt. Other apps add their types in their
# AppConfig.ready(); a type missing here still sends, labelled by its name.
MESSAGE_TYPES = {
    "intake_confirmation": MessageType(gettext_lazy("Confirmation of an interest form")),
    "staff_digest": MessageType(gettext_lazy("Daily summary for staff")),
}


def message_type_label(name):
    kind = MESSAGE_TYPES.get(name)
    return kind.label if kind else name


# --- Writing to the outbox --------------------------------------------------


def queue_message(
    *,
    centre,
    channel,
    recipient,
    message_type,
    about,
    dedup_key,
    to=None,
    context=None,
    due_at=None,
    new=False,
):
    """Write one message to the outbox unless `dedup_key` was written before.

    `message_type` names the message templates under templates/messages/
    (a key of MESSAGE_TYPES); `to` is the person it goes to (an Intake, a
    Facilitator or a user; retention, erasure and exports find a person's
    messages by it, whatever their address is now), `about` what it is about;
    `context` holds only what the text needs (names of places and times, never
    why a person is in touch). Keys ending in `_at` hold ISO datetimes and
    keys ending in `_on` ISO dates; templates get them as datetimes and dates.
    Returns the message, new or existing. `new=True` says the key cannot
    exist yet (it names a row made in this transaction): one INSERT, no look-up.
    """
    values = _row_values(
        centre=centre,
        channel=channel,
        recipient=recipient,
        message_type=message_type,
        about=about,
        to=to,
        context=context,
        due_at=due_at,
    )
    if new:
        message, created = OutboundMessage.objects.create(dedup_key=dedup_key, **values), True
    else:
        message, created = OutboundMessage.objects.get_or_create(
            dedup_key=dedup_key, defaults=values
        )
    if created and message.due_at <= timezone.now():
        transaction.on_commit(partial(_send_soon, message.pk))
    return message


def queue_messages(messages):
    """Write many messages at once; those whose `dedup_key` exists are skipped.

    For jobs that write hundreds of reminders: a fixed number of queries per
    thousand rows. Each item is a dict of `queue_message`'s arguments. The
    sweep sends them; one sweep is enqueued after commit when any are due.
    Returns the number of messages written.
    """
    rows = {item["dedup_key"]: item for item in messages}
    keys = list(rows)
    written = 0
    any_due = False
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        existing = set(
            OutboundMessage.objects.filter(dedup_key__in=chunk).values_list("dedup_key", flat=True)
        )
        new = [OutboundMessage(**_row_values(**rows[key])) for key in chunk if key not in existing]
        # ignore_conflicts: a row written meanwhile by someone else is no error.
        OutboundMessage.objects.bulk_create(new, ignore_conflicts=True)
        written += len(new)
        any_due = any_due or any(row.due_at <= timezone.now() for row in new)
    if any_due:
        transaction.on_commit(_sweep_soon)
    return written


def _row_values(
    *,
    centre,
    channel,
    recipient,
    message_type,
    about,
    to=None,
    dedup_key=None,
    context=None,
    due_at=None,
):
    values = {
        "centre": centre,
        "channel": channel,
        "recipient": str(recipient),
        "message_type": message_type,
        "context": context or {},
        "content_type": ContentType.objects.get_for_model(about),
        "object_id": about.pk,
        "due_at": due_at or timezone.now(),
    }
    if to is not None:
        values["person_type"] = ContentType.objects.get_for_model(to)
        values["person_id"] = to.pk
        values["language"] = recipient_language(to)
    if dedup_key is not None:
        values["dedup_key"] = dedup_key
    return values


def _send_soon(message_id):
    """Enqueue the send task; if the broker is down, the sweep sends it later.

    Runs after commit, usually inside a web request: it must neither fail nor
    hang (the broker timeouts in settings make enqueueing give up in seconds).
    """
    from .tasks import send_message

    try:
        send_message.delay(message_id)
    except Exception as error:  # a broker error must not fail the request
        logger.warning(
            "Could not enqueue message %s (%s); the sweep will send it",
            message_id,
            _describe(error),
        )


def _sweep_soon():
    from .tasks import run_job

    try:
        run_job.delay("send_due_messages")
    except Exception as error:
        logger.warning("Could not enqueue a sweep (%s); beat will run one", _describe(error))


def _describe(error):
    # Broker and connection errors say what went wrong without personal data;
    # other exceptions might quote a value, so only their type is logged.
    if isinstance(error, OSError) or type(error).__module__.startswith(("kombu", "redis", "amqp")):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


# --- Rendering ----------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMessage:
    subject: str  # empty for SMS
    body: str


def recipient_language(person):
    """The language to write to `person` in: theirs if they have one, else bokmål."""
    language = getattr(person, "language", "")
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_message(message, *, preview=False):
    """The subject and text of `message`, in the recipient's language, as they get it.

    A `preview` (for staff in the admin) leaves out the values made at send
    time, such as one-time links: they are for the recipient's eyes only.
    """
    name = f"messages/{message.message_type}"
    with (
        translation.override(recipient_language(message)),
        timezone.override(settings.TIME_ZONE),
    ):
        context = _template_context(message, preview=preview)
        if message.channel == OutboundMessage.Channel.SMS:
            return RenderedMessage(subject="", body=_tidy(_render(f"{name}.sms.txt", context)))
        subject = " ".join(_render(f"{name}.subject.txt", context).split())
        return RenderedMessage(subject=subject, body=_tidy(_render(f"{name}.txt", context)) + "\n")


def _template_context(message, *, preview=False):
    context = {}
    for key, value in message.context.items():
        if isinstance(value, str) and key.endswith("_at"):
            value = parse_datetime(value) or value
        elif isinstance(value, str) and key.endswith("_on"):
            value = parse_date(value) or value
        context[key] = value
    context["site_url"] = settings.SITE_URL
    kind = MESSAGE_TYPES.get(message.message_type)
    if kind and not preview:
        if kind.optional:
            context["stop_url"] = stop_url(message)
        if kind.send_time_context:
            context.update(kind.send_time_context(message))
    return context


def _render(template_name, context):
    # Plain text: the template engine's HTML escaping would turn "&" into "&amp;".
    return get_template(template_name).template.render(Context(context, autoescape=False))


def _tidy(text):
    """Trim each line and keep at most one empty line between paragraphs."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# --- Stopping optional messages ----------------------------------------------

STOP_SALT = "selvhjelp.messaging.stop"


def stop_token(message):
    """A signed token naming what `message` is about and its type (no personal data)."""
    return signing.dumps(
        {"ct": message.content_type_id, "id": message.object_id, "t": message.message_type},
        salt=STOP_SALT,
    )


def read_stop_token(token):
    """(ContentType, object id, message type) from a stop token; raises signing.BadSignature."""
    data = signing.loads(token, salt=STOP_SALT)
    return ContentType.objects.get_for_id(data["ct"]), data["id"], data["t"]


def stop_url(message):
    """The link in an optional message that stops such messages.

    The view behind the URL name `stop-messages` (taking `token`) shows what
    would stop (`read_stop_request`) and stops it on POST (`stop_messages`).
    """
    return settings.SITE_URL + reverse("stop-messages", kwargs={"token": stop_token(message)})


@dataclass(frozen=True)
class StopRequest:
    """What a stop link stops: one optional message type about one object."""

    content_type: ContentType
    object_id: int
    message_type: str

    @property
    def label(self):
        return MESSAGE_TYPES[self.message_type].label

    @property
    def opt_outs(self):
        return MessageOptOut.objects.filter(
            content_type=self.content_type,
            object_id=self.object_id,
            message_type=self.message_type,
        )

    @property
    def stopped(self):
        return self.opt_outs.exists()


def read_stop_request(token):
    """The StopRequest a stop link names; MessageError for a link that is not ours.

    Tampered, truncated or forged tokens, and tokens naming a message type
    that cannot be stopped, are refused the same way.
    """
    try:
        content_type, object_id, message_type = read_stop_token(token)
    except (signing.BadSignature, ContentType.DoesNotExist, KeyError, TypeError, ValueError):
        raise MessageError(_("This link does not work.")) from None
    kind = MESSAGE_TYPES.get(message_type)
    if kind is None or not kind.optional or not isinstance(object_id, int):
        raise MessageError(_("This link does not work."))
    return StopRequest(content_type=content_type, object_id=object_id, message_type=message_type)


@transaction.atomic
def stop_messages(*, token):
    """Record that the recipient of a stop link wants no more such messages.

    Safe to repeat: a second stop changes nothing. Messages of the type about
    the object that are already written but not sent are not sent either
    (send_message checks before each send). Raises MessageError for a link
    that is not ours. Returns (the StopRequest, whether it was stopped now).
    """
    request = read_stop_request(token)
    sent_by = (
        OutboundMessage.objects.filter(
            content_type=request.content_type,
            object_id=request.object_id,
            message_type=request.message_type,
        )
        .order_by("-created_at")
        .values_list("centre_id", flat=True)
        .first()
    )
    _opt_out, created = MessageOptOut.objects.get_or_create(
        content_type=request.content_type,
        object_id=request.object_id,
        message_type=request.message_type,
        defaults={"centre_id": sent_by},
    )
    if created:
        logger.info(
            "Optional messages %s about %s %s stopped by their recipient",
            request.message_type,
            request.content_type.model,
            request.object_id,
        )
    return request, created


@transaction.atomic
def resume_messages(*, opt_outs, actor):
    """Undo stops: the reminders are written again from their next due time on.

    For staff, when someone who stopped reminders changes their mind.
    `opt_outs` is a queryset of MessageOptOut. Returns the number undone.
    """
    if (
        not actor.is_superuser
        and opt_outs.exclude(centre__in=Centre.objects.for_user(actor)).exists()
    ):
        raise PermissionDenied
    count, _deleted = MessageOptOut.objects.filter(pk__in=opt_outs.values("pk")).delete()
    if not count:
        raise MessageError(_("None of the chosen reminders was stopped."))
    logger.info("User %s started %d stopped kinds of reminders again", actor.pk, count)
    return count


def opted_out_ids(model, message_type, ids):
    """The ids among `ids` of `model` objects whose `message_type` messages were stopped.

    One query.
    """
    return set(
        MessageOptOut.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            message_type=message_type,
            object_id__in=list(ids),
        ).values_list("object_id", flat=True)
    )


STOPPED = "Not sent: the recipient stopped these messages."
NO_LONGER_RELEVANT = "Not sent: what it is about was changed or has passed."


def reasons_not_to_send(messages):
    """{message id: why it must not go out} for those of `messages` not to send after all.

    An optional message whose recipient stopped such messages, or one its
    type no longer finds relevant (MessageType.still_relevant). One query
    for the stops and the relevance checks' own, however many messages.
    """
    reasons = {}
    wanted = defaultdict(set)  # (content type, message type) -> object ids
    for message in messages:
        kind = MESSAGE_TYPES.get(message.message_type)
        if kind and kind.optional and message.object_id is not None:
            wanted[message.content_type_id, message.message_type].add(message.object_id)
    if wanted:
        condition = Q()
        for (content_type_id, message_type), object_ids in wanted.items():
            condition |= Q(
                content_type_id=content_type_id, message_type=message_type, object_id__in=object_ids
            )
        stopped = set(
            MessageOptOut.objects.filter(condition).values_list(
                "content_type_id", "message_type", "object_id"
            )
        )
        for message in messages:
            if (message.content_type_id, message.message_type, message.object_id) in stopped:
                reasons[message.pk] = STOPPED
    by_type = defaultdict(list)
    for message in messages:
        if message.pk not in reasons:
            by_type[message.message_type].append(message)
    for name, batch in by_type.items():
        kind = MESSAGE_TYPES.get(name)
        if kind and kind.still_relevant:
            relevant = kind.still_relevant(batch)
            reasons.update(
                (message.pk, NO_LONGER_RELEVANT) for message in batch if message.pk not in relevant
            )
    return reasons


# --- Sending ------------------------------------------------------------------

# Errors after which trying again cannot help: the message is marked failed at once.
PERMANENT_ERRORS = (sms.PermanentSmsError, smtplib.SMTPRecipientsRefused)


def delivery_reference(message):
    """A name for this outbox row that stays the same however often it is sent.

    The row's id and a digest of its de-duplication key: a row written anew
    after a restore (which can reuse an id) gets another reference. Holds no
    personal data. The SMS gateway gets it as its reference (idempotency) key.
    """
    digest = hashlib.sha256(message.dedup_key.encode()).hexdigest()[:16]
    return f"selvhjelp-{message.pk}-{digest}"


def message_id(message):
    """The email's Message-ID: the same for every try of one outbox row.

    A send repeated after a worker died mid-send is then recognisably the
    same email (mail servers and clients may drop the second copy). The
    domain is MESSAGE_ID_DOMAIN, else that of DEFAULT_FROM_EMAIL.
    """
    domain = settings.MESSAGE_ID_DOMAIN
    if not domain:
        found = re.search(r"@([^>\s]+)", settings.DEFAULT_FROM_EMAIL)
        domain = found.group(1) if found else "selvhjelp.local"
    return f"<{delivery_reference(message)}@{domain}>"


def deliver(message):
    """Render `message` and hand it to the email or SMS backend (no bookkeeping)."""
    rendered = render_message(message)
    if message.channel == OutboundMessage.Channel.SMS:
        reference = delivery_reference(message)
        sms.send_sms(to=message.recipient, text=rendered.body, reference=reference)
        return
    EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        to=[message.recipient],
        reply_to=[message.centre.email] if message.centre.email else None,
        headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id(message)},
    ).send()


def _claimable(now):
    stale = now - timedelta(seconds=settings.MESSAGES_STALE_CLAIM_SECONDS)
    return OutboundMessage.objects.filter(
        Q(status=OutboundMessage.Status.PENDING, due_at__lte=now)
        | Q(status=OutboundMessage.Status.SENDING, claimed_at__lt=stale),
        attempts__lt=settings.MESSAGES_MAX_ATTEMPTS,
    )


def send_message(*, message_id, checked=None):
    """Send one outbox row if it is due and nobody else holds it.

    Claims the row with a conditional UPDATE: on PostgreSQL a second claimer
    waits for the first and then finds the row no longer pending, so the
    message goes out once however many workers try. A failure puts the row
    back with a later due time (exponential backoff) until
    MESSAGES_MAX_ATTEMPTS, then marks it failed. An optional message whose
    recipient stopped such messages, or one that is no longer relevant
    (MessageType.still_relevant), is cancelled instead of sent. Returns the
    new status, or None when there was nothing to send.

    The sweep passes the row as `checked`: loaded with its centre and checked
    (reasons_not_to_send) with its batch a moment ago. It is then claimed only
    if no one has tried it since (same `attempts`), and not read again.
    """
    if checked is None and restore_guard():
        return None
    claimed_at = timezone.now()
    claim = _claimable(claimed_at).filter(pk=message_id)
    if checked is not None:
        claim = claim.filter(attempts=checked.attempts)
    claimed = claim.update(
        status=OutboundMessage.Status.SENDING,
        claimed_at=claimed_at,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    if checked is not None:
        message, reason = checked, ""
        message.status, message.claimed_at = OutboundMessage.Status.SENDING, claimed_at
        message.attempts += 1
    else:
        message = OutboundMessage.objects.select_related("centre").get(pk=message_id)
        reason = reasons_not_to_send([message]).get(message.pk)
    if reason:
        _finish(message, claimed_at, status=OutboundMessage.Status.CANCELLED, last_error=reason)
        logger.info("Message %s (%s): %s", message.pk, message.message_type, reason)
        return OutboundMessage.Status.CANCELLED
    try:
        deliver(message)
    except Exception as error:  # every failure is recorded on the row, then retried
        return _record_failure(message, error, claimed_at)
    _finish(message, claimed_at, status=OutboundMessage.Status.SENT, sent_at=timezone.now())
    logger.info("Sent message %s (%s, %s)", message.pk, message.message_type, message.channel)
    return OutboundMessage.Status.SENT


def retry_delay(attempts):
    """How long to wait after the `attempts`-th failed try: 1, 2, 4... minutes, at most 4 h."""
    seconds = settings.MESSAGES_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 4 * 60 * 60))


def _record_failure(message, error, claimed_at):
    error_text = f"{type(error).__name__}: {error}"[:1000]
    if isinstance(error, PERMANENT_ERRORS) or message.attempts >= settings.MESSAGES_MAX_ATTEMPTS:
        status = OutboundMessage.Status.FAILED
        _finish(message, claimed_at, status=status, last_error=error_text)
    else:
        status = OutboundMessage.Status.PENDING
        _finish(
            message,
            claimed_at,
            status=status,
            last_error=error_text,
            due_at=timezone.now() + retry_delay(message.attempts),
        )
    logger.warning(
        "Message %s (%s, %s) failed on attempt %d (%s); now %s",
        message.pk,
        message.message_type,
        message.channel,
        message.attempts,
        type(error).__name__,
        status,
    )
    return status


def _finish(message, claimed_at, **values):
    """Record the outcome of a send, also across a dropped database connection.

    Only the holder of the claim may finish the row: a worker whose stale
    claim was taken over must not overwrite the newer outcome. When the
    connection drops (PostgreSQL restarted, the connection was terminated)
    the worker reconnects and tries again, with growing pauses, for up to
    MESSAGES_FINISH_RETRY_SECONDS: a message that went out stays "sending"
    only if the worker process itself dies, and then goes out again with the
    same Message-ID or SMS reference (`delivery_reference`).
    """
    update = partial(
        OutboundMessage.objects.filter(
            pk=message.pk, status=OutboundMessage.Status.SENDING, claimed_at=claimed_at
        ).update,
        claimed_at=None,
        **values,
    )
    retry_database(update, what=f"finishing message {message.pk}")


# Errors of the connection itself (the server went away, the connection was
# cut); others (a constraint, a bad query) would fail again the same way.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def retry_database(work, *, what, give_up_after=None):
    """Run `work()`; when the database connection drops, reconnect and run it again.

    Pauses 0.5, 1, 2... seconds (at most 10) between tries, for up to
    `give_up_after` seconds (MESSAGES_FINISH_RETRY_SECONDS), then raises.
    Only outside a transaction: inside one, what was done before the drop is
    lost and retrying this step alone would be wrong, so the error is raised.
    """
    limit = settings.MESSAGES_FINISH_RETRY_SECONDS if give_up_after is None else give_up_after
    deadline = time.monotonic() + limit
    pause = 0.5
    while True:
        try:
            return work()
        except CONNECTION_ERRORS as error:
            if connection.in_atomic_block or time.monotonic() + pause > deadline:
                raise
            logger.warning(
                "Database connection lost while %s (%s); reconnecting in %.1f s",
                what,
                type(error).__name__,
                pause,
            )
            _drop_connection()
            time.sleep(pause)
            pause = min(pause * 2, 10)


def _drop_connection():
    # The next query opens a new connection.
    with contextlib.suppress(DatabaseError):
        connection.close()


def _cancel(message_id, reason):
    """Cancel a message that must not go out, if it is still there to take (as a claim is)."""
    cancelled = (
        _claimable(timezone.now())
        .filter(pk=message_id)
        .update(status=OutboundMessage.Status.CANCELLED, claimed_at=None, last_error=reason)
    )
    if cancelled:
        logger.info("Message %s: %s", message_id, reason)
        return OutboundMessage.Status.CANCELLED
    return None


def send_due_messages(*, batch_size=100, time_budget=None):
    """Send every due message, batch by batch; returns counts by outcome.

    Stops when nothing is due or after `time_budget` seconds (so one beat
    run ends before the next starts). Each batch is first checked as a whole
    for messages not to send after all (reasons_not_to_send), which are
    cancelled. Claims that went stale on their last attempt are marked
    failed: whether that send went out is unknown.
    """
    started = time.monotonic()
    restored = restore_guard()
    now = timezone.now()
    abandoned = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MESSAGES_STALE_CLAIM_SECONDS),
        attempts__gte=settings.MESSAGES_MAX_ATTEMPTS,
    ).update(
        status=OutboundMessage.Status.FAILED,
        claimed_at=None,
        last_error="The worker stopped while sending; the message may not have gone out.",
    )
    outcomes = Counter({"abandoned": abandoned} if abandoned else {})
    if restored:
        outcomes["held_after_restore"] = restored
    while True:
        batch = list(
            _claimable(timezone.now()).select_related("centre").order_by("due_at")[:batch_size]
        )
        reasons = reasons_not_to_send(batch)
        for message in batch:
            if message.pk in reasons:
                outcome = _cancel(message.pk, reasons[message.pk])
            else:
                outcome = send_message(message_id=message.pk, checked=message)
            outcomes[outcome or "skipped"] += 1
        out_of_time = time_budget is not None and time.monotonic() - started > time_budget
        if len(batch) < batch_size or out_of_time:
            return dict(outcomes)


# --- Staff actions ------------------------------------------------------------


def _ensure_may_handle(actor, messages):
    """Second wall behind the admin's scoping: staff act only on their centres."""
    if actor.is_superuser:
        return
    if messages.exclude(centre__in=Centre.objects.for_user(actor)).exists():
        raise PermissionDenied


# What staff may send again: failed messages, and those held after a restore.
SENDABLE_AGAIN = (OutboundMessage.Status.FAILED, OutboundMessage.Status.HELD)


@transaction.atomic
def resend_messages(*, messages, actor):
    """Send failed or held messages again from the start, right after commit.

    `messages` is a queryset; rows neither failed nor held are left alone.
    Raises MessageError when there is none of those. Returns the number put back.
    """
    _ensure_may_handle(actor, messages)
    chosen = OutboundMessage.objects.filter(pk__in=messages.values("pk"), status__in=SENDABLE_AGAIN)
    ids = list(chosen.values_list("pk", flat=True))
    # Conditional on the status: a row changed meanwhile is left alone.
    count = OutboundMessage.objects.filter(pk__in=ids, status__in=SENDABLE_AGAIN).update(
        status=OutboundMessage.Status.PENDING,
        attempts=0,
        due_at=timezone.now(),
        claimed_at=None,
        last_error="",
    )
    if not count:
        raise MessageError(
            _("None of the chosen messages has failed or is held, so none was sent again.")
        )
    for message_id in ids:
        transaction.on_commit(partial(_send_soon, message_id))
    logger.info("User %s put %d failed or held messages back in the queue", actor.pk, count)
    return count


@transaction.atomic
def cancel_messages(*, messages, actor):
    """Stop failed, waiting or held messages from being sent; returns the number cancelled.

    Raises MessageError when none of them was failed, waiting or held.
    """
    _ensure_may_handle(actor, messages)
    cancelled = OutboundMessage.objects.filter(
        pk__in=messages.values("pk"),
        status__in=[
            OutboundMessage.Status.PENDING,
            OutboundMessage.Status.FAILED,
            OutboundMessage.Status.HELD,
        ],
    ).update(status=OutboundMessage.Status.CANCELLED, claimed_at=None)
    if not cancelled:
        raise MessageError(_("Only messages that failed or wait to be sent can be cancelled."))
    logger.info("User %s cancelled %d messages", actor.pk, cancelled)
    return cancelled


# --- After a restore ------------------------------------------------------------

HELD_AFTER_RESTORE = (
    "Held after a restore on %s: it was due or being sent when the backup was "
    "taken and may have gone out already. Send it again or do not send it."
)


@transaction.atomic
def hold_after_restore(*, now=None):
    """Hold every message that may have gone out since the backup was taken.

    Run right after restoring a backup, before any worker starts (the
    `after_restore` command). A row that was waiting and is due by now, or
    was being sent, may have been sent by the live system after the backup
    was taken, and the restore has forgotten that; such rows become "held"
    and nothing sends them until staff choose, in the admin, to send them
    again or not at all (`resend_messages`, `cancel_messages`). Rows due
    later were never sent and keep waiting. Safe to run twice. Returns
    {status it had: number held}.
    """
    now = now or timezone.now()
    _remember_sequence(_outbox_sequence())
    candidates = OutboundMessage.objects.select_for_update().filter(
        Q(status=OutboundMessage.Status.PENDING, due_at__lte=now)
        | Q(status=OutboundMessage.Status.SENDING)
    )
    counts = Counter(candidates.values_list("status", flat=True))
    note = HELD_AFTER_RESTORE % timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    held = candidates.update(status=OutboundMessage.Status.HELD, claimed_at=None, last_error=note)
    logger.warning("After a restore: %d messages held for staff to review", held)
    return dict(counts)


# A safety net for a restore done without `after_restore`: the outbox's id
# sequence only ever grows, except when a backup is restored (pg_dump keeps
# its value). Its highest value seen is kept outside the database, in the
# cache (Redis); finding the sequence below it, the sweep or a send task
# holds what `after_restore` would have held, before anything is sent.
SEQUENCE_KEY = "outbox:highest-id:{database}"


def _outbox_sequence():
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
            [OutboundMessage._meta.db_table],
        )
        return cursor.fetchone()[0]


def _sequence_key():
    return SEQUENCE_KEY.format(database=connection.settings_dict["NAME"])


def _remember_sequence(value):
    if value is None:
        return
    with contextlib.suppress(Exception):  # the cache (Redis) is down: nothing to compare
        cache.set(_sequence_key(), value, None)


def restore_guard():
    """Hold messages at once if the database was restored from a backup; the number held.

    One query and one cache read. With MESSAGES_RESTORE_GUARD off, on SQLite,
    or when the cache was emptied (Redis restarted without its data) it finds
    nothing: `after_restore`, in the runbook, is the rule; this is the net.
    """
    if not settings.MESSAGES_RESTORE_GUARD:
        return 0
    current = _outbox_sequence()
    if current is None:
        return 0
    try:
        highest = cache.get(_sequence_key())
    except Exception:
        return 0
    if highest is not None and current < highest:
        held = sum(hold_after_restore().values())
        logger.error(
            "The outbox's id sequence went back from %d to %d: a backup was restored "
            "without after_restore. %d messages are held for staff to review.",
            highest,
            current,
            held,
        )
        return held or 0
    if highest is None or current > highest:
        _remember_sequence(current)
    return 0
