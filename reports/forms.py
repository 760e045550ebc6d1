"""The period picker of the reports page (a GET form: its address can be bookmarked)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import access, periods


def _quarters():
    return [("", _("The whole year"))] + [
        (str(n), gettext("Quarter %(n)s") % {"n": n}) for n in range(1, 5)
    ]


def _months():
    return [("", _("No month chosen"))] + [
        (str(number), name) for number, name in enumerate(periods.MONTH_NAMES, start=1)
    ]


class ReportForm(forms.Form):
    centre = forms.ChoiceField(label=_("Report for"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), choices=_quarters, coerce=int, required=False, empty_value=None
    )
    month = forms.TypedChoiceField(
        label=_("Month"), choices=_months, coerce=int, required=False, empty_value=None
    )
    start = forms.DateField(
        label=_("From (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To and including (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Give both dates for a period of your own; they go before year and month."),
    )
    compare = forms.BooleanField(
        label=_("Compare with the same period the year before"), required=False
    )

    def __init__(self, data=None, *, user, **kwargs):
        today = timezone.localdate()
        defaults = {"year": str(today.year), "centre": access.default_centre_slug(user)}
        if data is not None:
            data = {**defaults, **{key: data.get(key) for key in data}}
        super().__init__(data if data is not None else defaults, **kwargs)
        choices = [(centre.slug, centre.name) for centre in access.centres_for(user)]
        if user.is_superuser:
            choices.insert(0, ("", _("The whole country")))
        self.fields["centre"].choices = choices
        first = min(2020, today.year - 5)
        self.fields["year"].choices = [
            (str(y), str(y)) for y in range(today.year + 1, first - 1, -1)
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        try:
            if start or end:
                if not (start and end):
                    raise ValidationError(_("Give both dates, or neither."))
                data["period"] = periods.between(start, end)
            elif "year" not in data:
                return data
            elif data.get("month") and data.get("quarter"):
                raise ValidationError(_("Choose a quarter or a month, not both."))
            elif data.get("month"):
                data["period"] = periods.month(data["year"], data["month"])
            elif data.get("quarter"):
                data["period"] = periods.quarter(data["year"], data["quarter"])
            else:
                data["period"] = periods.year(data["year"])
        except periods.PeriodError as error:
            raise ValidationError(str(error)) from None
        return data
