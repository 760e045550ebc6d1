"""Sending SMS through a backend chosen by the SMS_BACKEND setting.

Django has email backends but nothing for SMS, and the Norwegian gateways
(Link Mobility, Sveve, Target365...) ship no maintained Python client we
could depend on; this small interface mirrors Django's email backends so the
gateway is a setting, not code. Backends never log the text of an SMS.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Messages a test backend "sent", like django.core.mail.outbox.
outbox = []


class SmsError(Exception):
    """The SMS was not accepted; trying again later may work."""


class PermanentSmsError(SmsError):
    """The gateway refused this SMS for good (bad number, bad request): do not retry."""


def mask(number):
    """A phone number with all but its last three digits hidden, for logs."""
    number = str(number)
    return "*" * max(len(number) - 3, 0) + number[-3:]


class BaseSmsBackend:
    def send(self, *, to, text, reference=None):
        """Send `text` to the number `to` (E.164). Raise SmsError when it was not accepted.

        `reference` names the outbox row and is the same on every try of it:
        a gateway with an idempotency or reference key gets it there, so a
        repeated send is recognised as the same SMS.
        """
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Logs that an SMS would be sent: masked number and length, never the text."""

    def send(self, *, to, text, reference=None):
        logger.info("SMS to %s, %d characters (console backend: not sent)", mask(to), len(text))


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps sent SMS in `selvhjelp.sms.outbox`, for tests."""

    def send(self, *, to, text, reference=None):
        outbox.append({"to": str(to), "text": text, "reference": reference})


class HttpSmsBackend(BaseSmsBackend):
    """Posts each SMS as JSON to an HTTP gateway.

    Body: {"sender": SMS_SENDER, "recipient": "+47...", "text": "...",
    "reference": "selvhjelp-<row>-<digest>"} with `Authorization: Bearer
    SMS_HTTP_TOKEN` and the reference also as `Idempotency-Key`, so a gateway
    that honours either accepts a repeated send of one outbox row once. Any
    2xx answer counts as accepted. A gateway that wants other field names
    gets a subclass overriding `payload()`, named in SMS_BACKEND.
    """

    def __init__(self, url=None, token=None, sender=None, timeout=None):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token or settings.SMS_HTTP_TOKEN
        self.sender = sender or settings.SMS_SENDER
        self.timeout = timeout or settings.SMS_HTTP_TIMEOUT
        if not self.url:
            raise SmsError("SMS_HTTP_URL is not set")

    def payload(self, *, to, text, reference=None):
        payload = {"sender": self.sender, "recipient": str(to), "text": text}
        if reference:
            payload["reference"] = reference
        return payload

    def send(self, *, to, text, reference=None):
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        if reference:
            headers["Idempotency-Key"] = reference
        request = urllib.request.Request(  # noqa: S310 - the URL is our own setting
            self.url,
            data=json.dumps(self.payload(to=to, text=text, reference=reference)).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"SMS gateway unreachable: {error}") from error
        if 200 <= status < 300:
            logger.info("SMS to %s accepted by the gateway (HTTP %d)", mask(to), status)
            return
        # 408 and 429 mean "later"; other 4xx mean this request will never work.
        if 400 <= status < 500 and status not in (408, 429):
            raise PermanentSmsError(f"SMS gateway refused the message: HTTP {status}")
        raise SmsError(f"SMS gateway answered HTTP {status}")


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to, text, reference=None):
    """Send one SMS through the configured backend (`reference`: see BaseSmsBackend.send)."""
    get_backend().send(to=to, text=text, reference=reference)
