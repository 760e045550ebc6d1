"""The facilitator's answer to a visit a group asked for (facilitators.visits)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from selvhjelp.dates import when

from . import visits
from .models import NOTE_MAX_LENGTH


class VisitAnswerForm(forms.Form):
    """Come to one of the meetings ahead, or decline with a short note for the centre's staff."""

    COME, DECLINE = "come", "decline"

    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        choices=[
            (COME, gettext_lazy("I can come to a meeting")),
            (DECLINE, gettext_lazy("I cannot come")),
        ],
        widget=forms.RadioSelect,
    )
    meeting = forms.TypedChoiceField(
        label=gettext_lazy("The meeting you come to"), coerce=int, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the centre's staff (if you cannot come)"),
        help_text=gettext_lazy("Short and practical; never health details about anyone."),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {meeting.pk: meeting for meeting in meetings}
        self.fields["meeting"].choices = [("", "—")] + [
            (meeting.pk, when(meeting.start)) for meeting in meetings
        ]

    def clean(self):
        data = super().clean()
        if data.get("answer") == self.COME and not data.get("meeting"):
            self.add_error("meeting", _("Choose the meeting you come to."))
        return data

    def save(self, *, visit, facilitator):
        """Call the service; returns the confirmation to show. Raises FacilitatorError."""
        if self.cleaned_data["answer"] == self.COME:
            meeting = self.meetings[self.cleaned_data["meeting"]]
            visits.plan_visit(visit=visit, facilitator=facilitator, meeting=meeting)
            return _("Thank you: the group is told that you come %(when)s.") % {
                "when": when(meeting.start)
            }
        visits.decline_visit(visit=visit, facilitator=facilitator, note=self.cleaned_data["note"])
        return _("Thank you: the centre is told that you cannot come.")
