"""Workflows of the shared core: staff access to centres."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

STAFF_GROUP_NAME = "Senteransatte"
# Apps whose models centre staff work with in the admin.
STAFF_APPS = ("intake", "groups", "facilitators")


@transaction.atomic
def ensure_staff_permission_group():
    """Create or refresh the permission group every centre staff user belongs to.

    Staff may work with everything in the centre apps, read the outbox and
    the stopped reminders (and start them again), and edit (not create or
    delete) centres; which rows they see is limited by their centre
    memberships, not by these permissions.
    """
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    permissions = Permission.objects.filter(
        Q(content_type__app_label__in=STAFF_APPS)
        | Q(content_type__app_label="selvhjelp", codename__in=["view_centre", "change_centre"])
        | Q(content_type__app_label="selvhjelp", codename__startswith="view_outbound")
        | Q(content_type__app_label="selvhjelp", codename="view_messageoptout")
    )
    group.permissions.set(permissions)
    return group


@transaction.atomic
def grant_centre_access(*, user, centres):
    """Make `user` a staff member of `centres` (idempotent)."""
    from .models import StaffMembership

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(ensure_staff_permission_group())
    for centre in centres:
        StaffMembership.objects.get_or_create(user=user, centre=centre)
    return user
