from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Self-help groups")

    def ready(self):
        # The outbox knows its message types from one registry; the group
        # messages are added to it here, next to their templates' owner.
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType

        from .reminders import first_meeting_reminders_still_relevant

        MESSAGE_TYPES.update(
            {
                "group_welcome": MessageType(_("Welcome to a group")),
                "group_first_meeting_reminder": MessageType(
                    _("Reminder before your first meeting in a group"),
                    optional=True,
                    still_relevant=first_meeting_reminders_still_relevant,
                ),
                "group_commitment_end": MessageType(_("The 12 weeks in a group are complete")),
                "group_meeting_cancelled": MessageType(_("A group meeting is cancelled")),
                "group_meeting_moved": MessageType(_("A group meeting is moved")),
                "group_place_changed": MessageType(_("A group meets in a new place")),
                "group_cancelled": MessageType(_("A planned group will not start")),
            }
        )
