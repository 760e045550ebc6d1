"""Staff handling of interest forms and themes in the admin.

Every state change goes through intake.services with the request user as
actor; the admin only collects input, shows the result and turns a domain
error (IntakeError) into a message instead of a 500.
"""

from datetime import timedelta

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.functions import Now
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from groups.forming import form_group_action
from selvhjelp.admin import CentreScopedAdmin, OwnCentreFilter, RuleErrorsAsMessages
from selvhjelp.audit import Action, Page, access_log_url, audit_log_url, record_access
from selvhjelp.models import Centre

from . import retention, rights, selectors, services
from .forms import IntakeForm
from .models import (
    REFERENCE_ALPHABET,
    ContactAttempt,
    Intake,
    IntakeError,
    KeepApart,
    Slot,
    StatusChange,
    Theme,
)

Status = Intake.Status

# The moves staff make by hand, with the words on their buttons. "Placed"
# is missing on purpose: it happens when a group is formed.
STATUS_ACTIONS = {
    Status.CONTACTED: _("Mark as contacted"),
    Status.WAITING: _("Mark as ready for a group"),
    Status.WITHDRAWN: _("Withdraw"),
    Status.CLOSED: _("Close"),
}
STATUS_EXPLANATIONS = {
    Status.CONTACTED: _("The centre has talked with the person."),
    Status.WAITING: _("The person is on the waiting list for a group."),
    Status.WITHDRAWN: _("The person no longer wants a group. The handling ends."),
    Status.CLOSED: _(
        "The centre ends the handling, for example because nobody could reach the person."
    ),
}
PART_ORDER = {part: index for index, part in enumerate(Slot.Part.values)}


def person_name(user):
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


# --- List filters -------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Status, open ones by default: the list is first of all a waiting list.

    A search looks in every status, so a reference read out on the phone is
    found even when that form was closed long ago.
    """

    title = _("status")
    parameter_name = "status"
    OPEN, ALL = "open", "all"

    def lookups(self, request, model_admin):
        return [
            (self.OPEN, _("Open (new, contacted, ready)")),
            *Status.choices,
            (self.ALL, _("All")),
        ]

    def effective_value(self):
        if self.value() is not None:
            return self.value()
        return self.ALL if self.request.GET.get("q", "").strip() else self.OPEN

    def choices(self, changelist):
        current = self.effective_value()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.effective_value()
        if value == self.ALL:
            return queryset
        if value == self.OPEN:
            return queryset.open()
        if value in Status.values:
            return queryset.filter(status=value)
        raise IncorrectLookupParameters(value)


class WaitingLongerFilter(admin.SimpleListFilter):
    title = _("waiting longer than")
    parameter_name = "waiting_days"
    DAYS = (7, 14, 30, 60)

    def lookups(self, request, model_admin):
        return [
            (str(days), ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in self.DAYS
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in {str(days) for days in self.DAYS}:
            raise IncorrectLookupParameters(self.value())
        since = timezone.now() - timedelta(days=int(self.value()))
        return queryset.open().filter(created_at__lt=since)


class IdleFilter(admin.SimpleListFilter):
    """Forms with no activity for INTAKE_IDLE_MONTHS, which the nightly job will close."""

    title = _("no activity")
    parameter_name = "idle"

    def lookups(self, request, model_admin):
        return [("1", _("To be closed for lack of activity"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() != "1":
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(pk__in=retention.intakes_noticed_idle().values("pk"))


class ThemeFilter(admin.RelatedFieldListFilter):
    """Themes are health information: a superuser filters by them only at their own centres.

    A national administrator who is not staff of a centre does not see whose
    form has which theme there (intake.rights).
    """

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        if request.user.is_superuser and self.used_parameters:
            queryset = queryset.filter(centre__staff_memberships__user=request.user)
        return queryset


class SlotFilter(admin.RelatedFieldListFilter):
    """Times of week in the order of a day, not the alphabet."""

    def field_choices(self, field, request, model_admin):
        slots = sorted(Slot.objects.all(), key=lambda s: (s.weekday, PART_ORDER[s.part]))
        return [(slot.pk, str(slot)) for slot in slots]


# --- Forms --------------------------------------------------------------------


class IntakeAdminForm(forms.ModelForm):
    class Meta:
        model = Intake
        fields = list(services.EDITABLE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("email") or cleaned.get("phone")) and not self.has_error("phone"):
            raise forms.ValidationError(
                _("Give an email address or a mobile number so the centre can reach the person.")
            )
        if self.instance.pk and "centre" in self.changed_data:
            try:
                services.ensure_may_move_centre(self.instance)
            except IntakeError as error:
                self.add_error("centre", str(error))
        return cleaned


class ContactAttemptForm(forms.ModelForm):
    class Meta:
        model = ContactAttempt
        fields = ["kind", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 60})}
        help_texts = {"note": _("Seen by the centre's staff only. No health information.")}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ContactAttempt.Kind.NOTE and not cleaned.get("note", "").strip():
            self.add_error("note", _("Write the note before saving it."))
        if cleaned.get("note", "").strip() and not cleaned.get("kind"):
            # A note typed without choosing what happened is kept, never dropped.
            self.add_error("kind", _("Choose what happened, so the note can be saved."))
        return cleaned


class ContactAttemptAndStatusForm(ContactAttemptForm):
    """The same entry on a new form, with "mark as contacted" ticked: the common case."""

    mark_contacted = forms.BooleanField(
        label=_("Mark as contacted at the same time"),
        required=False,
        initial=True,
        help_text=_("Untick when you did not reach the person."),
    )

    def has_changed(self):
        # The ticked box alone is no entry; an entry is what happened, or a note.
        return bool(self.changed_data and set(self.changed_data) - {"mark_contacted"})


class StatusReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=StatusChange._meta.get_field("reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept in the status history. Do not write health information here."),
    )

    def __init__(self, *args, to, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = to in services.REASON_REQUIRED


class ReadHealthForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to read it?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Kept in the access log, where the person sees it in their export. "
            "Do not write the person's name."
        ),
    )


class ErasureReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason or request (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_(
            "For example “Asked by phone on 2 December”. Kept in the access log. "
            "Do not write the person's name."
        ),
    )


class ThemeAdminForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "position", "active", "is_other"]

    def clean(self):
        cleaned = super().clean()
        try:
            services.ensure_other_theme_remains(
                theme=self.instance,
                active=cleaned.get("active", False),
                is_other=cleaned.get("is_other", False),
            )
        except IntakeError as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


# --- Inlines ------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    # Django's tabular inline with names for its empty header cells (axe).
    template = "admin/groups/edit_inline/tabular.html"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusHistoryInline(ReadOnlyInline):
    model = StatusChange
    verbose_name_plural = _("status history")
    fields = ["changed_at", "who", "from_status", "to_status", "reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description=_("by"))
    def who(self, change):
        return person_name(change.changed_by)


class ContactLogInline(ReadOnlyInline):
    model = ContactAttempt
    verbose_name_plural = _("contact attempts and notes")
    fields = ["at", "who", "kind", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("by"))
    def who(self, attempt):
        return person_name(attempt.by)


class NewContactAttemptInline(admin.StackedInline):
    """An empty form for one new entry; who and when come from the request.

    Saved through services.record_contact_attempt in IntakeAdmin.save_formset,
    so the log can never be written in someone else's name or edited later.
    """

    model = ContactAttempt
    form = ContactAttemptForm
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("new contact attempt or note")
    verbose_name_plural = _("log a contact attempt or note")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        # On a new form, logging the call and marking it contacted is one step.
        if obj is not None and obj.status == Status.NEW:
            kwargs["form"] = ContactAttemptAndStatusForm
            kwargs["fields"] = ["kind", "note", "mark_contacted"]
        return super().get_formset(request, obj, **kwargs)


class KeepApartForm(forms.ModelForm):
    class Meta:
        model = KeepApart
        fields = ["other"]
        # In a table row the column header is the only visible label.
        widgets = {"other": forms.Select(attrs={"aria-label": _("Not in the same group as")})}

    def clean_other(self):
        other = self.cleaned_data["other"]
        if self.instance.pk and other != self.instance.other:
            raise forms.ValidationError(
                _("Remove the line and add a new one to choose another person.")
            )
        return other


class KeepApartInline(admin.TabularInline):
    """Who this person must not be in a group with: staff only, never shown to the person.

    Saved through intake.services.keep_apart / stop_keeping_apart in
    IntakeAdmin.save_formset, which write and remove both directions.
    """

    model = KeepApart
    fk_name = "intake"
    form = KeepApartForm
    # Names for the header cells Django leaves empty (axe: empty-table-header).
    template = "admin/groups/edit_inline/tabular.html"
    extra = 1
    fields = ["other", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    verbose_name = _("not in the same group as")
    verbose_name_plural = _("not in the same group as (seen by the centre's staff only)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("other", "created_by")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["other"]
        field.queryset = Intake.objects.none()
        if obj is not None:
            field.queryset = (
                Intake.objects.filter(centre=obj.centre_id, anonymised_at__isnull=True)
                .exclude(pk=obj.pk)
                .order_by("name", "pk")
            )
        field.help_text = _(
            "For example neighbours, colleagues or former partners. Never write why."
        )
        return formset


# --- Interest forms -----------------------------------------------------------


@admin.register(Intake)
class IntakeAdmin(CentreScopedAdmin):
    form = IntakeAdminForm
    list_display = ["reference", "name", "centre", "status", "days_waiting", "format", "created_at"]
    list_display_links = ["reference", "name"]
    list_select_related = ["centre"]
    list_filter = [
        StatusFilter,
        ("centre", OwnCentreFilter),
        WaitingLongerFilter,
        IdleFilter,
        "format",
        "kind",
        ("themes", ThemeFilter),
        "gender",
        ("availability", SlotFilter),
    ]
    search_fields = ["name", "reference", "phone", "email"]
    search_help_text = _("Search by name, reference, mobile number or email.")
    list_per_page = 50
    actions = ["mark_contacted", "mark_waiting", "withdraw", "close", form_group_action]
    inlines = [StatusHistoryInline, ContactLogInline, NewContactAttemptInline, KeepApartInline]
    readonly_fields = [
        "reference",
        "status",
        "status_changed_at",
        "days_waiting",
        "created_at",
        "birth_year_and_age",
        "confirmed_adult",
        "theme_list",
        "availability_list",
        "about_text",
        "themes_withheld",
        "about_withheld",
        "consent_version",
        "consent_language",
        "consent_given_at",
    ]
    fieldsets = [
        (
            _("Handling"),
            {
                "fields": [
                    ("reference", "centre"),
                    ("status", "status_changed_at"),
                    ("created_at", "days_waiting"),
                ]
            },
        ),
        (_("Contact"), {"fields": ["name", "email", "phone", "contact_by"]}),
        (
            _("About the person"),
            {"fields": ["birth_year_and_age", "gender", "confirmed_adult"]},
        ),
        (_("Wishes"), {"fields": ["format", "kind", "theme_list", "availability_list"]}),
        (
            _("In their own words"),
            {
                "fields": ["about_text"],
                "description": _(
                    "Health information. Only the centre's staff may read it. "
                    "Never copy it into messages, notes or reasons."
                ),
                "classes": ["health-information"],
            },
        ),
        (
            _("Consent"),
            {"fields": [("consent_version", "consent_language", "consent_given_at")]},
        ),
    ]
    # Shown instead of the health information to a superuser outside the centre.
    WITHHELD = {"theme_list": "themes_withheld", "about_text": "about_withheld"}

    class Media:
        css = {"all": ["css/intake-admin.css"]}

    def get_queryset(self, request):
        waiting = models.Case(
            models.When(
                status__in=Intake.OPEN_STATUSES,
                then=models.ExpressionWrapper(
                    Now() - models.F("created_at"), output_field=models.DurationField()
                ),
            ),
            default=None,
            output_field=models.DurationField(),
        )
        return super().get_queryset(request).annotate(waiting=waiting)

    def has_add_permission(self, request):
        # Interest forms come from the person, with their consent.
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not rights.needs_reason_to_read(request.user, obj):
            return fieldsets
        return [
            (title, {**options, "fields": [self.WITHHELD.get(f, f) for f in options["fields"]]})
            for title, options in fieldsets
        ]

    def _changelist_with_access(self, request, extra_context=None):
        """The list; a search or a theme filter is an access to each person it shows."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) and response.context_data.get("cl")
        if changelist is not None:
            by_theme = any(key.startswith("themes__") for key in request.GET)
            if changelist.query or by_theme:
                # Fetches the page's rows now; the template then reuses them.
                record_access(
                    actor=request.user,
                    action=Action.LISTED,
                    people=list(changelist.result_list),
                    page=Page.THEME if by_theme else Page.SEARCH,
                )
        return response

    def get_actions(self, request):
        # Deleting one form (a person's erasure request) stays on its own
        # page; deleting many health records from a list is one click too easy.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        exact = self._exact_matches(search_term)
        if exact:
            found = found | queryset.filter(exact)
        return found, may_have_duplicates

    @staticmethod
    def _exact_matches(term):
        """A reference or mobile number typed the way it is said on the phone."""
        exact = models.Q()
        compact = "".join(term.split()).replace("-", "").upper()
        if len(compact) == 6 and set(compact) <= set(REFERENCE_ALPHABET):
            exact |= models.Q(reference=f"{compact[:3]}-{compact[3:]}")
        try:
            number = phonenumbers.parse(term, "NO")
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            exact |= models.Q(
                phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            )
        return exact

    # --- Readable answers -----------------------------------------------------

    @admin.display(description=_("days waiting"), ordering="waiting")
    def days_waiting(self, intake):
        waiting = getattr(intake, "waiting", None)
        if waiting is None:
            return None
        days = waiting.days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    @admin.display(description=_("year of birth"))
    def birth_year_and_age(self, intake):
        age = intake.age_on(timezone.localdate())
        return _("%(year)d (turns %(age)d this year)") % {"year": intake.birth_year, "age": age}

    @admin.display(description=_("themes"))
    def theme_list(self, intake):
        themes = [theme.name for theme in intake.themes.all()]
        if not themes:
            return _("None chosen")
        return format_html(
            '<ul class="intake-list">{}</ul>',
            format_html_join("", "<li>{}</li>", ((name,) for name in themes)),
        )

    @admin.display(description=_("available"))
    def availability_list(self, intake):
        days = {}
        for slot in sorted(
            intake.availability.all(), key=lambda s: (s.weekday, PART_ORDER[s.part])
        ):
            days.setdefault(slot.get_weekday_display(), []).append(str(slot.get_part_display()))
        if not days:
            return _("None given")
        return format_html(
            '<ul class="intake-list">{}</ul>',
            format_html_join(
                "", "<li>{}: {}</li>", ((day, ", ".join(parts)) for day, parts in days.items())
            ),
        )

    @admin.display(description=_("themes"))
    def themes_withheld(self, intake):
        return self._withheld(intake)

    @admin.display(description=_("in their own words (health information)"))
    def about_withheld(self, intake):
        return self._withheld(intake)

    def _withheld(self, intake):
        url = reverse("admin:intake_intake_read_health", args=[intake.pk])
        return format_html(
            '{} <a href="{}">{}</a>',
            _("Health information: only the centre's staff read it."),
            url,
            _("Give a reason to read it"),
        )

    @admin.display(description=_("in their own words (health information)"))
    def about_text(self, intake):
        if not intake.about:
            return _("Nothing written")
        return format_html(
            '<div class="intake-about">{}</div>', linebreaksbr(intake.about, autoescape=True)
        )

    # --- Saving ---------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        services.update_intake_details(intake=obj, fields=form.changed_data, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if issubclass(formset.form, KeepApartForm):
            return self._save_keep_apart(request, form.instance, formset)
        if not issubclass(formset.form, ContactAttemptForm):
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these three lists.
        formset.new_objects = [
            services.log_contact(
                intake=form.instance,
                kind=entry.cleaned_data["kind"],
                note=entry.cleaned_data.get("note", ""),
                actor=request.user,
                mark_contacted=entry.cleaned_data.get("mark_contacted", False),
            )
            for entry in formset.forms
            if entry.has_changed() and entry.is_valid()
        ]
        formset.changed_objects, formset.deleted_objects = [], []
        return formset.new_objects

    def _save_keep_apart(self, request, intake, formset):
        new, deleted = [], []
        for entry in formset.forms:
            if not entry.has_changed() or not entry.is_valid():
                continue
            if entry.cleaned_data.get("DELETE") and entry.instance.pk:
                services.stop_keeping_apart(
                    intake=intake, other=entry.instance.other, actor=request.user
                )
                deleted.append(entry.instance)
            elif not entry.instance.pk and entry.cleaned_data.get("other"):
                new.append(
                    services.keep_apart(
                        intake=intake, other=entry.cleaned_data["other"], actor=request.user
                    )
                )
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = new, [], deleted
        return new

    # --- Status: buttons on the change page -----------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/status/<str:to>/",
                self.admin_site.admin_view(self.change_status_view),
                name="intake_intake_change_status",
            ),
            path(
                "<path:object_id>/merge/<int:other_id>/",
                self.admin_site.admin_view(self.merge_view),
                name="intake_intake_merge",
            ),
            path(
                "telefon/",
                self.admin_site.admin_view(self.register_phone_view),
                name="intake_intake_register_phone",
            ),
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="intake_intake_export",
            ),
            path(
                "<path:object_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="intake_intake_erase",
            ),
            path(
                "<path:object_id>/read-health/",
                self.admin_site.admin_view(self.read_health_view),
                name="intake_intake_read_health",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["status_actions"] = [
                {
                    "label": label,
                    "needs_reason": to in services.REASON_REQUIRED,
                    "url": reverse("admin:intake_intake_change_status", args=[obj.pk, to]),
                }
                for to, label in STATUS_ACTIONS.items()
                if to in Intake.TRANSITIONS[obj.status]
            ]
            context["export_url"] = reverse("admin:intake_intake_export", args=[obj.pk])
            context["erase_url"] = reverse("admin:intake_intake_erase", args=[obj.pk])
        if obj is not None:
            # Every showing of a person's page is an access in the access log
            # (who, when, which person), read by national administrators.
            record_access(actor=request.user, action=Action.OPENED, people=[obj], page=Page.PERSON)
            context["erasure_request"] = rights.pending_request(obj)
            context["near_duplicates"] = [
                (other, reverse("admin:intake_intake_merge", args=[obj.pk, other.pk]))
                for other in selectors.near_duplicates(obj)
            ]
            context["merged_from"] = list(obj.merged_from.all())
            if request.user.is_superuser:
                context["audit_log_url"] = audit_log_url(obj)
                context["access_log_url"] = access_log_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def merge_view(self, request, object_id, other_id):
        """Merge the form `other_id` into this one (GET asks, POST merges)."""
        keep = self._intake_to_handle(request, object_id)
        duplicate = self._intake_to_handle(request, str(other_id))
        change_url = reverse("admin:intake_intake_change", args=[keep.pk])
        if request.method == "POST":
            try:
                services.merge_intakes(keep=keep, duplicate=duplicate, actor=request.user)
            except IntakeError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(duplicate)s is merged into %(keep)s and closed; both histories are kept.")
                    % {"duplicate": duplicate.reference, "keep": keep.reference},
                    messages.SUCCESS,
                )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Merge two forms of the same person"),
            "keep": keep,
            "duplicate": duplicate,
            "cancel_url": change_url,
        }
        return TemplateResponse(request, "admin/intake/intake/merge.html", context)

    def register_phone_view(self, request):
        """Staff fill in the interest form for a person on the phone (GET shows, POST saves).

        The same form and service as the public page, without its rate
        limit; the form records that it came by phone and who took the
        consent, and the person gets the normal receipt by their channel.
        """
        if not self.has_view_permission(request) or not request.user.has_perm(
            "intake.change_intake"
        ):
            raise PermissionDenied
        form = PhoneIntakeForm(
            request.POST if request.method == "POST" else None, user=request.user
        )
        if form.is_valid():
            try:
                intake = services.submit_intake(
                    **form.submission(),
                    source=Intake.Source.PHONE,
                    consent_taken_by=request.user,
                )
            except IntakeError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _(
                        "%(name)s is registered with the reference %(reference)s; the receipt "
                        "goes to them by their chosen channel."
                    )
                    % {"name": intake.name, "reference": intake.reference},
                    messages.SUCCESS,
                )
                return redirect("admin:intake_intake_change", intake.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Register a person who phoned"),
            "form": form,
            "cancel_url": reverse("admin:intake_intake_changelist"),
        }
        return TemplateResponse(request, "admin/intake/intake/register_phone.html", context)

    def changelist_view(self, request, extra_context=None):
        """The list, with the link to register a person who phoned."""
        extra_context = {
            **(extra_context or {}),
            "register_phone_url": reverse("admin:intake_intake_register_phone"),
        }
        return self._changelist_with_access(request, extra_context)

    def change_status_view(self, request, object_id, to):
        """Ask for a reason when needed (GET), then change the status (POST)."""
        if to not in STATUS_ACTIONS:
            raise Http404
        intake = self._intake_to_handle(request, object_id)
        change_url = reverse("admin:intake_intake_change", args=[intake.pk])
        form = StatusReasonForm(request.POST if request.method == "POST" else None, to=to)
        if form.is_bound and form.is_valid():
            self._change_statuses(request, [intake], to, form.cleaned_data["reason"])
            return redirect(change_url)
        return self._reason_page(request, [intake], to, form, cancel_url=change_url)

    def _intake_to_handle(self, request, object_id):
        """The intake of the URL if the user may change it: 404 if not theirs, 403 if read-only."""
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            raise Http404
        if not self.has_change_permission(request, intake):
            raise PermissionDenied
        return intake

    # --- The person's rights: export and erasure (intake.retention) -----------

    def export_view(self, request, object_id):
        """Everything stored about the person, as a file; recorded as an export."""
        intake = self._intake_to_handle(request, object_id)
        try:
            filename, content = rights.export_person(intake=intake, actor=request.user)
        except IntakeError as error:
            self.message_user(request, str(error), messages.WARNING)
            return redirect("admin:intake_intake_read_health", intake.pk)
        response = HttpResponse(content, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def read_health_view(self, request, object_id):
        """A superuser outside the centre gives a reason (POST) to read the health information."""
        intake = self._intake_to_handle(request, object_id)
        change_url = reverse("admin:intake_intake_change", args=[intake.pk])
        if not rights.needs_reason_to_read(request.user, intake):
            return redirect(change_url)
        form = ReadHealthForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                rights.break_the_glass(
                    intake=intake, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except IntakeError as error:
                form.add_error("reason", str(error))
            else:
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Read the health information"),
            "intake": intake,
            "form": form,
            "minutes": settings.BREAK_GLASS_MINUTES,
            "cancel_url": change_url,
        }
        return TemplateResponse(request, "admin/intake/intake/read_health.html", context)

    def erase_view(self, request, object_id):
        """Erase the person, or ask a colleague to confirm it (intake.rights.erase_person).

        GET shows what erasing removes and where the request stands; POST
        asks, confirms or (a superuser) erases; POST with `_drop` withdraws
        one's own request.
        """
        intake = self._intake_to_handle(request, object_id)
        if request.method == "POST":
            return self._erase(request, intake)
        request_ = rights.pending_request(intake)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase the person's data"),
            "intake": intake,
            "in_group": intake.memberships.filter(left_on__isnull=True).exists(),
            "was_in_group": intake.memberships.exists(),
            "export_url": reverse("admin:intake_intake_export", args=[intake.pk]),
            "erasure_request": request_,
            "asked_myself": request_ is not None and request_.requested_by_id == request.user.pk,
            "erases_at_once": request.user.is_superuser or request_ is not None,
            "request_days": settings.ERASURE_REQUEST_DAYS,
            "access_log_months": settings.ACCESS_LOG_RETENTION_MONTHS,
            "form": ErasureReasonForm(),
        }
        return TemplateResponse(request, "admin/intake/intake/erase.html", context)

    def _erase(self, request, intake):
        change_url = reverse("admin:intake_intake_change", args=[intake.pk])
        try:
            if "_drop" in request.POST:
                rights.drop_erasure_request(intake=intake, actor=request.user)
                self.message_user(request, _("Your request to erase is withdrawn."))
                return redirect(change_url)
            form = ErasureReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            outcome = rights.erase_person(intake=intake, actor=request.user, reason=reason)
        except IntakeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(change_url)
        if outcome.request is not None:
            self.message_user(
                request,
                _(
                    "Your request is recorded. Another staff member of the centre, or a "
                    "national administrator, must confirm it within %(days)d days before "
                    "anything is erased."
                )
                % {"days": settings.ERASURE_REQUEST_DAYS},
                messages.SUCCESS,
            )
            return redirect(change_url)
        erased = outcome.erased
        if erased.anonymised:
            done = _(
                "%(reference)s is erased: the name, contact details, form, notes, history and "
                "messages are gone. The group memberships stay without a name, with only what "
                "the privacy page lists."
            )
        else:
            done = _(
                "%(reference)s is erased: the form and everything that named the person "
                "(notes, history, messages, sessions) are gone."
            )
        kept = _(
            " The access log keeps who opened the form and who erased it for %(months)d "
            "months, without the name."
        )
        self.message_user(
            request,
            (done + kept)
            % {"reference": erased.reference, "months": settings.ACCESS_LOG_RETENTION_MONTHS},
            messages.SUCCESS,
        )
        return redirect("admin:intake_intake_changelist")

    def delete_view(self, request, object_id, extra_context=None):
        # Deleting a form is erasing the person: the plain delete would keep
        # their name in the history and leave their messages behind.
        if self.get_object(request, unquote(object_id)) is None:
            return super().delete_view(request, object_id, extra_context)
        return redirect("admin:intake_intake_erase", unquote(object_id))

    # --- Status: bulk actions on the list -------------------------------------

    @admin.action(description=STATUS_ACTIONS[Status.CONTACTED], permissions=["change"])
    def mark_contacted(self, request, queryset):
        self._change_statuses(request, queryset, Status.CONTACTED)

    @admin.action(description=STATUS_ACTIONS[Status.WAITING], permissions=["change"])
    def mark_waiting(self, request, queryset):
        self._change_statuses(request, queryset, Status.WAITING)

    @admin.action(description=_("Withdraw (asks for a reason)"), permissions=["change"])
    def withdraw(self, request, queryset):
        return self._bulk_with_reason(request, queryset, Status.WITHDRAWN, "withdraw")

    @admin.action(description=_("Close (asks for a reason)"), permissions=["change"])
    def close(self, request, queryset):
        return self._bulk_with_reason(request, queryset, Status.CLOSED, "close")

    def _bulk_with_reason(self, request, queryset, to, action_name):
        form = StatusReasonForm(request.POST if "apply" in request.POST else None, to=to)
        if form.is_bound and form.is_valid():
            self._change_statuses(request, queryset, to, form.cleaned_data["reason"])
            return None
        return self._reason_page(
            request,
            list(queryset),
            to,
            form,
            action_name=action_name,
            cancel_url=request.get_full_path(),
        )

    def _change_statuses(self, request, intakes, to, reason=""):
        changed, refused = [], []
        for intake in intakes:
            try:
                services.change_intake_status(
                    intake=intake, to=to, actor=request.user, reason=reason
                )
            except IntakeError as error:
                refused.append((intake, error))
            else:
                changed.append(intake)
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d interest form now has the status “%(status)s”.",
                    "%(count)d interest forms now have the status “%(status)s”.",
                    len(changed),
                )
                % {"count": len(changed), "status": Status(to).label},
                messages.SUCCESS,
            )
        for intake, error in refused:
            self.message_user(
                request,
                _("%(reference)s was not changed: %(error)s")
                % {"reference": intake.reference, "error": error},
                messages.ERROR,
            )

    def _reason_page(self, request, intakes, to, form, cancel_url, action_name=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": STATUS_ACTIONS[to],
            "explanation": STATUS_EXPLANATIONS[to],
            "target_status": Status(to).label,
            "intakes": intakes,
            "form": form,
            "action_name": action_name,
            "cancel_url": cancel_url,
        }
        return TemplateResponse(request, "admin/intake/intake/change_status.html", context)


# --- Themes -------------------------------------------------------------------


@admin.register(Theme)
class ThemeAdmin(RuleErrorsAsMessages, admin.ModelAdmin):
    form = ThemeAdminForm
    list_display = ["name", "position", "active", "is_other", "times_chosen"]
    list_filter = ["active"]
    search_fields = ["name"]

    def get_queryset(self, request):
        chosen = models.Q(intakes__centre__in=Centre.objects.for_user(request.user))
        return (
            super()
            .get_queryset(request)
            .annotate(times_chosen=models.Count("intakes", filter=chosen, distinct=True))
        )

    @admin.display(description=_("chosen (your centres)"), ordering="times_chosen")
    def times_chosen(self, theme):
        return theme.times_chosen

    def get_actions(self, request):
        # The bulk delete would go around the rules of delete_theme.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        services.save_theme(theme=obj)

    def delete_model(self, request, obj):
        services.delete_theme(theme=obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            theme = self.get_object(request, unquote(object_id))
            if theme is not None:
                services.ensure_theme_deletable(theme)
            return super().delete_view(request, object_id, extra_context)
        except IntakeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:intake_theme_change", unquote(object_id))


# --- A person who phoned ------------------------------------------------------------


class PhoneIntakeForm(IntakeForm):
    """The public interest form, filled in by staff while the person is on the phone.

    The same questions and checks; only the staff's centres; the two
    confirmations are the staff member's record of what the person said.
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["website"]
        self.fields["centre"].queryset = Centre.objects.for_user(user).active()
        self.fields["applying_for_self"].label = _(
            "The person phoned about themselves and chooses a group themselves"
        )
        self.fields["applying_for_self"].help_text = ""
        self.fields["consent"].label = _(
            "I read the consent text to the person, and they agreed on the phone"
        )
        self.fields["confirmed_adult"].label = _("The person says they are 18 or older")

    def is_spam(self):
        return False
