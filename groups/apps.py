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
        from selvhjelp.today import TODAY_SECTIONS, TodaySection

        from . import selectors
        from .members import absence_notices_still_relevant, link_context
        from .models import Absence, Group, Meeting, Membership, RhythmChange
        from .reminders import (
            count_commitments_ending,
            first_meeting_reminders_still_relevant,
            meeting_reminders_still_relevant,
        )
        from .selectors import placement_for_status_page
        from .today import left_members_section

        MESSAGE_TYPES.update(
            {
                # The welcome and the reminders carry the member's personal link
                # (groups.members), made only when sent.
                "group_welcome": MessageType(
                    _("Welcome to a group"), send_time_context=link_context
                ),
                "group_first_meeting_reminder": MessageType(
                    _("Reminder before your first meeting in a group"),
                    optional=True,
                    still_relevant=first_meeting_reminders_still_relevant,
                    send_time_context=link_context,
                ),
                "group_meeting_reminder": MessageType(
                    _("Reminder before a meeting of your group"),
                    optional=True,
                    still_relevant=meeting_reminders_still_relevant,
                    send_time_context=link_context,
                ),
                "group_commitment_end": MessageType(_("The 12 weeks in a group are complete")),
                "group_meeting_cancelled": MessageType(_("A group meeting is cancelled")),
                "group_meeting_moved": MessageType(_("A group meeting is moved")),
                "group_place_changed": MessageType(_("A group meets in a new place")),
                "group_cancelled": MessageType(_("A planned group will not start")),
                "group_rhythm_changed": MessageType(_("A group changes how often it meets")),
                # A notice a member sends the group is required: the group
                # agreed to tell each other (meldeplikt), so there is no stop link.
                "member_absent": MessageType(
                    _("A member cannot come to a meeting"),
                    still_relevant=absence_notices_still_relevant,
                ),
                "member_coming_after_all": MessageType(
                    _("A member comes to a meeting after all"),
                    still_relevant=absence_notices_still_relevant,
                ),
                "member_left": MessageType(_("A member has left the group")),
            }
        )
        TODAY_SECTIONS.append(
            TodaySection(
                key="members-left",
                title=_("Members who left their group through their link"),
                order=60,
                load=left_members_section,
                empty=_("Nobody has left a group through their link in the last two weeks."),
            )
        )
        DIGEST_COUNTERS["commitments_ending"] = count_commitments_ending
        PLACEMENT_LOOKUPS.append(placement_for_status_page)
        TODAY_SECTIONS.extend(
            [
                TodaySection(
                    key="meetings",
                    title=_("This week's meetings"),
                    order=50,
                    load=selectors.this_weeks_meetings_section,
                    empty=_("No group meets this week."),
                    template="admin/today/meetings.html",
                ),
                TodaySection(
                    key="week-twelve",
                    title=_("Groups reaching week 12 within 14 days"),
                    order=70,
                    load=selectors.week_twelve_section,
                    empty=_("No group reaches week 12 in the next 14 days."),
                ),
            ]
        )
        audit.register(Membership, mask_fields=["left_reason"])
        audit.register(Group, mask_fields=["closing_reason"])
        audit.register(Meeting)
        audit.register(RhythmChange)
        audit.register(Absence)
        ABOUT_QUERYSETS.append(Membership.objects.select_related("intake", "group"))
