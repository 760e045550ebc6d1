"""Staff work with groups in the admin: forming, members, meetings, status.

Every change goes through the group services (groups.services,
groups.meetings) with the request user as actor: each page here is a
ServiceForm shown by GroupAdmin._service_page, which shows the rules' errors
and warnings and redirects when the service succeeds. Forming a group from
the list of interest forms is groups.forming.
Which groups a user sees is decided once, in CentreScopedAdmin.get_queryset.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from facilitators.admin import AssignmentInline, FollowUpInline, WithdrawnAssignmentInline
from intake import rights
from intake.models import Intake
from selvhjelp.admin import CentreScopedAdmin
from selvhjelp.audit import Action, Page, record_access
from selvhjelp.dates import admin_datetime

from . import rules, selectors, services
from .admin_rhythm import RhythmChangeAdmin
from .forms import (
    AddMemberForm,
    CancelMeetingForm,
    GroupChangeForm,
    GroupStatusForm,
    MembershipRecordForm,
    MoveMeetingForm,
    RemoveMemberForm,
    SendInvitationsForm,
)
from .models import MAX_MEMBERS, Group, Meeting, Membership, RhythmChange
from .suggestions.admin import urls as suggestion_urls

# --- The group list and page ----------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Planned and active groups by default; ended and cancelled on request."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Group.Status.choices, (self.ALL, _("All"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Planned and active"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.filter(status__in=Group.ACTIVE_STATUSES)
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipRecordForm
    template = "admin/groups/edit_inline/tabular.html"
    extra = 0
    can_delete = False
    fields = [
        "person",
        "joined_on",
        "first_attended_on",
        "commitment_end",
        "confidentiality_agreed_at",
        "left",
        "remove",
    ]
    readonly_fields = ["person", "joined_on", "commitment_end", "left", "remove"]
    verbose_name_plural = _("Members")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return selectors.memberships_with_commitment(super().get_queryset(request))

    @admin.display(description=_("person"))
    def person(self, membership):
        url = reverse("admin:intake_intake_change", args=[membership.intake_id])
        return format_html('<a href="{}">{}</a>', url, membership.intake)

    @admin.display(description=_("12 weeks end"))
    def commitment_end(self, membership):
        end = membership.commitment_ends_on
        return formats.date_format(end, "SHORT_DATE_FORMAT") if end else "–"

    @admin.display(description=_("left"))
    def left(self, membership):
        if membership.is_active:
            return "–"
        return format_html(
            "{}<br>{}",
            formats.date_format(membership.left_on, "SHORT_DATE_FORMAT"),
            membership.left_reason,
        )

    @admin.display(description=_("remove"))
    def remove(self, membership):
        if not (membership.is_active and membership.group.is_active):
            return ""
        url = reverse("admin:groups_group_remove_member", args=[membership.group_id, membership.pk])
        return format_html(
            '<a href="{}">{}</a>',
            url,
            gettext("Remove %(name)s") % {"name": membership.intake.name},
        )


class MeetingInline(admin.TabularInline):
    model = Meeting
    template = "admin/groups/edit_inline/tabular.html"
    extra = 0
    can_delete = False
    fields = ["sequence", "when", "length", "state", "change"]
    readonly_fields = fields
    verbose_name_plural = _("Meetings (from five weeks ago)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        since = timezone.now() - timezone.timedelta(weeks=5)
        return super().get_queryset(request).filter(start__gte=since).select_related("group")

    @admin.display(description=_("when"))
    def when(self, meeting):
        return admin_datetime(meeting.start, "D j. F Y H:i")

    @admin.display(description=_("status"))
    def state(self, meeting):
        parts = []
        if meeting.cancelled:
            parts.append(gettext("Cancelled: %(reason)s") % {"reason": meeting.cancelled_reason})
        if meeting.moved_from:
            parts.append(
                gettext("Moved from %(date)s")
                % {"date": admin_datetime(meeting.moved_from, "D j. F H:i")}
            )
        if meeting.holiday and not meeting.cancelled:
            parts.append(gettext("Public holiday: %(holiday)s") % {"holiday": meeting.holiday})
        return " · ".join(parts) or (gettext("Held") if meeting.is_past else gettext("As planned"))

    @admin.display(description=_("change"))
    def change(self, meeting):
        if not meeting.group.is_active or (
            meeting.start <= timezone.now() and not meeting.cancelled
        ):
            return ""
        move = reverse("admin:groups_group_move_meeting", args=[meeting.group_id, meeting.pk])
        label = admin_datetime(meeting.start, "j. F")
        if meeting.cancelled:
            return format_html(
                '<a href="{}">{}</a>', move, gettext("Move meeting %(date)s") % {"date": label}
            )
        cancel = reverse("admin:groups_group_cancel_meeting", args=[meeting.group_id, meeting.pk])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            cancel,
            gettext("Cancel meeting %(date)s") % {"date": label},
            move,
            gettext("Move meeting %(date)s") % {"date": label},
        )


@admin.register(Group)
class GroupAdmin(CentreScopedAdmin):
    form = GroupChangeForm
    list_display = [
        "name",
        "centre",
        "status",
        "format",
        "members",
        "first_meeting_at",
        "next_meeting",
        "week",
    ]
    list_filter = [StatusFilter, ("centre", admin.RelatedOnlyFieldListFilter), "format", "kind"]
    search_fields = ["name", "memberships__intake__name"]
    # The facilitators' inlines (assign, attend, withdraw; follow-ups) come from facilitators.admin.
    inlines = [
        MembershipInline,
        AssignmentInline,
        WithdrawnAssignmentInline,
        FollowUpInline,
        MeetingInline,
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "centre", "status", "kind", "theme", "week"]}),
        (
            _("Place and time"),
            {
                "fields": [
                    "format",
                    "venue",
                    "video_link",
                    "weekday",
                    "start_time",
                    "length",
                    "planned_start",
                ]
            },
        ),
        (
            _("History"),
            {
                "fields": [
                    "formed_by",
                    "created_at",
                    "started_on",
                    "self_run_on",
                    "ended_on",
                    "cancelled_on",
                    "closing_reason",
                ]
            },
        ),
    ]
    readonly_fields = [
        "centre",
        "status",
        "kind",
        "theme",
        "week",
        "format",
        "weekday",
        "start_time",
        "length",
        "planned_start",
        "formed_by",
        "created_at",
        "started_on",
        "self_run_on",
        "ended_on",
        "cancelled_on",
        "closing_reason",
    ]

    def get_queryset(self, request):
        return selectors.groups_with_overview(super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # groups are formed from the interest forms list

    def has_delete_permission(self, request, obj=None):
        return False  # a group is ended or cancelled, never deleted

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return [*self.readonly_fields, "name", "venue", "video_link"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        place = {"venue", "video_link"} & set(form.changed_data)
        if place:
            services.change_place(
                group=obj, venue=obj.venue, video_link=obj.video_link, actor=request.user
            )
        obj.save(update_fields=["name", "updated_at"])

    # List columns

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, group):
        return f"{group.member_count}/{MAX_MEMBERS}"

    @admin.display(description=_("first meeting"), ordering="first_meeting_at")
    def first_meeting_at(self, group):
        return admin_datetime(group.first_meeting_at, "SHORT_DATE_FORMAT")

    @admin.display(description=_("next meeting"), ordering="next_meeting_at")
    def next_meeting(self, group):
        return admin_datetime(group.next_meeting_at)

    @admin.display(description=_("week"))
    def week(self, group):
        number = group.week_number()
        return number if number is not None else "–"

    # The group page and its own pages

    def change_view(self, request, object_id, form_url="", extra_context=None):
        group = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if group is not None:
            extra_context.update(
                rule_warnings=rules.group_warnings(group),
                can_add_member=group.is_active and group.member_count < MAX_MEMBERS,
                can_change_status=bool(Group.TRANSITIONS[group.status]),
                invitations_held=group.invitations_held and group.is_active,
            )
            if request.method == "GET":
                # The page names every member, past and present: an access to each.
                members = group.memberships.values_list("intake_id", flat=True)
                record_access(
                    actor=request.user,
                    action=Action.LISTED,
                    people=[Intake(pk=pk) for pk in members],
                    page=Page.GROUP,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fieldsets(self, request, obj=None):
        # A group's shared theme says what its members live with: a national
        # administrator who is not staff of the centre does not see it (as on
        # the members' own forms, intake.rights).
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.is_superuser:
            return fieldsets
        if rights.works_at(request.user, obj.centre_id):
            return fieldsets
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f != "theme"]})
            for title, options in fieldsets
        ]

    def construct_change_message(self, request, form, formsets, add=False):
        """The admin's history of the group, naming members by number, never by name.

        The history of a group outlives its members' data (an erased member
        must leave no name in it), so a changed membership is "member no. 12".
        """
        message = super().construct_change_message(request, form, formsets, add)
        numbers = {}
        for formset in formsets or []:
            if formset.model is not Membership:
                continue
            changed = [obj for obj, _fields in getattr(formset, "changed_objects", [])]
            for obj in [*getattr(formset, "new_objects", []), *changed]:
                numbers[str(obj)] = gettext("member no. %(number)s") % {"number": obj.pk}
        for part in message:
            for detail in part.values():
                if isinstance(detail, dict) and detail.get("object") in numbers:
                    detail["object"] = numbers[detail["object"]]
        return message

    @admin.display(description=_("formed by"))
    def formed_by(self, group):
        # The name only: a link would lead centre staff to the user admin (403).
        user = group.created_by
        return (user.get_full_name() or user.get_username()) if user else "–"

    def get_urls(self):
        own = [
            ("add-member/", self.add_member_view, "add_member"),
            ("members/<int:membership_id>/remove/", self.remove_member_view, "remove_member"),
            ("meetings/<int:meeting_id>/cancel/", self.cancel_meeting_view, "cancel_meeting"),
            ("meetings/<int:meeting_id>/move/", self.move_meeting_view, "move_meeting"),
            ("status/", self.status_view, "status"),
            ("send-invitations/", self.send_invitations_view, "send_invitations"),
        ]
        return (
            suggestion_urls(self)
            + [
                path(
                    f"<path:object_id>/{route}",
                    self.admin_site.admin_view(view),
                    name=f"groups_group_{name}",
                )
                for route, view, name in own
            ]
            + super().get_urls()
        )

    def _group(self, request, object_id):
        """The one access helper: 404 outside the user's centres, 403 without rights."""
        group = self.get_object(request, object_id)
        if group is None:
            raise Http404
        if not self.has_change_permission(request, group):
            raise PermissionDenied
        return group

    def _service_page(self, request, group, form, *, title, submit, done, intro="", accept=""):
        """The one shape of the group's own pages: a ServiceForm, then back to the group.

        On a valid POST the form's service runs with the request user as actor
        (`accept_warnings` when staff pressed the accept button); on success
        the message `done(result)` is shown on the group's page. Otherwise the
        page shows the form with the rules' errors, or the guidelines not met
        and a button to accept them (`accept`).
        """
        if form.is_valid():
            result = form.save(actor=request.user, accept_warnings="_accept" in request.POST)
            if result is not None:
                self.message_user(request, done(result), messages.SUCCESS)
                return redirect("admin:groups_group_change", group.pk)
        return TemplateResponse(
            request,
            "admin/groups/group/action_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": group,
                "title": title,
                "intro": intro,
                "form": form,
                "warnings": form.warnings,
                "submit": submit,
                "accept": accept if form.warnings else "",
                "media": self.media + form.media,
            },
        )

    def add_member_view(self, request, object_id):
        group = self._group(request, object_id)
        return self._service_page(
            request,
            group,
            AddMemberForm(request.POST or None, group=group),
            title=gettext("Add a member to %(group)s") % {"group": group.name},
            intro=gettext(
                "The group has %(count)s of %(max)s places taken. A group is closed: "
                "once it has started, the members have to agree before someone new joins."
            )
            % {"count": group.member_count, "max": MAX_MEMBERS},
            submit=gettext("Add to the group"),
            accept=gettext("Accept the warnings and add"),
            done=lambda membership: (
                gettext("%(name)s is now in the group and gets a message.")
                % {"name": membership.intake.name}
            ),
        )

    def send_invitations_view(self, request, object_id):
        """Send the invitations held when the group was formed (GET asks, POST sends)."""
        group = self._group(request, object_id)
        return self._service_page(
            request,
            group,
            SendInvitationsForm(request.POST if request.method == "POST" else None, group=group),
            title=gettext("Send the invitations to %(group)s") % {"group": group.name},
            intro=gettext(
                "Each member gets “you have a place” with the group's time, place and first "
                "meeting, by the channel they chose. This is done once."
            ),
            submit=gettext("Send the invitations now"),
            done=lambda count: (
                ngettext(
                    "The invitation is sent to %(count)d member.",
                    "The invitations are sent to %(count)d members.",
                    count,
                )
                % {"count": count}
            ),
        )

    def remove_member_view(self, request, object_id, membership_id):
        group = self._group(request, object_id)
        membership = group.memberships.active().select_related("intake").filter(pk=membership_id)
        membership = membership.first()
        if membership is None:
            raise Http404
        name = membership.intake.name
        return self._service_page(
            request,
            group,
            RemoveMemberForm(request.POST or None, membership=membership),
            title=gettext("%(name)s leaves %(group)s") % {"name": name, "group": group.name},
            submit=gettext("Remove from the group"),
            done=lambda _membership: gettext("%(name)s has left the group.") % {"name": name},
        )

    def _meeting(self, group, meeting_id):
        meeting = group.meetings.filter(pk=meeting_id).first()
        if meeting is None:
            raise Http404
        meeting.group = group
        return meeting

    def cancel_meeting_view(self, request, object_id, meeting_id):
        group = self._group(request, object_id)
        meeting = self._meeting(group, meeting_id)
        when = admin_datetime(meeting.start, "l j. F Y H:i")
        return self._service_page(
            request,
            group,
            CancelMeetingForm(request.POST or None, meeting=meeting),
            title=gettext("Cancel the meeting %(when)s") % {"when": when},
            submit=gettext("Cancel the meeting"),
            done=lambda _meeting: (
                gettext("The meeting %(when)s is cancelled; the members get a message.")
                % {"when": when}
            ),
        )

    def move_meeting_view(self, request, object_id, meeting_id):
        group = self._group(request, object_id)
        meeting = self._meeting(group, meeting_id)
        when = admin_datetime(meeting.start, "l j. F Y H:i")
        return self._service_page(
            request,
            group,
            MoveMeetingForm(request.POST or None, meeting=meeting),
            title=gettext("Move the meeting %(when)s") % {"when": when},
            submit=gettext("Move the meeting"),
            done=lambda _meeting: gettext("The meeting is moved; the members get a message."),
        )

    def status_view(self, request, object_id):
        group = self._group(request, object_id)
        return self._service_page(
            request,
            group,
            GroupStatusForm(request.POST or None, group=group),
            title=gettext("Change the status of %(group)s") % {"group": group.name},
            intro=gettext(
                "Ending a group closes its members' interest forms. Cancelling a planned "
                "group sends its members back to the waiting list and tells them."
            ),
            submit=gettext("Change status"),
            done=lambda changed: (
                gettext("The group is now %(status)s.")
                % {"status": changed.get_status_display().lower()}
            ),
        )


# Every other week (groups.admin_rhythm; the change goes through groups.meetings).
admin.site.register(RhythmChange, RhythmChangeAdmin)
