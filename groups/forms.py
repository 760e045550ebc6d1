"""Forms for staff pages about groups: they validate and normalise, services act."""

import datetime
from collections import Counter

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilitators import services as facilitator_services
from facilitators.models import Facilitator
from intake.models import Intake, Slot, Theme
from selvhjelp.dates import local_date, local_start
from selvhjelp.forms import ServiceForm, add_rule_errors
from selvhjelp.models import Centre

from . import meetings, rules, schedule, services
from .messages import welcome_preview
from .models import Group, Membership


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


# A usual start time for each part of the day, to suggest one.
USUAL_START = {
    Slot.Part.MORNING: datetime.time(10, 0),
    Slot.Part.AFTERNOON: datetime.time(14, 0),
    Slot.Part.EVENING: datetime.time(18, 0),
}


def suggest_frame(intakes, *, today=None):
    """Initial values for forming a group of `intakes`: the centre they share,
    the time of week most of them can meet, and the first such day at least
    two weeks ahead that is not a public holiday."""
    today = today or timezone.localdate()
    initial = {"length": 120, "kind": Group.Kind.ACROSS, "format": Group.Format.PHYSICAL}
    centres = {intake.centre_id for intake in intakes}
    if len(centres) == 1:
        initial["centre"] = centres.pop()
    formats = Counter(intake.format for intake in intakes)
    # By video only when nobody asked to meet in person and most asked for
    # video: one person wanting video does not make the group digital.
    if not formats[Intake.Format.PHYSICAL] and formats[Intake.Format.DIGITAL] * 2 > len(intakes):
        initial["format"] = Group.Format.DIGITAL
    slots = Counter((slot.weekday, slot.part) for i in intakes for slot in i.availability.all())
    if slots:
        (weekday, part), _count = slots.most_common(1)[0]
        first = today + datetime.timedelta(days=14 + (weekday - today.weekday()) % 7)
        while schedule.holiday_name(first):
            first += datetime.timedelta(weeks=1)
        initial.update(weekday=weekday, start_time=USUAL_START[part], first_meeting=first)
    return initial


class GroupFrameForm(ServiceForm):
    """The group's name, kind, place and weekly time, asked before forming it.

    `check()` gives the rules and guidelines for the chosen people in this
    frame (the check page); `save()` forms the group (services.form_group).
    """

    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), label=_("Centre"))
    name = forms.CharField(
        label=_("Name of the group"),
        max_length=120,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text=_("Participants see this name in messages: never put a problem in it."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of group"), choices=Group.Kind.choices, widget=forms.RadioSelect
    )
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.filter(active=True, is_other=False),
        label=_("Shared theme"),
        required=False,
        help_text=_("Only for a group around one problem."),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=Group.Format.choices, widget=forms.RadioSelect
    )
    venue = forms.CharField(
        label=_("Venue"),
        max_length=200,
        required=False,
        help_text=_("Address and room."),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    video_link = forms.URLField(
        label=_("Video link"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Slot.WEEKDAYS, coerce=int)
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput)
    length = forms.IntegerField(
        label=_("Length in minutes"), min_value=30, max_value=240, initial=120
    )
    first_meeting = forms.DateField(label=_("First meeting"), widget=DateInput)
    facilitators = forms.ModelMultipleChoiceField(
        queryset=Facilitator.objects.none(),
        label=_("Facilitators"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Usually two start a group together; one is allowed. You may also choose "
            "them later, on the group's page."
        ),
    )
    meetings_attended = forms.IntegerField(
        label=_("Facilitators attend the first meetings"),
        required=False,
        min_value=1,
        max_value=12,
        help_text=_(
            "How many of the first meetings the facilitators come to. "
            "The centre's usual number is filled in."
        ),
    )

    def __init__(self, *args, user, intakes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.intakes = list(intakes)
        if self.intakes:
            # The centre's usual number, asked every time (a facilitator who
            # came only to the first meeting was a surprise).
            self.fields["meetings_attended"].initial = self.intakes[0].centre.facilitator_meetings
        centres = Centre.objects.for_user(user)
        self.fields["centre"].queryset = centres
        self._offer_facilitators(centres)

    def _offer_facilitators(self, centres):
        """Offer the active facilitators of the group's centre; accept any of the user's.

        A choice is valid for the field if the facilitator works for one of the
        user's centres (so another centre's are never even named); whether they
        may start this group is the rules' question (clean), whose messages say
        by name why not, instead of "not one of the available choices".
        """
        field = self.fields["facilitators"]
        field.queryset = (
            Facilitator.objects.filter(centres__in=centres).distinct().select_related("user")
        )
        value = self.data.get(self.add_prefix("centre")) if self.is_bound else None
        value = value or self.initial.get("centre")
        centre = centres.filter(pk=value).first() if str(value or "").isdigit() else None
        offered = Facilitator.objects.filter(active=True).select_related("user")
        offered = offered.filter(centres=centre) if centre else field.queryset.filter(active=True)
        if not offered.exists():
            field.help_text = _(
                "The centre has no active facilitators yet; you can assign them on the "
                "group's page once they are added."
            )
        # Only the rendered choices: validation still uses field.queryset.
        offer = field.iterator(field)
        offer.queryset = offered
        field.widget.choices = offer

    def clean(self):
        data = super().clean()
        # The rules of the frame are the service's (groups.rules.frame_errors),
        # shown next to each field; fields that did not validate are left out.
        kind = data.get("kind")
        add_rule_errors(
            self,
            rules.frame_errors(
                centre=data.get("centre"),
                kind=kind,
                theme=data.get("theme") if kind == Group.Kind.SAME else None,
                format=data.get("format"),
                venue=data.get("venue", ""),
                video_link=data.get("video_link", ""),
                weekday=data.get("weekday"),
                length=data.get("length"),
                first=data.get("first_meeting"),
            ),
        )
        chosen, centre = data.get("facilitators"), data.get("centre")
        if chosen and centre:
            for error in facilitator_services.new_group_facilitator_errors(
                centre=centre, facilitators=chosen
            ):
                self.add_error("facilitators", error)
        return data

    def check(self):
        """The check page: rules broken and guidelines not met (the place is not needed)."""
        kwargs = self.service_kwargs()
        del kwargs["venue"], kwargs["video_link"], kwargs["meetings_attended"]
        return rules.check_group(intakes=self.intakes, **kwargs)

    def planned(self):
        """The first 12 meetings as they would be planned."""
        return meetings.proposed_schedule(self.cleaned_data["first_meeting"])

    def call_service(
        self, *, actor, accept_warnings=False, holiday_choices=None, send_invitations=True
    ):
        return services.form_group(
            intakes=self.intakes,
            actor=actor,
            accept_warnings=accept_warnings,
            holiday_choices=holiday_choices,
            send_invitations=send_invitations,
            **self.service_kwargs(),
        )

    def told(self):
        """Who is told what when the group is formed: each member's message, each facilitator's.

        [(name, channel, address, text)] for the members (nothing is written
        to the outbox), and the chosen facilitators with the meetings they
        are reminded of.
        """
        data = self.cleaned_data
        group = Group(
            centre=data["centre"],
            name=data["name"],
            format=data["format"],
            venue=data["venue"],
            video_link=data["video_link"],
            weekday=data["weekday"],
            start_time=data["start_time"],
        )
        first = local_start(data["first_meeting"], data["start_time"])
        members = [
            (intake.name_and_reference, *welcome_preview(intake, group, first))
            for intake in self.intakes
        ]
        return members, list(data["facilitators"])

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "centre": data["centre"],
            "name": data["name"],
            "kind": data["kind"],
            "theme": data["theme"] if data["kind"] == Group.Kind.SAME else None,
            "format": data["format"],
            "venue": data["venue"],
            "video_link": data["video_link"],
            "weekday": data["weekday"],
            "start_time": data["start_time"],
            "length": data["length"],
            "first_meeting": data["first_meeting"],
            "facilitators": list(data["facilitators"]),
            "meetings_attended": data["meetings_attended"],
        }


class HolidayForm(forms.Form):
    """One choice per meeting of the proposed schedule that falls on a public holiday."""

    CANCEL, MOVE = "cancel", "move"

    def __init__(self, *args, planned, **kwargs):
        super().__init__(*args, **kwargs)
        self.holidays = schedule.holidays_in(planned)
        for meeting in self.holidays:
            self.fields[f"holiday_{meeting.sequence}"] = forms.ChoiceField(
                label=_("Meeting %(no)s") % {"no": meeting.sequence},
                choices=[(self.CANCEL, _("Cancel the meeting")), (self.MOVE, _("Move it to"))],
                initial=self.CANCEL,
                widget=forms.RadioSelect,
            )
            self.fields[f"holiday_{meeting.sequence}_date"] = forms.DateField(
                label=_("New date for meeting %(no)s") % {"no": meeting.sequence},
                required=False,
                widget=DateInput,
            )

    def rows(self):
        """(planned meeting, choice field, date field) for the template."""
        return [
            (meeting, self[f"holiday_{meeting.sequence}"], self[f"holiday_{meeting.sequence}_date"])
            for meeting in self.holidays
        ]

    def clean(self):
        data = super().clean()
        for meeting in self.holidays:
            key = f"holiday_{meeting.sequence}"
            if data.get(key) == self.MOVE and not data.get(f"{key}_date"):
                self.add_error(f"{key}_date", _("Choose the new date."))
        return data

    def choices(self):
        return {
            meeting.sequence: (
                self.cleaned_data[f"holiday_{meeting.sequence}"],
                self.cleaned_data.get(f"holiday_{meeting.sequence}_date"),
            )
            for meeting in self.holidays
        }


class AddMemberForm(ServiceForm):
    intake = forms.ModelChoiceField(
        queryset=Intake.objects.none(),
        label=_("Person"),
        help_text=_("People at the group's centre who are ready for a group."),
    )
    joined_on = forms.DateField(label=_("Joins on"), widget=DateInput)
    group_agreed = forms.BooleanField(
        label=_("The group has agreed to take in a new member"), required=False
    )

    def __init__(self, *args, group, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("joined_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.group = group
        in_a_group = Membership.objects.active().filter(intake=OuterRef("pk"))
        self.fields["intake"].queryset = (
            Intake.objects.filter(centre=group.centre, status=Intake.Status.WAITING)
            .exclude(Exists(in_a_group))
            .order_by("name")
        )
        self.fields["intake"].label_from_instance = lambda i: f"{i.name} ({i.reference})"
        if group.status == Group.Status.PLANNED:
            del self.fields["group_agreed"]
        else:
            self.fields["group_agreed"].required = True

    def clean_joined_on(self):
        joined_on = self.cleaned_data["joined_on"]
        if joined_on < timezone.localdate():
            raise forms.ValidationError(_("A new member joins today or later."))
        return joined_on

    def call_service(self, *, actor, accept_warnings=False):
        return services.add_member(
            group=self.group,
            intake=self.cleaned_data["intake"],
            joined_on=self.cleaned_data["joined_on"],
            group_agreed=self.cleaned_data.get("group_agreed", False),
            accept_warnings=accept_warnings,
            actor=actor,
        )


class RemoveMemberForm(ServiceForm):
    left_on = forms.DateField(label=_("Left on"), widget=DateInput)
    reason = forms.CharField(
        label=_("Why they left"),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        max_length=200,
        help_text=_(
            "Short and practical, e.g. “moved” or “the time did not suit”; no health details."
        ),
    )
    after = forms.ChoiceField(
        label=_("Their interest form"),
        choices=[
            (Intake.Status.WAITING, _("Back to the waiting list")),
            (Intake.Status.CLOSED, _("Close it")),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, membership, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("left_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.membership = membership

    def call_service(self, *, actor, **kwargs):
        return services.remove_member(
            membership=self.membership,
            left_on=self.cleaned_data["left_on"],
            reason=self.cleaned_data["reason"],
            intake_status=self.cleaned_data["after"],
            actor=actor,
        )


class CancelMeetingForm(ServiceForm):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        max_length=200,
        help_text=_("The participants get a message that the meeting is cancelled."),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def call_service(self, *, actor, **kwargs):
        return meetings.cancel_meeting(
            meeting=self.meeting, reason=self.cleaned_data["reason"], actor=actor
        )


class MoveMeetingForm(ServiceForm):
    date = forms.DateField(label=_("New date"), widget=DateInput)
    time = forms.TimeField(label=_("Time"), widget=TimeInput)

    def __init__(self, *args, meeting, **kwargs):
        initial = {"date": local_date(meeting.start), "time": meeting.group.start_time}
        super().__init__(*args, initial=initial, **kwargs)
        self.meeting = meeting

    def call_service(self, *, actor, **kwargs):
        return meetings.move_meeting(
            meeting=self.meeting,
            date=self.cleaned_data["date"],
            time=self.cleaned_data["time"],
            actor=actor,
        )


class GroupStatusForm(ServiceForm):
    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    on = forms.DateField(label=_("From"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        max_length=300,
        required=False,
        help_text=_("Needed when the group ends or is cancelled."),
    )

    def __init__(self, *args, group, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.group = group
        allowed = Group.TRANSITIONS[group.status]
        self.fields["status"].choices = [
            (value, label) for value, label in Group.Status.choices if value in allowed
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("status") in (Group.Status.ENDED, Group.Status.CANCELLED)
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", _("Give a reason."))
        return data

    def call_service(self, *, actor, **kwargs):
        data, group = self.cleaned_data, self.group
        to = data["status"]
        if to == Group.Status.STARTED:
            return services.start_group(group=group, on=data["on"], actor=actor)
        if to == Group.Status.SELF_RUN:
            return services.mark_self_run(group=group, on=data["on"], actor=actor)
        if to == Group.Status.ENDED:
            return services.end_group(
                group=group, on=data["on"], reason=data["reason"], actor=actor
            )
        return services.cancel_group(group=group, reason=data["reason"], actor=actor)


class GroupChangeForm(forms.ModelForm):
    """The group's own page in the admin: its name and where it meets.

    The place's rule is groups.rules.place_errors, asked here so that the
    message stands next to the field; the admin saves a new place through
    services.change_place, which tells the members.
    """

    class Meta:
        model = Group
        fields = ["name", "venue", "video_link"]

    def clean(self):
        data = super().clean()
        if "venue" in self.fields or "video_link" in self.fields:
            add_rule_errors(
                self,
                rules.place_errors(
                    format=self.instance.format,
                    venue=data.get("venue", self.instance.venue),
                    video_link=data.get("video_link", self.instance.video_link),
                ),
            )
        return data


class MembershipRecordForm(forms.ModelForm):
    """The two records staff keep on the group page, with names a screen reader reads out."""

    class Meta:
        model = Membership
        fields = ["first_attended_on", "confidentiality_agreed_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.instance.intake.name if self.instance.pk else ""
        attended = self.fields["first_attended_on"].widget
        attended.attrs["aria-label"] = _("First meeting attended by %(name)s") % {"name": name}
        agreed = self.fields["confidentiality_agreed_at"].widget
        for widget, label in zip(
            getattr(agreed, "widgets", [agreed]),
            [
                _("Date %(name)s agreed to confidentiality"),
                _("Time %(name)s agreed to confidentiality"),
            ],
            strict=False,
        ):
            widget.attrs["aria-label"] = label % {"name": name}


class SendInvitationsForm(ServiceForm):
    """Send the held "you have a place" messages of a group (services.send_invitations)."""

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group

    def call_service(self, *, actor, accept_warnings=False):
        return services.send_invitations(group=self.group, actor=actor)
