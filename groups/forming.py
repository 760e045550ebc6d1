"""The admin's action "Form a group of the selected": a frame, the check page, then the group.

Staff select 4-8 people in the list of interest forms and choose the action.
This page asks for the group's frame (name, kind, place, weekly time, first
meeting, facilitators), shows the rules and guidelines for those people in
that frame (groups.rules.check_group), asks what happens to meetings on
public holidays, and forms the group with services.form_group when staff
confirm, accepting the warnings with one more click.
"""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake import rights
from selvhjelp.audit import Action, Page, record_access

from .forms import GroupFrameForm, HolidayForm, suggest_frame

# The buttons that form the group: send the invitations now or hold them,
# with or without accepting the guidelines' warnings.
FORM_BUTTONS = ("_form", "_form_anyway", "_form_hold", "_form_hold_anyway")


@admin.action(description=_("Form a group of the selected"))
def form_group_action(modeladmin, request, queryset, *, initial=None):
    """The intermediate page of the intake list's action: check, then form.

    The first POST comes from the action menu; later POSTs come from this
    page, carry the selection again and land here through the changelist, so
    the selection is always limited to intakes the user may see. The
    facilitators chosen here are assigned by form_group in the same
    transaction as the group.

    `initial` fills in the frame (an accepted suggested group,
    groups.suggestions): staff can still change anything.
    """
    if not request.user.has_perm("groups.add_group"):
        modeladmin.message_user(request, gettext("You may not form groups."), messages.ERROR)
        return None
    intakes = list(
        queryset.select_related("centre")
        .prefetch_related("themes", "availability")
        .order_by("name", "pk")
    )
    post = request.POST
    frame = GroupFrameForm(
        post if "group-name" in post else None,
        prefix="group",
        user=request.user,
        intakes=intakes,
        initial={**suggest_frame(intakes), **(initial or {})},
    )
    pressed = next((name for name in FORM_BUTTONS if name in post), None)
    check = planned = holiday_form = None
    if frame.is_bound and frame.is_valid():
        check, planned = frame.check(), frame.planned()
        holiday_bound = pressed or any(key.startswith("holiday-") for key in post)
        holiday_form = HolidayForm(
            post if holiday_bound else None, prefix="holiday", planned=planned
        )
        if pressed and check.ok and holiday_form.is_valid():
            send_now = "hold" not in pressed
            group = frame.save(
                actor=request.user,
                accept_warnings="anyway" in pressed,
                holiday_choices=holiday_form.choices(),
                send_invitations=send_now,
            )
            if group is not None:
                _tell_formed(
                    modeladmin, request, group, frame.cleaned_data["facilitators"], send_now
                )
                return redirect("admin:groups_group_change", group.pk)
    # Ages are counted at one date on every step: the first meeting (as
    # chosen, or as suggested before the first check), else today.
    on = (frame.cleaned_data.get("first_meeting") if check else None) or frame[
        "first_meeting"
    ].initial
    on = on if isinstance(on, datetime.date) else timezone.localdate()
    # The page shows each person's themes next to their name: an access to each.
    record_access(actor=request.user, action=Action.LISTED, people=intakes, page=Page.FORM_GROUP)
    return TemplateResponse(
        request,
        "admin/groups/form_group.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": gettext("Form a group"),
            "opts": modeladmin.model._meta,
            "intakes": intakes,
            "ages": {i.pk: i.age_on(on) for i in intakes},
            "ages_on": on,
            # Themes are health information (intake.rights): not for a national
            # administrator outside the centre.
            "show_themes": all(
                rights.works_at(request.user, c) for c in {i.centre_id for i in intakes}
            ),
            "frame": frame,
            "check": check,
            # What form_group itself refused (someone else was quicker...).
            "errors": frame.non_field_errors() if check else [],
            "field_errors": any(field.errors for field in frame),
            "planned": planned,
            "holiday_form": holiday_form,
            # Who will be told what, before anything is sent.
            "told": frame.told() if check else None,
            "reminder_days": settings.FACILITATOR_REMINDER_DAYS,
            "start_time": frame.cleaned_data.get("start_time") if check else None,
            "action_name": "form_group_action",
            "media": modeladmin.media + frame.media,
        },
    )


def _tell_formed(modeladmin, request, group, facilitators, sent):
    if sent:
        done = gettext("The group “%(group)s” is formed; the participants get a message.")
    else:
        done = gettext(
            "The group “%(group)s” is formed. Nobody has been told yet: send the "
            "invitations from this page when you are ready."
        )
    modeladmin.message_user(request, done % {"group": group.name}, messages.SUCCESS)
    if not facilitators:
        modeladmin.message_user(
            request,
            gettext(
                "No facilitators are assigned yet; two usually start a group. "
                "Choose them under “Facilitators” on this page."
            ),
            messages.WARNING,
        )
