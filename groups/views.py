"""A member's own pages under /min-gruppe/<token>/: no login, the link is the key.

Every view loads the membership through members.member_for (a wrong token
is a 404), and changes something only on POST, so a mail program or virus
scanner that follows the link changes nothing. The URL keyword is `token`,
which the logging scrubs. Pages show the member's own first name and the
group's where and when; never anyone else's name or contact details.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from selvhjelp.dates import weekday_date

from . import calendar, members
from .members import MemberLinkError, member_for
from .models import Group


def _page(request, membership, template, **context):
    group = membership.group
    return render(
        request,
        template,
        {
            "membership": membership,
            "group": group,
            "centre": group.centre,
            "first_name": membership.intake.first_name,
            "is_digital": group.format == Group.Format.DIGITAL,
            **context,
        },
    )


def _back(token, anchor=""):
    response = redirect("groups:member", token=token)
    response["Location"] += anchor
    return response


@never_cache
@require_GET
def member_page(request, token):
    membership = member_for(token)
    if not membership.is_active or not membership.group.is_active:
        return _page(request, membership, "groups/member_page.html", ended=True)
    return _page(
        request,
        membership,
        "groups/member_page.html",
        meetings=members.upcoming_meetings(membership),
        visit=members.open_visit(membership),
        every_weeks=calendar.every_weeks_now(membership.group),
    )


def _change(request, token, meeting_id, action, done):
    membership = member_for(token)
    try:
        absence = action(membership=membership, meeting=meeting_id)
    except MemberLinkError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(token)
    if absence is not None:
        messages.success(request, done % {"date": weekday_date(absence.meeting.start)})
    return _back(token, f"#mote-{meeting_id}")


@never_cache
@require_POST
def cannot_come(request, token, meeting_id):
    return _change(
        request,
        token,
        meeting_id,
        members.report_absence,
        _("Done: the group is told that you cannot come on %(date)s."),
    )


@never_cache
@require_POST
def coming_after_all(request, token, meeting_id):
    return _change(
        request,
        token,
        meeting_id,
        members.take_back_absence,
        _("Done: the group is told that you come on %(date)s after all."),
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def leave(request, token):
    membership = member_for(token)
    if request.method == "POST":
        try:
            members.leave_group(membership=membership)
        except MemberLinkError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("You have left the group. Thank you for the time you had."))
        return _back(token)
    if not membership.is_active:
        return _back(token)
    return _page(request, membership, "groups/member_leave.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def ask_for_visit(request, token):
    membership = member_for(token)
    if request.method == "POST":
        try:
            members.ask_for_visit(membership=membership)
        except MemberLinkError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Done: the facilitators and the centre are asked. You will hear who comes."),
            )
        return _back(token, "#besok")
    if not membership.is_active:
        return _back(token)
    return _page(
        request, membership, "groups/member_visit.html", visit=members.open_visit(membership)
    )


@never_cache
@require_GET
def calendar_feed(request, token):
    """The group's meetings as a calendar the member can subscribe to (where and when only)."""
    membership = member_for(token)
    body = calendar.member_feed(membership, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="gruppe.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
