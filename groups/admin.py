"""Staff work with groups in the admin: forming, members, meetings, status.

Every change goes through groups.services with the request user as actor;
the admin collects input, shows rule errors and warnings, and redirects.
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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from facilitators.admin import AssignmentInline, FollowUpInline, WithdrawnAssignmentInline
from selvhjelp.admin import CentreScopedAdmin

from . import selectors, services
from .forms import (
    AddMemberForm,
    CancelMeetingForm,
    GroupFrameForm,
    GroupStatusForm,
    HolidayForm,
    MembershipRecordForm,
    MoveMeetingForm,
    RemoveMemberForm,
    suggest_frame,
)
from .models import MAX_MEMBERS, OSLO, Group, GroupRuleError, Meeting, Membership
from .services import UnacceptedWarnings


def _local(value, fmt="SHORT_DATETIME_FORMAT"):
    return formats.date_format(timezone.localtime(value, OSLO), fmt) if value else "–"


# --- Forming a group from the intake list ---------------------------------------


@admin.action(description=_("Form a group of the selected"))
def form_group_action(modeladmin, request, queryset):
    """The intermediate page of the intake list's action: check, then form.

    The first POST comes from the action menu; later POSTs come from this
    page, carry the selection again and land here through the changelist, so
    the selection is always limited to intakes the user may see. The
    facilitators chosen here are assigned by form_group in the same
    transaction as the group.
    """
    if not request.user.has_perm("groups.add_group"):
        modeladmin.message_user(request, gettext("You may not form groups."), messages.ERROR)
        return None
    intakes = list(
        queryset.select_related("centre")
        .prefetch_related("themes", "availability")
        .order_by("name", "pk")
    )
    post = request.POST
    frame = GroupFrameForm(
        post if "group-name" in post else None,
        prefix="group",
        user=request.user,
        initial=suggest_frame(intakes),
    )
    confirm = "_form" in post or "_form_anyway" in post
    check, planned, holiday_form, errors = None, None, None, []
    if frame.is_bound and frame.is_valid():
        kwargs = frame.service_kwargs()
        # Everything but the place: check_group does not need to know where.
        check = services.check_group(
            intakes=intakes,
            **{key: value for key, value in kwargs.items() if key not in ("venue", "video_link")},
        )
        planned = services.proposed_schedule(kwargs["first_meeting"])
        holiday_bound = any(key.startswith("holiday-") for key in post)
        holiday_form = HolidayForm(
            post if holiday_bound or confirm else None, prefix="holiday", planned=planned
        )
        if confirm and check.ok and holiday_form.is_valid():
            try:
                group = services.form_group(
                    intakes=intakes,
                    actor=request.user,
                    accept_warnings="_form_anyway" in post,
                    holiday_choices=holiday_form.choices(),
                    **kwargs,
                )
            except UnacceptedWarnings:
                pass  # the warnings are on the page; accepting them is one click
            except GroupRuleError as error:
                errors = error.messages
            else:
                modeladmin.message_user(
                    request,
                    gettext("The group “%(group)s” is formed; the participants get a message.")
                    % {"group": group.name},
                    messages.SUCCESS,
                )
                if not kwargs["facilitators"]:
                    modeladmin.message_user(
                        request,
                        gettext(
                            "No facilitators are assigned yet; two usually start a group. "
                            "Choose them under “Facilitators” on this page."
                        ),
                        messages.WARNING,
                    )
                return redirect("admin:groups_group_change", group.pk)
    on = frame.cleaned_data.get("first_meeting") if frame.is_bound and frame.is_valid() else None
    return TemplateResponse(
        request,
        "admin/groups/form_group.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": gettext("Form a group"),
            "opts": modeladmin.model._meta,
            "intakes": intakes,
            "ages": {i.pk: i.age_on(on or timezone.localdate()) for i in intakes},
            "frame": frame,
            "check": check,
            "errors": errors,
            "planned": planned,
            "holiday_form": holiday_form,
            "start_time": frame.cleaned_data.get("start_time") if check else None,
            "action_name": "form_group_action",
            "media": modeladmin.media + frame.media,
        },
    )


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
        return _local(meeting.start, "D j. F Y H:i")

    @admin.display(description=_("status"))
    def state(self, meeting):
        parts = []
        if meeting.cancelled:
            parts.append(gettext("Cancelled: %(reason)s") % {"reason": meeting.cancelled_reason})
        if meeting.moved_from:
            parts.append(
                gettext("Moved from %(date)s") % {"date": _local(meeting.moved_from, "D j. F H:i")}
            )
        if meeting.holiday and not meeting.cancelled:
            parts.append(gettext("Public holiday: %(holiday)s") % {"holiday": meeting.holiday})
        return " · ".join(parts) or gettext("As planned")

    @admin.display(description=_("change"))
    def change(self, meeting):
        if not meeting.group.is_active or (
            meeting.start <= timezone.now() and not meeting.cancelled
        ):
            return ""
        move = reverse("admin:groups_group_move_meeting", args=[meeting.group_id, meeting.pk])
        label = _local(meeting.start, "j. F")
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
                    "first_meeting",
                ]
            },
        ),
        (
            _("History"),
            {
                "fields": [
                    "created_by",
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
        "first_meeting",
        "created_by",
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

    @admin.display(description=_("first meeting"), ordering="first_meeting")
    def first_meeting_at(self, group):
        return _local(group.first_meeting_at, "SHORT_DATE_FORMAT")

    @admin.display(description=_("next meeting"), ordering="next_meeting_at")
    def next_meeting(self, group):
        return _local(group.next_meeting_at)

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
                rule_warnings=services.group_warnings(group),
                can_add_member=group.is_active and group.member_count < MAX_MEMBERS,
                can_change_status=bool(Group.TRANSITIONS[group.status]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            ("add-member/", self.add_member_view, "add_member"),
            ("members/<int:membership_id>/remove/", self.remove_member_view, "remove_member"),
            ("meetings/<int:meeting_id>/cancel/", self.cancel_meeting_view, "cancel_meeting"),
            ("meetings/<int:meeting_id>/move/", self.move_meeting_view, "move_meeting"),
            ("status/", self.status_view, "status"),
        ]
        return [
            path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(view),
                name=f"groups_group_{name}",
            )
            for route, view, name in own
        ] + super().get_urls()

    def _group(self, request, object_id):
        """The one access helper: 404 outside the user's centres, 403 without rights."""
        group = self.get_object(request, object_id)
        if group is None:
            raise Http404
        if not self.has_change_permission(request, group):
            raise PermissionDenied
        return group

    def _page(self, request, group, form, *, title, intro="", warnings=(), submit, accept=""):
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
                "warnings": warnings,
                "submit": submit,
                "accept": accept,
                "media": self.media + form.media,
            },
        )

    def _done(self, request, group, message):
        self.message_user(request, message, messages.SUCCESS)
        return redirect("admin:groups_group_change", group.pk)

    def add_member_view(self, request, object_id):
        group = self._group(request, object_id)
        form = AddMemberForm(request.POST or None, group=group)
        warnings = []
        if form.is_valid():
            try:
                membership = services.add_member(
                    group=group,
                    intake=form.cleaned_data["intake"],
                    joined_on=form.cleaned_data["joined_on"],
                    group_agreed=form.cleaned_data.get("group_agreed", False),
                    accept_warnings="_accept" in request.POST,
                    actor=request.user,
                )
            except UnacceptedWarnings as error:
                warnings = error.warnings
            except GroupRuleError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return self._done(
                    request,
                    group,
                    gettext("%(name)s is now in the group and gets a message.")
                    % {"name": membership.intake.name},
                )
        intro = gettext(
            "The group has %(count)s of %(max)s places taken. A group is closed: "
            "once it has started, the members have to agree before someone new joins."
        ) % {"count": group.member_count, "max": MAX_MEMBERS}
        return self._page(
            request,
            group,
            form,
            title=gettext("Add a member to %(group)s") % {"group": group.name},
            intro=intro,
            warnings=warnings,
            submit=gettext("Add to the group"),
            accept=gettext("Accept the warnings and add") if warnings else "",
        )

    def remove_member_view(self, request, object_id, membership_id):
        group = self._group(request, object_id)
        membership = group.memberships.active().select_related("intake").filter(pk=membership_id)
        membership = membership.first()
        if membership is None:
            raise Http404
        form = RemoveMemberForm(request.POST or None)
        if form.is_valid():
            try:
                services.remove_member(
                    membership=membership,
                    left_on=form.cleaned_data["left_on"],
                    reason=form.cleaned_data["reason"],
                    intake_status=form.cleaned_data["after"],
                    actor=request.user,
                )
            except GroupRuleError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return self._done(
                    request,
                    group,
                    gettext("%(name)s has left the group.") % {"name": membership.intake.name},
                )
        return self._page(
            request,
            group,
            form,
            title=gettext("%(name)s leaves %(group)s")
            % {"name": membership.intake.name, "group": group.name},
            submit=gettext("Remove from the group"),
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
        form = CancelMeetingForm(request.POST or None)
        when = _local(meeting.start, "l j. F Y H:i")
        if form.is_valid():
            try:
                services.cancel_meeting(
                    meeting=meeting, reason=form.cleaned_data["reason"], actor=request.user
                )
            except GroupRuleError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return self._done(
                    request,
                    group,
                    gettext("The meeting %(when)s is cancelled; the members get a message.")
                    % {"when": when},
                )
        return self._page(
            request,
            group,
            form,
            title=gettext("Cancel the meeting %(when)s") % {"when": when},
            submit=gettext("Cancel the meeting"),
        )

    def move_meeting_view(self, request, object_id, meeting_id):
        group = self._group(request, object_id)
        meeting = self._meeting(group, meeting_id)
        when = _local(meeting.start, "l j. F Y H:i")
        form = MoveMeetingForm(
            request.POST or None,
            initial={
                "date": timezone.localtime(meeting.start, OSLO).date(),
                "time": group.start_time,
            },
        )
        if form.is_valid():
            try:
                services.move_meeting(
                    meeting=meeting,
                    date=form.cleaned_data["date"],
                    time=form.cleaned_data["time"],
                    actor=request.user,
                )
            except GroupRuleError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return self._done(
                    request,
                    group,
                    gettext("The meeting is moved; the members get a message."),
                )
        return self._page(
            request,
            group,
            form,
            title=gettext("Move the meeting %(when)s") % {"when": when},
            submit=gettext("Move the meeting"),
        )

    def status_view(self, request, object_id):
        group = self._group(request, object_id)
        form = GroupStatusForm(request.POST or None, group=group)
        if form.is_valid():
            data = form.cleaned_data
            to = data["status"]
            try:
                if to == Group.Status.STARTED:
                    services.start_group(group=group, on=data["on"], actor=request.user)
                elif to == Group.Status.SELF_RUN:
                    services.mark_self_run(group=group, on=data["on"], actor=request.user)
                elif to == Group.Status.ENDED:
                    services.end_group(
                        group=group, on=data["on"], reason=data["reason"], actor=request.user
                    )
                else:
                    services.cancel_group(group=group, reason=data["reason"], actor=request.user)
            except GroupRuleError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return self._done(
                    request,
                    group,
                    gettext("The group is now %(status)s.")
                    % {"status": Group.Status(to).label.lower()},
                )
        return self._page(
            request,
            group,
            form,
            title=gettext("Change the status of %(group)s") % {"group": group.name},
            intro=gettext(
                "Ending a group closes its members' interest forms. Cancelling a planned "
                "group sends its members back to the waiting list and tells them."
            ),
            submit=gettext("Change status"),
        )
