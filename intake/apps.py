from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Interest forms")

    def ready(self):
        # The core (selvhjelp) knows the apps only through registries that the
        # apps fill here: message types, the digest's counts, the audit log.
        from selvhjelp import audit
        from selvhjelp.jobs import DIGEST_COUNTERS
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType

        from .models import ContactAttempt, Intake
        from .retention import withdrawal_context
        from .selectors import count_uncontacted_intakes

        # The receipt carries the person's withdrawal link, made only when it
        # is sent so that it never sits in the outbox.
        MESSAGE_TYPES["intake_confirmation"] = MessageType(
            _("Confirmation of an interest form"), send_time_context=withdrawal_context
        )
        DIGEST_COUNTERS["uncontacted_intakes"] = count_uncontacted_intakes
        # The themes a person chose are health data too, and only the person sets
        # them (staff cannot edit them): the log would only copy them. Times of
        # week are logged.
        audit.register(Intake, mask_fields=["about"], m2m_fields={"availability"})
        audit.register(ContactAttempt, mask_fields=["note"])
