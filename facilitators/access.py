"""Who may see facilitator pages, and which groups: the helpers every facilitator view uses."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from groups.models import Group, Membership

from .models import Assignment, Facilitator, FollowUp


def facilitator_required(view):
    """Log in first; then only active facilitators get in (403 for everyone else).

    The view receives the Facilitator as `request.facilitator`.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "facilitators:login")
        facilitator = (
            Facilitator.objects.filter(user=request.user, active=True)
            .select_related("user")
            .first()
        )
        if facilitator is None:
            raise PermissionDenied
        request.facilitator = facilitator
        # Caches the reverse relation, so the page's footer asks no more.
        request.user.facilitator = facilitator
        return view(request, *args, **kwargs)

    return wrapper


def assignment_for(facilitator, group_id):
    """The facilitator's active assignment to an active group, or 404.

    The one access helper for a facilitator's groups: a group they are not
    (or no longer) assigned to does not exist for them.
    """
    return get_object_or_404(
        Assignment.objects.active().select_related("group__centre"),
        facilitator=facilitator,
        group_id=group_id,
        group__status__in=Group.ACTIVE_STATUSES,
    )


def follow_up_for(facilitator, follow_up_id):
    """A follow-up of one of the facilitator's groups (see assignment_for), or 404."""
    follow_up = get_object_or_404(FollowUp.objects.select_related("done_by"), pk=follow_up_id)
    follow_up.assignment = assignment_for(facilitator, follow_up.group_id)
    follow_up.group = follow_up.assignment.group
    return follow_up


def membership_for(facilitator, group_id, membership_id):
    """A membership of one of the facilitator's groups (see assignment_for), or 404.

    Loads the first name only. A membership that has ended is found too, so
    the service can say why it refuses instead of a bare 404.
    """
    assignment = assignment_for(facilitator, group_id)
    membership = get_object_or_404(
        Membership.objects.select_related("intake").only(
            "group_id", "left_on", "confidentiality_agreed_at", "intake__name"
        ),
        pk=membership_id,
        group_id=assignment.group_id,
    )
    membership.group = assignment.group
    return membership


def visit_for(facilitator, follow_up_id):
    """A visit (FollowUp of kind VISIT) of a group the facilitator has ever started, or 404.

    Former facilitators too: a group asks those who started it to come back.
    """
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("group__centre", "visitor__user", "meeting"),
        pk=follow_up_id,
        kind=FollowUp.Kind.VISIT,
        group__assignments__facilitator=facilitator,
    )
    return follow_up
