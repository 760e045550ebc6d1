from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Centre, OutboundMessage, StaffMembership


class CentreScopedAdmin(admin.ModelAdmin):
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Centre and not request.user.is_superuser:
            kwargs["queryset"] = Centre.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Centre and not request.user.is_superuser:
            kwargs["queryset"] = Centre.objects.for_user(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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
        (_("Groups"), {"fields": ["runs_digital_groups"]}),
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


@admin.register(OutboundMessage)
class OutboundMessageAdmin(CentreScopedAdmin):
    list_display = ["template", "channel", "status", "centre", "due_at", "attempts", "sent_at"]
    list_filter = ["status", "channel", "centre"]
    list_select_related = ["centre"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "centre",
        "channel",
        "recipient",
        "template",
        "context",
        "content_type",
        "object_id",
        "dedup_key",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
