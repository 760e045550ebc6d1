"""Staff work with facilitators in the admin: invite them, assign them, see follow-ups.

Every change goes through facilitators.services with the request user as
actor. The group page's facilitator and follow-up inlines are defined here
and listed in groups.admin.GroupAdmin.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from groups.models import Group
from selvhjelp.admin import CentreScopedAdmin, OwnCentreFilter
from selvhjelp.dates import local, long_date
from selvhjelp.models import Centre

from . import selectors, services
from .forms import AssignmentForm, FacilitatorInviteForm, FollowUpAdminForm
from .models import Assignment, Facilitator, FollowUp

# Django's tabular inline with names for the header cells it leaves empty
# (axe: empty-table-header); shared with the other inlines of the group page.
TABULAR = "admin/groups/edit_inline/tabular.html"


class FacilitatorAssignmentInline(admin.TabularInline):
    """The groups a facilitator starts or started, on the facilitator's page (read only)."""

    model = Assignment
    template = TABULAR
    fk_name = "facilitator"
    extra = 0
    can_delete = False
    fields = ["group_link", "meetings_attended", "assigned_at", "withdrawn_on"]
    readonly_fields = fields
    verbose_name_plural = _("Groups")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("group")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(group__centre__in=Centre.objects.for_user(request.user))

    @admin.display(description=_("group"))
    def group_link(self, assignment):
        url = reverse("admin:groups_group_change", args=[assignment.group_id])
        return format_html('<a href="{}">{}</a>', url, assignment.group.name)


@admin.action(description=_("Send a new link to choose a password"))
def send_password_links(modeladmin, request, queryset):
    count = 0
    for facilitator in queryset.filter(active=True).select_related("user"):
        services.send_password_link(facilitator=facilitator, purpose="reset")
        count += 1
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d facilitator gets a link to choose a password.",
            "%(count)d facilitators get a link to choose a password.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(Facilitator)
class FacilitatorAdmin(CentreScopedAdmin):
    centre_lookup = "centres"
    list_display = ["__str__", "email", "phone", "centre_names", "active"]
    list_filter = ["active", ("centres", OwnCentreFilter)]
    search_fields = ["user__first_name", "user__last_name", "user__email", "phone"]
    list_select_related = ["user"]
    fields = ["name", "email", "phone", "centres", "active", "created_at"]
    readonly_fields = ["name", "email", "created_at"]
    inlines = [FacilitatorAssignmentInline]
    actions = [send_password_links]

    def get_queryset(self, request):
        # Of a facilitator who also works elsewhere, staff see only their own
        # centres (the change form keeps the others, see save_related).
        centres = Centre.objects.for_user(request.user).only("name")
        return super().get_queryset(request).prefetch_related(Prefetch("centres", queryset=centres))

    @admin.display(description=_("name"), ordering="user__first_name")
    def name(self, obj):
        return str(obj)

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("centres"))
    def centre_names(self, obj):
        return ", ".join(centre.name for centre in obj.centres.all())

    def has_delete_permission(self, request, obj=None):
        # A facilitator who also works for another centre is that centre's
        # too: only a national administrator removes them altogether.
        if obj is not None and not request.user.is_superuser:
            # (Not obj.centres: that is prefetched with the user's centres only.)
            others = Centre.objects.filter(facilitators=obj)
            if others.exclude(pk__in=Centre.objects.for_user(request.user)).exists():
                return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "centres":
            # Checkboxes: a facilitator has a centre or two, and Django's
            # two-box widget has ARIA errors (axe: aria-prohibited-attr).
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # The centres field lists only the user's own centres: keep the
        # facilitator's other centres, which this user cannot see or change.
        hidden = []
        if change and not request.user.is_superuser:
            hidden = list(
                Centre.objects.filter(facilitators=form.instance).exclude(
                    pk__in=Centre.objects.for_user(request.user)
                )
            )
        super().save_related(request, form, formsets, change)
        if hidden:
            form.instance.centres.add(*hidden)

    def add_view(self, request, form_url="", extra_context=None):
        """Invite a facilitator: the service creates the login and sends the link."""
        if not self.has_add_permission(request):
            return self.changelist_view(request)
        centres = Centre.objects.for_user(request.user).active()
        form = FacilitatorInviteForm(request.POST or None, centres=centres)
        if request.method == "POST" and form.is_valid():
            try:
                facilitator = services.create_facilitator(actor=request.user, **form.cleaned_data)
            except services.FacilitatorError as error:
                form.add_error(None, str(error))
            else:
                self.log_addition(request, facilitator, [{"added": {}}])
                messages.success(
                    request,
                    _("%(name)s is added and gets an invitation to choose a password.")
                    % {"name": facilitator},
                )
                return redirect("admin:facilitators_facilitator_change", facilitator.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite a facilitator"),
            "opts": self.model._meta,
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/facilitators/facilitator/invite.html", context)


# --- On the group page: its facilitators and follow-ups ---------------------------------


class AssignmentFormSet(BaseInlineFormSet):
    """Saves through the services: assign, change the meetings attended, or withdraw.

    The rules are checked in clean(), so a broken rule is shown next to the
    row; warnings (one facilitator, overlapping meetings) do not block and
    are shown as messages after saving.
    """

    request = None  # set by AssignmentInline.get_formset

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "group": self.instance}

    def clean(self):
        super().clean()
        group = self.instance
        chosen = set()
        for form in self.forms:
            if not form.has_changed() or not hasattr(form, "cleaned_data"):
                continue
            data = form.cleaned_data
            facilitator = data.get("facilitator")
            if facilitator is None or data.get("withdraw"):
                continue
            existing = form.instance if form.instance.pk else None
            if existing is None and facilitator.pk in chosen:
                form.add_error(
                    "facilitator",
                    gettext("%(who)s is chosen twice.") % {"who": facilitator},
                )
                continue
            chosen.add(facilitator.pk)
            check = services.check_assignment(
                group=group,
                facilitator=facilitator,
                meetings_attended=data.get("meetings_attended") or 0,
                replacing=existing,
            )
            for error in check.errors:
                form.add_error(None, error)

    def save_new(self, form, commit=True):
        return services.assign_facilitator(
            group=self.instance,
            facilitator=form.cleaned_data["facilitator"],
            meetings_attended=form.cleaned_data["meetings_attended"],
            actor=self.request.user,
        )

    def save_existing(self, form, obj, commit=True):
        if form.cleaned_data.get("withdraw"):
            return services.withdraw_facilitator(assignment=obj, actor=self.request.user)
        if "meetings_attended" in form.changed_data:
            return services.change_attendance(
                assignment=obj,
                meetings_attended=form.cleaned_data["meetings_attended"],
                actor=self.request.user,
            )
        return obj

    def save(self, commit=True):
        saved = super().save(commit)
        if self.has_changed():
            for warning in services.assignment_warnings(self.instance):
                messages.warning(self.request, warning)
        return saved


class AssignmentInline(admin.TabularInline):
    """The group's active facilitators: add one, let one attend more meetings, withdraw one."""

    model = Assignment
    template = TABULAR
    form = AssignmentForm
    formset = AssignmentFormSet
    extra = 0
    can_delete = False
    fields = ["facilitator", "meetings_attended", "attends_until", "withdraw"]
    readonly_fields = ["attends_until"]
    verbose_name = _("facilitator")
    verbose_name_plural = _("Facilitators")

    def get_queryset(self, request):
        return super().get_queryset(request).active().select_related("facilitator__user", "group")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "facilitator":
            # Facilitators are invited on their own page, not added from here.
            for action in ("add", "change", "delete", "view"):
                setattr(field.widget, f"can_{action}_related", False)
        return field

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    def get_extra(self, request, obj=None, **kwargs):
        # Offer two empty rows to a group without facilitators: two usually start it.
        if obj is not None and obj.is_active and not obj.assignments.active().exists():
            return 2
        return 0

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_active and super().has_add_permission(request, obj)

    @admin.display(description=_("last meeting attended"))
    def attends_until(self, assignment):
        if not assignment.pk:
            return "–"
        last = selectors.last_attended_meeting(assignment)
        if last is None:
            return gettext("not planned yet")
        return formats.date_format(local(last.start), "D j. F Y")


class WithdrawnAssignmentInline(admin.TabularInline):
    """Facilitators who were withdrawn from the group, with the date (read only)."""

    model = Assignment
    template = TABULAR
    extra = 0
    can_delete = False
    fields = ["facilitator", "meetings_attended", "withdrawn_on", "withdrawn_by"]
    readonly_fields = fields
    verbose_name_plural = _("Withdrawn facilitators")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(withdrawn_on__isnull=False)
            .select_related("facilitator__user", "withdrawn_by")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FollowUpInline(admin.TabularInline):
    """The group's follow-ups, each linking to its own page (read only here)."""

    model = FollowUp
    template = TABULAR
    extra = 0
    can_delete = False
    fields = ["follow_up", "due_on", "done_on", "outcome"]
    readonly_fields = fields
    verbose_name_plural = _("Follow-ups")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("follow-up"))
    def follow_up(self, follow_up):
        url = reverse("admin:facilitators_followup_change", args=[follow_up.pk])
        return format_html('<a href="{}">{}</a>', url, follow_up.get_kind_display())


# --- Follow-ups -------------------------------------------------------------------


class FollowUpStateFilter(admin.SimpleListFilter):
    """Follow-ups still to do by default; overdue, due this week and done on request.

    Those still to do (also overdue and this week's) are of groups that still
    meet: an ended or cancelled group's follow-up is no longer anyone's task.
    """

    title = _("state")
    parameter_name = "state"
    OVERDUE, THIS_WEEK, DONE, ALL = "overdue", "this_week", "done", "all"

    def lookups(self, request, model_admin):
        return [
            (self.OVERDUE, _("Overdue")),
            (self.THIS_WEEK, _("Due this week")),
            (self.DONE, _("Done")),
            (self.ALL, _("All")),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Not done"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        # Follow-ups still to do belong to groups that still meet.
        waiting = queryset.open().filter(group__status__in=Group.ACTIVE_STATUSES)
        if value is None:
            return waiting
        if value == self.OVERDUE:
            return waiting.overdue(today)
        if value == self.THIS_WEEK:
            monday = selectors.week_start(today)
            return waiting.filter(
                due_on__gte=monday, due_on__lte=monday + datetime.timedelta(days=6)
            )
        if value == self.DONE:
            return queryset.filter(done_on__isnull=False)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(CentreScopedAdmin):
    """Follow-ups of the staff's centres; staff may also record one done here."""

    centre_lookup = "group__centre"
    form = FollowUpAdminForm
    list_display = ["group", "centre", "kind", "due_on", "state", "done_on", "outcome"]
    list_filter = [
        FollowUpStateFilter,
        "kind",
        "outcome",
        ("group__centre", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["group__centre"]
    search_fields = ["group__name"]
    date_hierarchy = "due_on"
    ordering = ["due_on", "pk"]
    fields = [
        "group",
        "kind",
        "due_on",
        "requested_by",
        "done_on",
        "outcome",
        "note",
        "done_by",
        "visit",
    ]
    readonly_fields = ["group", "kind", "due_on", "requested_by", "done_by", "visit"]

    def has_add_permission(self, request):
        return False  # forming a group creates its follow-up; "invited back" creates a visit

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        follow_up = super().get_object(request, object_id, from_field)
        if follow_up is not None:
            # The form copies what staff type onto the object before it is
            # saved; whether it was done already is what the database said.
            follow_up.was_done = follow_up.is_done
        return follow_up

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.was_done:
            return [*self.readonly_fields, "done_on", "outcome", "note"]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is not None and not obj.was_done:
            return [*self.fields[:6], "visit_on", *self.fields[6:]]
        return self.fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if obj.was_done or not data.get("outcome"):
            return  # done before, or nothing to record yet
        try:
            services.complete_follow_up(
                follow_up=obj,
                done_on=data["done_on"],
                outcome=data["outcome"],
                note=data.get("note", ""),
                visit_on=data.get("visit_on"),
                actor=request.user,
            )
        except services.FacilitatorError as error:
            # The form checked the same rules; this is someone else's change
            # in between (the follow-up was recorded meanwhile).
            for message in error.messages:
                messages.error(request, message)

    @admin.display(description=_("centre"), ordering="group__centre__name")
    def centre(self, follow_up):
        return follow_up.group.centre.name

    @admin.display(description=_("state"))
    def state(self, follow_up):
        if follow_up.is_done:
            return gettext("Done")
        if follow_up.is_overdue:
            return gettext("Overdue")
        return gettext("Due")

    @admin.display(description=_("visit asked for"))
    def visit(self, follow_up):
        visit = getattr(follow_up, "visit", None)
        if visit is None:
            return "–"
        url = reverse("admin:facilitators_followup_change", args=[visit.pk])
        return format_html('<a href="{}">{}</a>', url, long_date(visit.due_on))
