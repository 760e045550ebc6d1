"""The staff page "Forslag til grupper" and its buttons, under the groups admin.

URL names (GroupAdmin.get_urls adds them): `admin:groups_suggestions` (the
page; `?centre=<slug>` when the user works for more than one centre),
`admin:groups_suggestions_decide` (accept or discard a proposal),
`admin:groups_suggestions_form` (the check page of an accepted one) and
`admin:groups_suggestions_release` (let an accepted one go).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from intake import rights
from intake.models import Intake, Slot, Theme
from selvhjelp.audit import Action, Page, record_access
from selvhjelp.models import Centre

from ..forming import form_group_action
from ..forms import USUAL_START
from ..models import Group, GroupRuleError, Suggestion
from . import services
from .proposals import first_meeting_on, slot_label, suggest


def urls(modeladmin):
    """The page's URLs, for GroupAdmin.get_urls (before its catch-all object URLs)."""
    wrap = modeladmin.admin_site.admin_view
    return [
        path(
            "suggestions/",
            wrap(lambda r: suggestions_view(modeladmin, r)),
            name="groups_suggestions",
        ),
        path(
            "suggestions/decide/",
            wrap(lambda r: decide_view(modeladmin, r)),
            name="groups_suggestions_decide",
        ),
        path(
            "suggestions/<int:suggestion_id>/form/",
            wrap(lambda r, suggestion_id: form_view(modeladmin, r, suggestion_id)),
            name="groups_suggestions_form",
        ),
        path(
            "suggestions/<int:suggestion_id>/release/",
            wrap(lambda r, suggestion_id: release_view(modeladmin, r, suggestion_id)),
            name="groups_suggestions_release",
        ),
    ]


def _ensure_may_form(request):
    if not request.user.has_perm("groups.add_group"):
        raise PermissionDenied


def _page_url(centre):
    return f"{reverse('admin:groups_suggestions')}?{urlencode({'centre': centre.slug})}"


class DecisionForm(forms.Form):
    """One proposal as its buttons post it: the frame and the people."""

    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    weekday = forms.TypedChoiceField(choices=Slot.WEEKDAYS, coerce=int)
    part = forms.ChoiceField(choices=Slot.Part.choices)
    format = forms.ChoiceField(choices=Group.Format.choices)
    kind = forms.ChoiceField(choices=Group.Kind.choices)
    theme = forms.ModelChoiceField(queryset=Theme.objects.all(), required=False)
    members = forms.ModelMultipleChoiceField(queryset=Intake.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = Centre.objects.for_user(user)
        self.fields["members"].queryset = Intake.objects.for_user(user)

    def clean(self):
        data = super().clean()
        centre, members = data.get("centre"), data.get("members")
        if centre and members and any(m.centre_id != centre.pk for m in members):
            raise forms.ValidationError("members of another centre")
        return data


def suggestions_view(modeladmin, request):
    """The proposals for one of the user's centres, explained, with their buttons."""
    _ensure_may_form(request)
    centres = Centre.objects.for_user(request.user).order_by("name")
    slug = request.GET.get("centre")
    centre = centres.filter(slug=slug).first() if slug else None
    if slug and centre is None:
        raise Http404
    if centre is None and centres.count() == 1:
        centre = centres.first()
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": gettext("Suggested groups"),
        "centre": centre,
        "centres": centres if centre is None else [],
    }
    if centre is not None:
        today = timezone.localdate()
        result = suggest(centre, today=today)
        shown = [i for p in result.proposals for i in p.members]
        shown += [intake for intake, _reason in result.unplaced]
        shown += [m.intake for s in result.held for m in s.members.all() if m.holds]
        record_access(actor=request.user, action=Action.LISTED, people=shown, page=Page.FORM_GROUP)
        for intake in shown:
            intake.age_now = intake.age_on(today)
        show_themes = rights.works_at(request.user, centre.pk)
        if not show_themes:
            _withhold_themes(result)
        context.update(
            result=result,
            show_themes=show_themes,
            today=today,
            now=timezone.now(),
        )
    return TemplateResponse(request, "admin/groups/suggestions.html", context)


def _withhold_themes(result):
    """Themes are health information (intake.rights): not for a national administrator
    outside the centre. Warnings naming one are left out for them."""
    names = [name for name in Theme.objects.values_list("name", flat=True) if name]
    for proposal in result.proposals:
        proposal.warnings = [
            warning
            for warning in proposal.warnings
            if not any(f"«{name}»" in str(warning) or f"“{name}”" in str(warning) for name in names)
        ]


def decide_view(modeladmin, request):
    """Accept a proposal (then its check page) or discard it; POST only."""
    _ensure_may_form(request)
    if request.method != "POST":
        return redirect("admin:groups_suggestions")
    form = DecisionForm(request.POST, user=request.user)
    if not form.is_valid():
        modeladmin.message_user(
            request, gettext("The suggestion could not be read; try again."), messages.ERROR
        )
        return redirect("admin:groups_suggestions")
    data = form.cleaned_data
    frame = {key: data[key] for key in ("centre", "weekday", "part", "format", "kind", "theme")}
    if "_discard" in request.POST:
        services.discard_suggestion(intakes=data["members"], actor=request.user, **frame)
        modeladmin.message_user(
            request,
            gettext("The suggestion is discarded and will not be made again."),
            messages.SUCCESS,
        )
        return redirect(_page_url(data["centre"]))
    try:
        suggestion = services.accept_suggestion(
            intakes=data["members"], actor=request.user, **frame
        )
    except GroupRuleError as error:
        for message in error.messages:
            modeladmin.message_user(request, message, messages.ERROR)
        return redirect(_page_url(data["centre"]))
    modeladmin.message_user(
        request,
        gettext(
            "The suggestion is accepted and its people are held for it. Check the group "
            "and form it."
        ),
        messages.SUCCESS,
    )
    return redirect("admin:groups_suggestions_form", suggestion.pk)


def _accepted(request, suggestion_id):
    """The one access helper: an accepted suggestion of the user's centres, or 404."""
    suggestion = (
        Suggestion.objects.filter(centre__in=Centre.objects.for_user(request.user))
        .select_related("centre", "theme", "group")
        .filter(pk=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise Http404
    return suggestion


def form_view(modeladmin, request, suggestion_id):
    """The existing check page (groups.forming), filled in from the accepted suggestion."""
    _ensure_may_form(request)
    suggestion = _accepted(request, suggestion_id)
    if suggestion.status == Suggestion.Status.FORMED and suggestion.group_id:
        return redirect("admin:groups_group_change", suggestion.group_id)
    held = suggestion.members.filter(holds=True).values_list("intake_id", flat=True)
    if suggestion.status != Suggestion.Status.ACCEPTED or not held.exists():
        modeladmin.message_user(
            request, gettext("This suggestion no longer holds anyone."), messages.WARNING
        )
        return redirect(_page_url(suggestion.centre))
    intake_admin = modeladmin.admin_site._registry[Intake]
    queryset = Intake.objects.for_user(request.user).filter(pk__in=list(held))
    initial = {
        "centre": suggestion.centre_id,
        "name": gettext("Group %(slot)s")
        % {"slot": slot_label(suggestion.weekday, suggestion.part)},
        "weekday": suggestion.weekday,
        "start_time": USUAL_START[suggestion.part],
        "first_meeting": first_meeting_on(suggestion.weekday),
        "format": suggestion.format,
        "kind": suggestion.kind,
        "theme": suggestion.theme_id,
    }
    response = form_group_action(intake_admin, request, queryset, initial=initial)
    if response is not None and response.status_code == 302:
        services.mark_formed(suggestion=suggestion)
    return response


def release_view(modeladmin, request, suggestion_id):
    """Let an accepted suggestion go; POST only."""
    _ensure_may_form(request)
    suggestion = _accepted(request, suggestion_id)
    if request.method == "POST":
        try:
            services.release_suggestion(suggestion=suggestion, actor=request.user)
        except GroupRuleError as error:
            for message in error.messages:
                modeladmin.message_user(request, message, messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                gettext("The suggestion is let go; its people can be suggested again."),
                messages.SUCCESS,
            )
    return redirect(_page_url(suggestion.centre))
