"""Values for facilitator messages that are made only when the message is sent.

The password link holds a token that lets whoever has it choose the
password. The outbox row keeps only the user id; the link is made here, at
send time (MessageType.send_time_context), so staff reading the outbox, or a
copy of the database, never see a working link.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def password_link_context(message):
    """{"link": a working link to choose a password} for the message's user, or no link."""
    user = get_user_model().objects.filter(pk=message.context.get("user_id")).first()
    if user is None or not user.is_active:
        return {"link": ""}
    path = reverse(
        "facilitators:password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    days = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
    return {"link": settings.SITE_URL + path, "valid_days": days}
