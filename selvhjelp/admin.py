from django.contrib import admin
from django.contrib import messages as django_messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import messaging
from .audit import record_access
from .errors import RuleError
from .models import AccessEntry, Centre, MessageOptOut, OutboundMessage, StaffMembership

# What a stopped reminder can be about, each a queryset with what its name
# needs (a member, a facilitator's assignment), added by the apps in their
# AppConfig.ready() so that the core does not import them.
ABOUT_QUERYSETS = []


class RuleErrorsAsMessages:
    """Admin mixin: a rule broken between the form's checks and the save is a message.

    Forms ask the services' check functions, so their errors stand next to
    the fields. A RuleError raised while saving means someone else was
    quicker (another staff member changed the row meanwhile): the page is
    shown again with the service's message on top, never a 500.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RuleError as error:
            for message in error.messages:
                self.message_user(request, message, django_messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class CentreScopedAdmin(RuleErrorsAsMessages, admin.ModelAdmin):
    """Admin whose rows belong to a centre: staff see only their own centres.

    `centre_lookup` is the ORM path from the model to its Centre. Superusers
    see everything. Every list, change page, action and foreign-key choice
    goes through `get_queryset`, so scoping it here covers them all.
    """

    centre_lookup = "centre"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        centres = Centre.objects.for_user(request.user)
        return queryset.filter(**{f"{self.centre_lookup}__in": centres}).distinct()

    def add_view(self, request, form_url="", extra_context=None):
        # "Legg til ny igangsetter", not Django's capitalised "Legg til ny Igangsetter".
        extra_context = {"title": _("Add %s") % self.opts.verbose_name, **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another centre's row is simply not there for this user: 404, as for
        # a row that never existed, rather than the admin's redirect with a
        # message, so that no page tells the two apart.
        raise Http404

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Centre and not request.user.is_superuser:
            kwargs["queryset"] = Centre.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Centre and not request.user.is_superuser:
            kwargs["queryset"] = Centre.objects.for_user(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OwnCentreFilter(admin.RelatedFieldListFilter):
    """A centre filter offering only the centres the user works for (all for superusers)."""

    def field_choices(self, field, request, model_admin):
        return [(centre.pk, str(centre)) for centre in Centre.objects.for_user(request.user)]


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Centre)
class CentreAdmin(CentreScopedAdmin):
    centre_lookup = "pk"
    list_display = ["name", "area", "email", "phone", "runs_digital_groups", "active"]
    list_filter = ["active", "runs_digital_groups"]
    search_fields = ["name", "area"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "area", "active"]}),
        (
            _("Contact details"),
            {"fields": ["address", "email", "phone", "website", "usual_response_days"]},
        ),
        (_("Groups"), {"fields": ["runs_digital_groups", "facilitator_meetings"]}),
    ]

    def get_inlines(self, request, obj):
        return [StaffMembershipInline] if request.user.is_superuser else []

    def get_readonly_fields(self, request, obj=None):
        # Staff may keep their own centre's contact details up to date; only
        # national administrators rename, move or close a centre.
        if request.user.is_superuser:
            return []
        return ["name", "slug", "area", "active", "runs_digital_groups"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OutboundStatusFilter(admin.SimpleListFilter):
    """Status filter that opens on the failed messages: those need a person."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*OutboundMessage.Status.choices, (self.ALL, _("All"))]

    def value(self):
        return super().value() or OutboundMessage.Status.FAILED

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(OutboundMessage)
class OutboundMessageAdmin(CentreScopedAdmin):
    """The outbox of the staff's own centres; failed messages first, to send again.

    Staff only view rows (no change permission); sending again and
    cancelling go through selvhjelp.messaging and need only what they see.
    """

    list_display = [
        "message_type_label",
        "channel",
        "recipient",
        "status",
        "centre",
        "due_at",
        "attempts",
        "sent_at",
    ]
    list_filter = [OutboundStatusFilter, "channel", ("centre", OwnCentreFilter)]
    list_select_related = ["centre"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"
    actions = ["send_again", "cancel"]
    fieldsets = [
        (None, {"fields": ["message_type_label", "channel", "recipient", "centre", "status"]}),
        (
            _("Sending"),
            {"fields": ["due_at", "attempts", "last_error", "claimed_at", "sent_at", "created_at"]},
        ),
        (_("Text"), {"fields": ["preview"]}),
        (_("Technical details"), {"fields": ["dedup_key", "content_type", "object_id"]}),
    ]
    readonly_fields = [
        "message_type_label",
        "channel",
        "recipient",
        "centre",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_at",
        "created_at",
        "preview",
        "dedup_key",
        "content_type",
        "object_id",
    ]

    @admin.display(description=_("message type"), ordering="message_type")
    def message_type_label(self, obj):
        return messaging.message_type_label(obj.message_type)

    def changelist_view(self, request, extra_context=None):
        """The list shows addresses: an access to each person a shown message went to."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) and response.context_data.get("cl")
        if changelist is not None:
            # Fetches the page's rows now; the template then reuses them.
            people = {
                (row.person_type_id, row.person_id)
                for row in changelist.result_list
                if row.person_id is not None
            }
            record_access(
                actor=request.user,
                action=AccessEntry.Action.LISTED,
                people=[_stand_in(type_id, pk) for type_id, pk in sorted(people)],
                page=AccessEntry.Page.OUTBOX,
            )
        return response

    @admin.display(description=_("text"))
    def preview(self, obj):
        try:
            rendered = messaging.render_message(obj, preview=True)
        except Exception:  # a template problem must not break the admin page
            return _("The text cannot be shown.")
        text = f"{rendered.subject}\n\n{rendered.body}" if rendered.subject else rendered.body
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        # Whoever may see a centre's messages may ask for them to be sent again;
        # the service checks the centre once more.
        return self.has_view_permission(request)

    @admin.action(
        description=_("Send the chosen failed or held messages again"), permissions=["resend"]
    )
    def send_again(self, request, queryset):
        try:
            count = messaging.resend_messages(messages=queryset, actor=request.user)
        except messaging.MessageError as error:
            self.message_user(request, str(error), django_messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
            django_messages.SUCCESS,
        )

    @admin.action(description=_("Do not send the chosen messages"), permissions=["resend"])
    def cancel(self, request, queryset):
        try:
            count = messaging.cancel_messages(messages=queryset, actor=request.user)
        except messaging.MessageError as error:
            self.message_user(request, str(error), django_messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d message will not be sent.",
                "%(count)d messages will not be sent.",
                count,
            )
            % {"count": count},
            django_messages.SUCCESS,
        )


def _stand_in(content_type_id, pk):
    """An unsaved instance of the model with only its primary key (for the access log)."""
    return ContentType.objects.get_for_id(content_type_id).model_class()(pk=pk)


@admin.register(MessageOptOut)
class MessageOptOutAdmin(CentreScopedAdmin):
    """Reminders people stopped with the link in a message; staff can start them again.

    Rows are written only by the stop link (messaging.stop_messages); staff
    view them and, when a person changes their mind, undo the stop.
    """

    list_display = ["message_type_label", "about_display", "centre", "created_at"]
    list_filter = [("centre", OwnCentreFilter)]
    list_select_related = ["centre"]
    date_hierarchy = "created_at"
    actions = ["resume"]
    fields = ["message_type_label", "about_display", "centre", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # What each stop is about, with what its name needs, in a fixed number of queries.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(GenericPrefetch("about", list(ABOUT_QUERYSETS)))
        )

    @admin.display(description=_("message type"), ordering="message_type")
    def message_type_label(self, obj):
        return messaging.message_type_label(obj.message_type)

    @admin.display(description=_("about"))
    def about_display(self, obj):
        return str(obj.about) if obj.about is not None else "–"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resume_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description=_("Start the chosen reminders again"), permissions=["resume"])
    def resume(self, request, queryset):
        try:
            count = messaging.resume_messages(opt_outs=queryset, actor=request.user)
        except messaging.MessageError as error:
            self.message_user(request, str(error), django_messages.WARNING)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d kind of reminder will be sent again.",
                "%(count)d kinds of reminders will be sent again.",
                count,
            )
            % {"count": count},
            django_messages.SUCCESS,
        )


@admin.register(AccessEntry)
class AccessEntryAdmin(admin.ModelAdmin):
    """The access log, for national administrators only; nobody changes or deletes it.

    Filtered to one person from the person's page (`people__person_*`), or
    to one erased person by their pseudonym.
    """

    list_display = ["at", "actor_name", "action", "page", "people_shown", "reason"]
    list_filter = ["action", "page"]
    search_fields = ["actor_name", "people__pseudonym"]
    date_hierarchy = "at"
    list_per_page = 100
    fields = ["at", "actor_name", "action", "page", "people_shown", "reason"]
    readonly_fields = fields
    PERSON_LOOKUPS = ("people__person_type", "people__person_id", "people__pseudonym")

    def get_queryset(self, request):
        # The people of a page of entries, one query per kind of person.
        return super().get_queryset(request).prefetch_related("people__person")

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.PERSON_LOOKUPS or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("people"))
    def people_shown(self, entry):
        return format_html_join(
            ", ", "{}", ((self._person(person),) for person in entry.people.all())
        )

    @staticmethod
    def _person(person):
        if person.person_id is None or person.person is None:
            return format_html("{} {}", _("erased"), person.pseudonym or "–")
        kind = ContentType.objects.get_for_id(person.person_type_id)
        try:
            url = reverse(f"admin:{kind.app_label}_{kind.model}_change", args=[person.person_id])
        except NoReverseMatch:
            return str(person.person)
        return format_html('<a href="{}">{}</a>', url, person.person)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
