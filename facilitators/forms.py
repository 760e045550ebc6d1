from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from groups import meetings as group_meetings
from selvhjelp.forms import ServiceForm, add_rule_errors
from selvhjelp.login_security import LoginDelayFormMixin, allow_reset_email, reset_wait_message
from selvhjelp.models import Centre

from . import services
from .models import MAX_MEETINGS_ATTENDED, NOTE_MAX_LENGTH, Assignment, Facilitator, FollowUp


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FacilitatorLoginForm(LoginDelayFormMixin, AuthenticationForm):
    """Log in with the user name or the email address (invited facilitators have no other)."""

    def clean_username(self):
        username = super().clean_username().strip()
        if "@" in username:
            user = get_user_model().objects.filter(email__iexact=username).first()
            if user is not None:
                return user.get_username()
        return username


class FacilitatorPasswordResetForm(PasswordResetForm):
    """Send the password link through the outbox instead of straight by email.

    Only active facilitators get a link; everyone sees the same answer, so the
    form does not reveal who has an account.
    """

    def clean_email(self):
        email = self.cleaned_data["email"]
        wait = allow_reset_email(email)
        if wait:
            raise forms.ValidationError(reset_wait_message(wait), code="wait")
        return email

    def get_users(self, email):
        # Unlike Django's form, also users without a usable password: an
        # invited facilitator whose invitation ran out asks for a new link here.
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)

    def save(self, **kwargs):
        for user in self.get_users(self.cleaned_data["email"]):
            facilitator = getattr(user, "facilitator", None)
            if facilitator is not None and facilitator.active:
                services.send_password_link(facilitator=facilitator, purpose="reset")


class FacilitatorInviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Email"), help_text=_("The invitation and the login use this address.")
    )
    phone = PhoneNumberField(label=_("Mobile number"), region="NO", required=False)
    centres = forms.ModelMultipleChoiceField(
        label=_("Centres"), queryset=Centre.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centres"].queryset = centres
        if len(centres) == 1:
            self.fields["centres"].initial = [centres[0].pk]


class FollowUpForm(ServiceForm):
    """The facilitator's record of a follow-up: when, how the group is doing, a short note."""

    done_on = forms.DateField(
        label=_("Date of the follow-up"),
        widget=DateInput,
        error_messages={
            "required": _("Give the date of the follow-up."),
            "invalid": _("Write the date as dd.mm.yyyy, e.g. 16.02.2027."),
        },
    )
    outcome = forms.ChoiceField(
        label=_("How is the group doing?"),
        choices=FollowUp.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the group is doing.")},
    )
    visit_on = forms.DateField(
        label=_("Date of the visit"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Write the date as dd.mm.yyyy, e.g. 16.02.2027.")},
        help_text=_("Only when the group invited a facilitator back: the date you agreed."),
    )
    # groups.meetings.change_rhythm: the group may choose every other week
    # after its first 12 weeks; the facilitator records it here.
    every_other_week_from = forms.DateField(
        label=_("The group meets every other week from (optional)"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Write the date as dd.mm.yyyy, e.g. 16.02.2027.")},
        help_text=_(
            "Only if the group has chosen it. The first 12 weeks are always weekly; "
            "the members are told."
        ),
    )
    note = forms.CharField(
        label=_("Short note (optional)"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "The note can be at most %(limit_value)d characters long; it has %(show_value)d."
            )
        },
        help_text=_(
            "At most 300 characters, about the group as a whole. Never write health "
            "details or anything about one person: what is said in the group stays there."
        ),
    )

    def __init__(self, *args, follow_up, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("done_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.follow_up = follow_up

    def error_summary(self):
        """(anchor id or "", message) for every error, in the order of the page."""
        entries = [("", error) for error in self.non_field_errors()]
        for bound_field in self:
            anchor = bound_field.auto_id
            if isinstance(bound_field.field.widget, forms.RadioSelect):
                anchor = f"{anchor}_0"
            entries += [(anchor, error) for error in bound_field.errors]
        return entries

    def clean(self):
        data = super().clean()
        if data.get("outcome") != FollowUp.Outcome.INVITED_BACK:
            data["visit_on"] = None
        # The rules are the service's, shown next to each field.
        add_rule_errors(
            self,
            services.follow_up_errors(
                group=self.follow_up.group,
                done_on=data.get("done_on"),
                outcome=data.get("outcome"),
                note=data.get("note", ""),
                visit_on=data.get("visit_on"),
            ),
        )
        if data.get("every_other_week_from"):
            for message in group_meetings.rhythm_errors(
                self.follow_up.group, starts_on=data["every_other_week_from"], every_weeks=2
            ):
                self.add_error("every_other_week_from", message)
        return data

    @transaction.atomic
    def call_service(self, *, actor, **kwargs):
        values = dict(self.cleaned_data)
        every_other_week_from = values.pop("every_other_week_from", None)
        follow_up = services.complete_follow_up(follow_up=self.follow_up, actor=actor, **values)
        if every_other_week_from:
            group_meetings.change_rhythm(
                group=self.follow_up.group,
                starts_on=every_other_week_from,
                every_weeks=2,
                actor=actor,
            )
        return follow_up


class AssignmentForm(forms.ModelForm):
    """A row of the group page's facilitators: assign, attend more meetings, or withdraw."""

    withdraw = forms.BooleanField(
        label=_("withdraw today"),
        required=False,
        help_text=_("The facilitator no longer attends meetings nor sees the group."),
    )

    class Meta:
        model = Assignment
        fields = ["facilitator", "meetings_attended"]
        widgets = {
            "meetings_attended": forms.NumberInput(
                attrs={"min": 1, "max": MAX_MEETINGS_ATTENDED, "class": "vIntegerField"}
            )
        }

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Q(active=True)
        if group is not None:
            choices &= Q(centres=group.centre_id)
        if self.instance.pk:
            # Another person is another assignment: withdraw this one and add a row.
            self.fields["facilitator"].disabled = True
            choices |= Q(pk=self.instance.facilitator_id)
        else:
            self.fields["withdraw"].disabled = True
        self.fields["facilitator"].queryset = (
            Facilitator.objects.filter(choices).select_related("user").distinct()
        )
        # The admin shows each row in a table without <label>s: name every input.
        # (In the admin a select sits inside a RelatedFieldWidgetWrapper: the
        # attributes belong on the select itself.)
        for field in self.fields.values():
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs = {**widget.attrs, "aria-label": str(field.label)}


class FollowUpAdminForm(forms.ModelForm):
    """Staff record a follow-up in the admin: the same rules as FollowUpForm."""

    visit_on = FollowUpForm.base_fields["visit_on"]

    class Meta:
        model = FollowUp
        fields = ["done_on", "outcome", "note"]
        widgets = {"done_on": DateInput, "note": forms.Textarea(attrs={"rows": 3, "cols": 60})}
        help_texts = {"note": FollowUpForm.base_fields["note"].help_text}

    def clean(self):
        data = super().clean()
        done_on, outcome = data.get("done_on"), data.get("outcome")
        # Nothing to record yet, or recorded before: the page only shows it.
        if getattr(self.instance, "was_done", False) or not (done_on or outcome):
            return data
        add_rule_errors(
            self,
            services.follow_up_errors(
                group=self.instance.group,
                done_on=done_on,
                outcome=outcome,
                note=data.get("note", ""),
                visit_on=data.get("visit_on"),
            ),
        )
        return data
