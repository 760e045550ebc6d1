"""The facilitator's own pages under /igangsetter/: overview, group, follow-up, calendar.

Every page but the calendar feed needs a logged-in active facilitator
(access.facilitator_required); groups, follow-ups and members are loaded
through access.assignment_for / follow_up_for / membership_for, so anything
the facilitator is not assigned to is a 404. The feed is reached by its
secret token alone, because calendar apps cannot log in.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from groups import members as group_members
from groups import services as group_services
from groups.models import Group, GroupRuleError

from . import calendar, selectors, services, visits
from .access import (
    assignment_for,
    facilitator_required,
    follow_up_for,
    membership_for,
    visit_for,
)
from .forms import FollowUpForm
from .models import Facilitator
from .visit_forms import VisitAnswerForm


def _feed_url(facilitator):
    return settings.SITE_URL + reverse(
        "facilitators:calendar-feed", args=[facilitator.calendar_token]
    )


@facilitator_required
def overview(request):
    facilitator = request.facilitator
    assignments = selectors.active_assignments(facilitator)
    now = timezone.now()
    meetings = [m for m in selectors.attended_meetings(assignments) if m.end > now]
    feed_url = _feed_url(facilitator)
    return render(
        request,
        "facilitators/overview.html",
        {
            "facilitator": facilitator,
            "assignments": assignments,
            "meetings": meetings,
            "follow_ups": selectors.open_follow_ups(assignments),
            "visit_requests": [
                *visits.visits_to_answer(facilitator),
                *visits.visits_to_make(facilitator),
            ],
            "today": timezone.localdate(),
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
        },
    )


@facilitator_required
def group_detail(request, group_id):
    assignment = assignment_for(request.facilitator, group_id)
    group = assignment.group
    attended = {meeting.pk for meeting in selectors.attended_meetings([assignment])}
    meetings = list(group.meetings.order_by("start", "sequence"))
    return render(
        request,
        "facilitators/group_detail.html",
        {
            "assignment": assignment,
            "group": group,
            "members": list(
                group.memberships.active()
                .select_related("intake")
                .only("group_id", "confidentiality_agreed_at", "intake__name")
            ),
            "meetings": meetings,
            "expected": group_members.expected_counts(m for m in meetings if not m.cancelled),
            "attended": attended,
            "follow_ups": group.follow_ups.order_by("due_on", "pk"),
            "today": timezone.localdate(),
            # The agreement is recorded from the first meeting on (groups.services).
            "group_has_met": group.meetings.not_cancelled()
            .filter(start__lte=timezone.now())
            .exists(),
            "is_digital": group.format == Group.Format.DIGITAL,
        },
    )


@require_POST
@facilitator_required
def record_agreement(request, group_id, membership_id):
    membership = membership_for(request.facilitator, group_id, membership_id)
    group_url = reverse("facilitators:group", args=[group_id])
    try:
        group_services.record_agreement(membership=membership, actor=request.user)
    except GroupRuleError as error:
        for message in error.messages:
            messages.error(request, message)
        # The top of the page, where the message is.
        return redirect(group_url)
    messages.success(
        request,
        _("Recorded: %(name)s has agreed to confidentiality and notice of absence.")
        % {"name": membership.intake.first_name},
    )
    return redirect(group_url + "#taushetsplikt")


@facilitator_required
def follow_up_detail(request, follow_up_id):
    follow_up = follow_up_for(request.facilitator, follow_up_id)
    form = None
    if not follow_up.is_done:
        form = FollowUpForm(request.POST or None, follow_up=follow_up)
        if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
            messages.success(request, _("Thank you: the follow-up is recorded."))
            return redirect("facilitators:overview")
    return render(
        request,
        "facilitators/follow_up.html",
        {
            "follow_up": follow_up,
            "group": follow_up.group,
            "form": form,
            "today": timezone.localdate(),
        },
    )


@facilitator_required
def visit_detail(request, follow_up_id):
    """A visit a group asked for: pick a meeting to come to, or decline with a note to staff."""
    visit = visit_for(request.facilitator, follow_up_id)
    form = VisitAnswerForm(request.POST or None, meetings=visits.meetings_to_choose(visit.group))
    if request.method == "POST" and form.is_valid():
        try:
            done = form.save(visit=visit, facilitator=request.facilitator)
        except services.FacilitatorError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
            return redirect("facilitators:overview")
    return render(
        request, "facilitators/visit.html", {"visit": visit, "group": visit.group, "form": form}
    )


@require_POST
@facilitator_required
def regenerate_calendar(request):
    services.regenerate_calendar_token(facilitator=request.facilitator)
    messages.success(
        request,
        _(
            "Your calendar has a new address. The old one no longer works: "
            "add the new one to your calendar."
        ),
    )
    return redirect(reverse("facilitators:overview") + "#kalender")


def _with_visits(follow_ups, visits_to_make):
    """The feed's follow-ups, and the visits the facilitator makes to groups they left."""
    seen = {follow_up.pk for follow_up in follow_ups}
    return [*follow_ups, *(visit for visit in visits_to_make if visit.pk not in seen)]


@require_GET
@never_cache
def calendar_feed(request, token):
    facilitator = (
        Facilitator.objects.filter(calendar_token=token, active=True).select_related("user").first()
    )
    if facilitator is None:
        raise Http404
    assignments = selectors.active_assignments(facilitator)
    body = calendar.build_feed(
        facilitator=facilitator,
        meetings=selectors.attended_meetings(assignments),
        follow_ups=_with_visits(
            selectors.follow_ups_for_calendar(assignments), visits.visits_to_make(facilitator)
        ),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="selvhjelp.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def logout(request):
    auth_logout(request)
    messages.success(request, _("You are logged out."))
    return redirect("facilitators:login")


@require_POST
@facilitator_required
def undo_agreement(request, group_id, membership_id):
    membership = membership_for(request.facilitator, group_id, membership_id)
    group_url = reverse("facilitators:group", args=[group_id])
    try:
        group_services.undo_agreement(membership=membership, actor=request.user)
    except GroupRuleError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(group_url)
    messages.success(
        request,
        _("Undone: %(name)s is no longer recorded as having agreed.")
        % {"name": membership.intake.first_name},
    )
    return redirect(group_url + "#taushetsplikt")
