from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Interest forms")

    def ready(self):
        # The receipt carries the person's withdrawal link, made only when it
        # is sent so that it never sits in the outbox.
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType

        from .retention import withdrawal_context

        MESSAGE_TYPES["intake_confirmation"] = MessageType(
            _("Confirmation of an interest form"), send_time_context=withdrawal_context
        )
