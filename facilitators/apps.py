from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitatorsConfig(AppConfig):
    name = "facilitators"
    verbose_name = _("Facilitators")

    def ready(self):
        # The core (selvhjelp) knows the apps only through registries that the
        # apps fill here: message types, the digest's counts, the audit log,
        # what a stopped reminder is about.
        from selvhjelp import audit
        from selvhjelp.admin import ABOUT_QUERYSETS
        from selvhjelp.jobs import DIGEST_COUNTERS
        from selvhjelp.messaging import MESSAGE_TYPES, MessageType
        from selvhjelp.today import TODAY_SECTIONS, TodaySection

        from . import selectors
        from .messages import password_link_context
        from .models import Assignment, Facilitator, FollowUp, VisitDecline
        from .reminders import follow_up_reminders_still_relevant, meeting_reminders_still_relevant
        from .selectors import overdue_follow_ups_by_centre
        from .today import visit_requests_section

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
                "visit_requested": MessageType(_("A group asks a facilitator to visit")),
                "visit_planned": MessageType(_("A facilitator visits the group")),
                "visit_declined": MessageType(_("A facilitator cannot make a visit")),
            }
        )
        TODAY_SECTIONS.append(
            TodaySection(
                key="visit-requests",
                title=_("Groups asking for a facilitator's visit"),
                order=40,
                load=visit_requests_section,
                empty=_("No group waits for an answer to a visit."),
            )
        )
        DIGEST_COUNTERS["overdue_follow_ups"] = overdue_follow_ups_by_centre
        TODAY_SECTIONS.extend(
            [
                TodaySection(
                    key="short-of-facilitators",
                    title=_("Groups starting within 14 days with fewer than two facilitators"),
                    order=30,
                    load=selectors.short_of_facilitators_section,
                    empty=_("Every group starting soon has two facilitators."),
                ),
                TodaySection(
                    key="follow-ups",
                    title=_("Follow-ups due or overdue"),
                    order=40,
                    load=selectors.follow_ups_due_section,
                    empty=_("No follow-up is due."),
                ),
            ]
        )
        audit.register(Facilitator, m2m_fields={"centres"})
        audit.register(Assignment)
        audit.register(FollowUp, mask_fields=["note"])
        audit.register(VisitDecline, mask_fields=["note"])
        ABOUT_QUERYSETS.append(Assignment.objects.select_related("facilitator__user", "group"))
