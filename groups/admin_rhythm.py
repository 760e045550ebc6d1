"""Staff let a group meet every other week from a date, or weekly again (the admin).

A change is written once through groups.meetings.change_rhythm and kept as
history: it cannot be edited or deleted (a new change undoes it). Registered
from groups/admin.py.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from selvhjelp.admin import CentreScopedAdmin
from selvhjelp.dates import long_date

from . import meetings
from .models import Group, RhythmChange


class RhythmChangeForm(forms.ModelForm):
    class Meta:
        model = RhythmChange
        fields = ["group", "starts_on", "every_weeks"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "starts_on": _(
                "From the group's first meeting on or after this date. The first 12 weeks "
                "are always weekly."
            )
        }

    def clean(self):
        data = super().clean()
        group, starts_on, every = (data.get(k) for k in ("group", "starts_on", "every_weeks"))
        if group and starts_on and every:
            for message in meetings.rhythm_errors(group, starts_on=starts_on, every_weeks=every):
                self.add_error("starts_on", message)
        return data


class RhythmChangeAdmin(CentreScopedAdmin):
    centre_lookup = "group__centre"
    form = RhythmChangeForm
    list_display = ["group", "starts_on_display", "every_weeks", "created_by", "created_at"]
    list_filter = ["every_weeks"]
    list_select_related = ["group", "created_by"]
    search_fields = ["group__name"]

    @admin.display(description=_("from"), ordering="starts_on")
    def starts_on_display(self, obj):
        return long_date(obj.starts_on)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            groups = Group.objects.filter(status__in=[Group.Status.STARTED, Group.Status.SELF_RUN])
            kwargs["queryset"] = groups.for_user(request.user).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = meetings.change_rhythm(
            group=obj.group,
            starts_on=obj.starts_on,
            every_weeks=obj.every_weeks,
            actor=request.user,
        )
        obj.pk, obj.starts_on, obj.created_at = saved.pk, saved.starts_on, saved.created_at
