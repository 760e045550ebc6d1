"""The public interest form: validates and normalises, then hands over to submit_intake."""

import uuid

import phonenumbers
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from selvhjelp.models import Centre

from . import choices
from .consent import CONSENT_SUMMARY, CONSENT_VERSION
from .models import Intake, Slot, is_adult

OLDEST_AGE = 110
ABOUT_MAX_LENGTH = Intake._meta.get_field("about").max_length
NAME_MAX_LENGTH = Intake._meta.get_field("name").max_length
# Columns of the availability grid, in the order of the day (Slot sorts by name).
PARTS_OF_DAY = [Slot.Part.MORNING, Slot.Part.AFTERNOON, Slot.Part.EVENING]
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class EvaluatedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices from the field's queryset as evaluated once, not a new query each time.

    Django's iterator runs `.iterator()` (a server-side cursor on PostgreSQL)
    every time the choices are drawn; the centres are few, and the form page
    asks whether there are any before drawing them.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class CentreChoiceField(forms.ModelChoiceField):
    iterator = EvaluatedChoiceIterator

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.area})"


class CachedModelChoicesField(forms.MultipleChoiceField):
    """Several model instances from a list kept in the cache (intake.choices).

    Like ModelMultipleChoiceField, but neither showing nor checking the
    choices asks the database: `objects` returns the instances offered (read
    once per form), and `clean` returns the chosen ones among them, in the
    order offered.
    """

    def __init__(self, *, objects, **kwargs):
        self.objects = objects
        self._offered = None
        super().__init__(choices=self._choices, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._offered = None
        result.choices = result._choices
        return result

    def offer(self, objects):
        """Offer these instances (already read) rather than asking `objects`."""
        self._offered = {str(obj.pk): obj for obj in objects}

    def offered(self):
        """{pk as text: instance} of the choices, read once for this form."""
        if self._offered is None:
            self._offered = {str(obj.pk): obj for obj in self.objects()}
        return self._offered

    def _choices(self):
        return [(pk, str(obj)) for pk, obj in self.offered().items()]

    @property
    def queryset(self):
        """The instances offered (a list; the name ModelMultipleChoiceField uses)."""
        return list(self.offered().values())

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        offered = self.offered()
        for chosen in value:
            if chosen not in offered:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": chosen},
                )

    def clean(self, value):
        chosen = set(super().clean(value))
        return [obj for pk, obj in self.offered().items() if pk in chosen]


class FreeTextField(forms.CharField):
    """Free text counted as the person sees it.

    A line break counts as one character, as in the page's counter (browsers
    send it as two). No maxlength attribute: the browser would silently cut
    pasted text; the counter and the error message say what is too long.
    """

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class PhoneInput(RegionalPhoneNumberWidget):
    """A tel input that shows back exactly what was typed when the form has errors."""

    def format_value(self, value):
        if isinstance(value, str):
            return forms.TextInput.format_value(self, value)
        return super().format_value(value)


def radio(**attrs):
    return forms.RadioSelect(attrs={"class": "form-check-input", **attrs})


def checkboxes():
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def contact_errors(data):
    """(field, message) when the contact details cannot reach the person the way they chose."""
    phone, email = data.get("phone"), data.get("email")
    contact_by = data.get("contact_by")
    if "phone" not in data or "email" not in data:
        return []
    if not (phone or email):
        return [
            (
                "phone",
                _(
                    "Write your mobile number or your email address, or both, "
                    "so the centre can reach you."
                ),
            )
        ]
    if contact_by == Intake.ContactBy.PHONE and not phone:
        return [("phone", _("You chose to be contacted by phone. Write your mobile number."))]
    if contact_by == Intake.ContactBy.SMS and not phone:
        return [("phone", _("You chose to get an SMS. Write your mobile number."))]
    if contact_by == Intake.ContactBy.EMAIL and not email:
        return [("email", _("You chose to be contacted by email. Write your email address."))]
    return []


class IntakeForm(forms.Form):
    centre = CentreChoiceField(
        label=_("Which centre do you want to contact?"),
        queryset=Centre.objects.none(),
        empty_label=_("Choose a centre"),
        help_text=_("Choose the centre nearest to you, or one that runs digital groups."),
        error_messages={
            "required": _("Choose the centre you want to contact."),
            "invalid_choice": _("Choose a centre from the list."),
        },
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
        error_messages={
            "required": _("Write your name."),
            "max_length": _("The name can be at most %(limit_value)d characters long."),
        },
    )
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        help_text=_("Four digits, for example 1985."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-year", "class": "input-year"}
        ),
        error_messages={
            "required": _("Write the year you were born."),
            "invalid": _("Write the year you were born with four digits, for example 1985."),
        },
    )
    confirmed_adult = forms.BooleanField(
        label=_("I am 18 years or older"),
        error_messages={"required": _("Confirm that you are 18 years or older.")},
    )
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        help_text=_(
            "We ask because a group works best with both women and men. You do not have to answer."
        ),
        choices=[*Intake.Gender.choices, ("", _("I would rather not say"))],
        required=False,
        widget=radio(),
        error_messages={"invalid_choice": _("Choose one of the answers.")},
    )
    phone = PhoneNumberField(
        label=_("Mobile number"),
        region="NO",
        required=False,
        help_text=_("A Norwegian mobile number, 8 digits."),
        widget=PhoneInput(region="NO", attrs={"autocomplete": "tel"}),
        error_messages={
            "invalid": _("Write a Norwegian mobile number with 8 digits, for example 912 34 567.")
        },
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "invalid": _("Write an email address like name@example.no."),
            "max_length": _("The email address can be at most %(limit_value)d characters long."),
        },
    )
    contact_by = forms.ChoiceField(
        label=_("How would you like the centre to contact you?"),
        choices=Intake.ContactBy.choices,
        initial=Intake.ContactBy.PHONE,
        widget=radio(),
        error_messages={
            "required": _("Choose how the centre should contact you."),
            "invalid_choice": _("Choose how the centre should contact you."),
        },
    )
    themes = CachedModelChoicesField(
        label=_("What would you like to talk about in a group? (optional)"),
        help_text=_("Tick as many as you like. You choose how much you tell."),
        objects=choices.themes,
        required=False,
        widget=checkboxes(),
        error_messages={
            "invalid_list": _("Choose themes from the list."),
            "invalid_choice": _("Choose themes from the list."),
        },
    )
    about = FreeTextField(
        label=_("Is there anything you want the centre to know? (optional)"),
        max_length=ABOUT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        error_messages={
            "max_length": _(
                "You have written %(show_value)d characters. "
                "Shorten the text to at most %(limit_value)d."
            ),
        },
    )
    format = forms.ChoiceField(
        label=_("How would you like to meet?"),
        choices=Intake.Format.choices,
        initial=Intake.Format.EITHER,
        widget=radio(),
        error_messages={
            "required": _("Choose how you would like to meet."),
            "invalid_choice": _("Choose how you would like to meet."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Who would you like to be in a group with?"),
        help_text=_(
            "Most groups gather people with different problems. Some gather people "
            "who share the same problem."
        ),
        choices=Intake.Kind.choices,
        initial=Intake.Kind.ANY,
        widget=radio(),
        error_messages={
            "required": _("Choose what kind of group you would like."),
            "invalid_choice": _("Choose what kind of group you would like."),
        },
    )
    availability = CachedModelChoicesField(
        label=_("When can you usually meet? (optional)"),
        help_text=_(
            "Tick every time that suits you. Groups meet once a week for about two "
            "hours. If you are not sure, leave it empty: the centre will ask you when they "
            "get in touch."
        ),
        objects=choices.slots,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_list": _("Choose times from the table."),
            "invalid_choice": _("Choose times from the table."),
        },
    )
    # A confirmation the form asks for and submit_intake checks; not stored.
    applying_for_self = forms.BooleanField(
        label=_("I am filling in this form for myself"),
        help_text=_(
            "Nobody can sign someone else up: not a doctor, an employer or a relative. "
            "Someone may help you fill in the form, but joining must be your own choice."
        ),
        error_messages={
            "required": _("Confirm that you are filling in the form for yourself."),
        },
    )
    consent = forms.BooleanField(
        label=CONSENT_SUMMARY,
        error_messages={
            "required": _("Tick the box to give your consent, or we cannot store the form."),
        },
    )
    # Generated when the page is shown: a double click or a retried request
    # sends the same key, and submit_intake returns the intake it already saved.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # The honeypot: hidden from people and screen readers, filled in by bots.
    # A plain Field, so that no input whatsoever makes it show an error.
    website = forms.Field(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, centre=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = Centre.objects.active()
        if centre is not None:
            self.fields["centre"].initial = centre.pk
        # Both lists of choices with one trip to the cache (intake.choices).
        themes, slots = choices.both()
        self.fields["themes"].offer(themes)
        self.fields["availability"].offer(slots)
        self.fields["submission_key"].initial = uuid.uuid4
        self.fields["about"].help_text = gettext(
            "Write as much or as little as you like, at most %(max)d characters. "
            "Only the centre's staff will read it."
        ) % {"max": ABOUT_MAX_LENGTH}
        self.fields["consent"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a><br>'
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("privacy"),
            _("Read how we handle your information (opens in a new tab)"),
            reverse("intake:consent-text", kwargs={"version": CONSENT_VERSION}),
            _("The consent text as we keep it, version %(version)s (opens in a new tab)")
            % {"version": CONSENT_VERSION},
        )
        if self.is_bound:
            self._keep_a_valid_submission_key()

    def _keep_a_valid_submission_key(self):
        # A missing or mangled key gets a fresh one instead of an error the
        # person cannot see or fix; the re-shown form then carries the new key.
        name = self.add_prefix("submission_key")
        try:
            uuid.UUID(str(self.data.get(name, "")))
        except ValueError:
            self.data = self.data.copy()
            self.data[name] = str(uuid.uuid4())

    # --- Validation ----------------------------------------------------------

    def clean_birth_year(self):
        year = self.cleaned_data["birth_year"]
        this_year = timezone.localdate().year
        if not this_year - OLDEST_AGE <= year <= this_year:
            raise forms.ValidationError(
                _("Check the year you were born. Write it with four digits, for example 1985."),
                code="implausible",
            )
        if not is_adult(year, timezone.localdate()):
            raise forms.ValidationError(
                _(
                    "The self-help groups here are for adults aged 18 or older. "
                    "Your GP or school health service can tell you about help for younger people."
                ),
                code="under_age",
            )
        return year

    def clean_phone(self):
        number = self.cleaned_data["phone"]
        if number and (
            number.country_code != 47
            or phonenumbers.region_code_for_number(number) != "NO"
            or phonenumbers.number_type(number) not in MOBILE_TYPES
        ):
            raise forms.ValidationError(
                _("Write a Norwegian mobile number with 8 digits, for example 912 34 567."),
                code="not_norwegian_mobile",
            )
        return number or ""

    def clean(self):
        data = super().clean()
        for name, error in contact_errors(data):
            self.add_error(name, error)
        centre = data.get("centre")
        if (
            centre
            and data.get("format") == Intake.Format.DIGITAL
            and not centre.runs_digital_groups
        ):
            self.add_error(
                "format",
                _(
                    "%(centre)s does not run digital groups. Choose to meet in person or "
                    "that either is fine, or choose a centre with digital groups."
                )
                % {"centre": centre.name},
            )
        return data

    # --- For the view and the template ----------------------------------------

    def is_spam(self):
        """True when the honeypot was filled in: the form is dropped without a word."""
        return bool(self.cleaned_data.get("website"))

    def submission(self):
        """The keyword arguments for services.submit_intake."""
        data = self.cleaned_data
        return {
            "centre": data["centre"],
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
            "contact_by": data["contact_by"],
            "birth_year": data["birth_year"],
            "confirmed_adult": data["confirmed_adult"],
            "gender": data["gender"],
            "themes": data["themes"],
            "about": data["about"],
            "format": data["format"],
            "kind": data["kind"],
            "availability": data["availability"],
            "applying_for_self": data["applying_for_self"],
            "consent_given": data["consent"],
            "submission_key": data["submission_key"],
        }

    def availability_grid(self):
        """Rows of (weekday, cells) for the weekday × part-of-day table.

        Each cell is a dict with the checkbox's id, value, accessible label and
        whether it is ticked, or None when that slot does not exist.
        """
        field = self["availability"]
        ticked = {str(value) for value in (field.value() or [])}
        slots = {(slot.weekday, slot.part): slot for slot in self.fields["availability"].queryset}
        rows = []
        for weekday, day_name in Slot.WEEKDAYS:
            cells = []
            for part in PARTS_OF_DAY:
                slot = slots.get((weekday, part))
                cells.append(
                    slot
                    and {
                        "id": f"{field.auto_id}_{weekday}_{part}",
                        "value": slot.pk,
                        "label": str(slot),
                        "checked": str(slot.pk) in ticked,
                    }
                )
            rows.append((day_name, cells))
        return rows

    def parts_of_day(self):
        return [Slot.Part(part).label for part in PARTS_OF_DAY]

    def error_anchor(self, bound_field):
        """The id of the input an error summary link should move focus to."""
        if bound_field.name == "availability":
            first = next(
                (cell for _, cells in self.availability_grid() for cell in cells if cell), None
            )
            return first["id"] if first else ""
        # Radio buttons and checkbox groups (CheckboxSelectMultiple is a RadioSelect).
        if isinstance(bound_field.field.widget, forms.RadioSelect):
            return f"{bound_field.auto_id}_0"
        return bound_field.auto_id

    def error_summary(self):
        """(anchor id or "", message) for every error, in the order of the page."""
        entries = [("", error) for error in self.non_field_errors()]
        for bound_field in self:
            for error in bound_field.errors:
                anchor = "" if bound_field.is_hidden else self.error_anchor(bound_field)
                entries.append((anchor, error))
        return entries


class StatusUpdateForm(forms.Form):
    """What a person may change on their status page: how to reach them and when they can meet.

    The fields, their checks and the times grid are the interest form's own.
    """

    phone = IntakeForm.base_fields["phone"]
    email = IntakeForm.base_fields["email"]
    contact_by = IntakeForm.base_fields["contact_by"]
    availability = IntakeForm.base_fields["availability"]

    clean_phone = IntakeForm.clean_phone
    availability_grid = IntakeForm.availability_grid
    parts_of_day = IntakeForm.parts_of_day
    error_anchor = IntakeForm.error_anchor
    error_summary = IntakeForm.error_summary

    def __init__(self, *args, intake, **kwargs):
        initial = {
            "phone": intake.phone,
            "email": intake.email,
            "contact_by": intake.contact_by,
            "availability": [slot.pk for slot in intake.availability.all()],
        }
        super().__init__(*args, initial=initial, **kwargs)

    def clean(self):
        data = super().clean()
        for name, error in contact_errors(data):
            self.add_error(name, error)
        return data

    def changes(self):
        """The keyword arguments for services.update_by_person."""
        return {name: self.cleaned_data[name] for name in self.changed_data}
