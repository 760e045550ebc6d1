"""Writing messages to the outbox.

Every message the portal sends is first a row in OutboundMessage, written in
the transaction that causes it. Sending happens after commit (see tasks).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import OutboundMessage


def queue_message(
    *, centre, channel, recipient, template, about, dedup_key, context=None, due_at=None
):
    """Write one message to the outbox unless `dedup_key` was written before.

    `template` names the message templates under templates/messages/;
    `context` holds only what the text needs (names of places and times, never
    why a person is in touch). Returns the message, new or existing.
    """
    message, created = OutboundMessage.objects.get_or_create(
        dedup_key=dedup_key,
        defaults={
            "centre": centre,
            "channel": channel,
            "recipient": str(recipient),
            "template": template,
            "context": context or {},
            "content_type": ContentType.objects.get_for_model(about),
            "object_id": about.pk,
            "due_at": due_at or timezone.now(),
        },
    )
    if created and message.due_at <= timezone.now():
        transaction.on_commit(lambda: _send_soon(message.pk))
    return message


def _send_soon(message_id):
    # Filled in by the messages issue: enqueue the send task for this row.
    pass
