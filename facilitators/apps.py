from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitatorsConfig(AppConfig):
    name = "facilitators"
    verbose_name = _("Facilitators")

    def ready(self):
        # The outbox knows its message types from one registry; the
        # facilitators' messages are added here, next to their templates' owner.
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType

        from .messages import password_link_context
        from .reminders import follow_up_reminders_still_relevant, meeting_reminders_still_relevant

        MESSAGE_TYPES.update(
            {
                "facilitator_password_link": MessageType(
                    _("Link for a facilitator to choose a password"),
                    send_time_context=password_link_context,
                ),
                "facilitator_meeting_reminder": MessageType(
                    _("Reminder before a meeting you attend as facilitator"),
                    optional=True,
                    still_relevant=meeting_reminders_still_relevant,
                ),
                "facilitator_follow_up_reminder": MessageType(
                    _("Reminder before a follow-up of a group you started"),
                    optional=True,
                    still_relevant=follow_up_reminders_still_relevant,
                ),
            }
        )
