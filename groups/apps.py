from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Self-help groups")

    def ready(self):
        # The core (selvhjelp) knows the apps only through registries that the
        # apps fill here: message types, the digest's counts, the audit log,
        # what a stopped reminder is about.
        from intake.status import PLACEMENT_LOOKUPS
        from selvhjelp import audit
        from selvhjelp.admin import ABOUT_QUERYSETS
        from selvhjelp.jobs import DIGEST_COUNTERS
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType

        from .models import Group, Meeting, Membership
        from .reminders import count_commitments_ending, first_meeting_reminders_still_relevant
        from .selectors import placement_for_status_page

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
        DIGEST_COUNTERS["commitments_ending"] = count_commitments_ending
        PLACEMENT_LOOKUPS.append(placement_for_status_page)
        audit.register(Membership, mask_fields=["left_reason"])
        audit.register(Group, mask_fields=["closing_reason"])
        audit.register(Meeting)
        ABOUT_QUERYSETS.append(Membership.objects.select_related("intake", "group"))
