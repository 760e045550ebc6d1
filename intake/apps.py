from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Interest forms")

    def ready(self):
        # The core (selvhjelp) knows the apps only through registries that the
        # apps fill here: message types, the digest's counts, the start page's
        # sections, the audit log.
        from selvhjelp import audit
        from selvhjelp.jobs import DIGEST_COUNTERS
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType
        from selvhjelp.today import TODAY_SECTIONS, TodaySection

        from . import selectors
        from .models import ContactAttempt, Intake
        from .status import receipt_links

        # The receipt carries the person's status and withdrawal links, made
        # only when it is sent so that they never sit in the outbox.
        MESSAGE_TYPES["intake_confirmation"] = MessageType(
            _("Confirmation of an interest form"), send_time_context=receipt_links
        )
        DIGEST_COUNTERS["uncontacted_intakes"] = selectors.count_uncontacted_intakes
        DIGEST_COUNTERS["idle_intakes"] = selectors.count_idle_intakes
        DIGEST_COUNTERS["pending_erasures"] = selectors.count_pending_erasures
        TODAY_SECTIONS.extend(
            [
                TodaySection(
                    key="new-forms",
                    title=_("New interest forms nobody has contacted"),
                    order=10,
                    load=selectors.new_forms_section,
                    empty=_("Everyone who sent a form has been contacted."),
                ),
                TodaySection(
                    key="ready",
                    title=_("People ready for a group"),
                    order=20,
                    load=selectors.ready_section,
                    empty=_("Nobody is waiting for a group."),
                    template="admin/today/ready.html",
                ),
                TodaySection(
                    key="withdrawals",
                    title=_("Withdrawn since your last visit"),
                    order=90,
                    load=selectors.withdrawals_section,
                    empty=_("Nobody has withdrawn since your last visit."),
                ),
                TodaySection(
                    key="erasure-requests",
                    title=_("Erasure asked for by a colleague: confirm it"),
                    order=15,
                    load=selectors.pending_erasures_section,
                    empty=_("No request to erase a person waits for confirmation."),
                ),
                TodaySection(
                    key="idle-forms",
                    title=_("Interest forms with no activity, to be closed"),
                    order=80,
                    load=selectors.idle_intakes_section,
                    empty=_("No interest form has gone without activity for a long time."),
                ),
            ]
        )
        # The themes a person chose are health data too, and only the person sets
        # them (staff cannot edit them): the log would only copy them. Times of
        # week are logged.
        audit.register(Intake, mask_fields=["about"], m2m_fields={"availability"})
        audit.register(ContactAttempt, mask_fields=["note"])

        # The form's themes and times are kept in the cache (intake.choices).
        from django.db.models.signals import post_delete, post_save

        # So are the rendered forms that show them (selvhjelp.pagecache).
        from selvhjelp.pagecache import forget_public_pages

        from . import choices
        from .models import Slot, Theme

        for model in (Theme, Slot):
            for receiver in (choices.forget, forget_public_pages):
                uid = f"{receiver.__module__}.{receiver.__name__}-{model.__name__}"
                post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-saved")
                post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-gone")
