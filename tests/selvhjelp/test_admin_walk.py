"""Staff of one centre find nothing of another centre anywhere in the admin.

Centre A ("Quokka") gets a full set of data through the real services: people
who wrote in, their status history and contact notes, a group with members,
meetings (one cancelled), a facilitator and an assignment, the group's
follow-up, the outbox, a stopped reminder, change and access entries of the
audit log and Django's own admin history. Then a staff member of centre B
only walks every URL of every ModelAdmin registered on the admin site (and
the site's own: index, app pages, autocomplete, "view on site"), with A's ids
where a URL takes an id, every list filter choice, searches for A's names
and numbers, and every action on A's rows. No page may show anything of A,
A's object URLs answer 403 or 404 (a 500 fails the test, as the test client
raises it), and A's rows are unchanged afterwards.

Everything of A has "quokka" in it (names, emails, the group, the venue,
the centre, its staff and facilitator); references and phone numbers are
checked on their own.
"""

import datetime
import re
from urllib.parse import quote, quote_plus

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry as AuditEntry
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils.html import escape

from facilitators import services as facilitator_services
from facilitators.models import Assignment, Facilitator, FollowUp
from groups import meetings as group_meetings
from groups import services as group_services
from groups.models import Group, Meeting, Membership
from intake import services as intake_services
from intake.models import ContactAttempt, Intake, Slot, StatusChange, Theme
from selvhjelp.audit import Action, record_access
from selvhjelp.dates import OSLO
from selvhjelp.models import AccessEntry, Centre, MessageOptOut, OutboundMessage
from tests import factories
from tests.intake.test_admin_change import form_data

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 1, 4, 10, 0, tzinfo=OSLO)  # a Monday
FIRST = datetime.date(2027, 1, 19)  # a Tuesday; no public holiday in the next 12 weeks
MARK = "quokka"
LONE_PHONE = "+4791827364"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def _waiting_person(centre, actor, name, email, phone="", about=""):
    intake = intake_services.submit_intake(
        centre=centre,
        name=name,
        email=email,
        phone=phone,
        birth_year=1980,
        confirmed_adult=True,
        applying_for_self=True,
        consent_given=True,
        about=about,
        availability=[Slot.objects.get(weekday=1, part="evening")],
    )
    intake_services.change_intake_status(intake=intake, to="contacted", actor=actor)
    intake_services.change_intake_status(intake=intake, to="waiting", actor=actor)
    return intake


def _centre_with_everything(*, name, slug, staff_name, people, group_name, venue, fac_name):
    """A centre, its staff member and everything the admin can show about it."""
    centre = factories.CentreFactory(name=name, slug=slug, email=f"post@{slug}.example")
    staff = factories.StaffFactory(
        centres=[centre],
        username=f"{slug}-staff",
        first_name=staff_name[0],
        last_name=staff_name[1],
        email=f"staff@{slug}.example",
    )
    with set_actor(staff):
        intakes = [
            _waiting_person(
                centre,
                staff,
                f"{first} {people}",
                f"{first.lower()}.{slug}@example.org",
                about=f"Helse {slug}-markør",
            )
            for first in ["Anne", "Bjørn", "Cecilie", "David"]
        ]
        lone = intake_services.submit_intake(
            centre=centre,
            name=f"Zelda {people}",
            email=f"zelda.{slug}@example.org",
            phone=LONE_PHONE if slug == MARK else "+4790000001",
            birth_year=1990,
            confirmed_adult=True,
            applying_for_self=True,
            consent_given=True,
            about=f"Helse {slug}-markør",
        )
        intake_services.record_contact_attempt(
            intake=lone, kind="note", note=f"Ringte {slug}-notat", actor=staff
        )
        intake_services.change_intake_status(
            intake=lone, to="closed", actor=staff, reason=f"Grunn {slug}"
        )
        group = group_services.form_group(
            centre=centre,
            intakes=intakes,
            name=group_name,
            kind="across",
            format="physical",
            venue=venue,
            weekday=1,
            start_time=datetime.time(18),
            first_meeting=FIRST,
            actor=staff,
            accept_warnings=True,
        )
        facilitator = facilitator_services.create_facilitator(
            first_name=fac_name[0],
            last_name=fac_name[1],
            email=f"fac@{slug}.example",
            phone="+4798765432" if slug == MARK else "+4790000002",
            centres=[centre],
            actor=staff,
        )
        facilitator_services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
        meeting = group.meetings.order_by("sequence")[2]
        group_meetings.cancel_meeting(meeting=meeting, reason=f"Avlyst {slug}", actor=staff)
        membership = group.memberships.first()
        MessageOptOut.objects.create(
            centre=centre,
            about=membership,
            message_type="group_first_meeting_reminder",
        )
        record_access(actor=staff, action=Action.OPENED, people=[lone])
    return centre, staff


@pytest.fixture
def world(client):
    centre_a, staff_a = _centre_with_everything(
        name="Quokka frivilligsentral",
        slug=MARK,
        staff_name=("Quentin", "Quokkason"),
        people="Quokkasdottir",
        group_name="Quokkagruppa",
        venue="Quokkaveien 7",
        fac_name=("Fridtjof", "Quokkavik"),
    )
    centre_b, staff_b = _centre_with_everything(
        name="Bjørke frivilligsentral",
        slug="bjorke",
        staff_name=("Berit", "Bakken"),
        people="Berg",
        group_name="Bjørkegruppa",
        venue="Bjørkeveien 1",
        fac_name=("Frida", "Fjell"),
    )
    # A facilitator of both centres starts A's group: B sees the facilitator,
    # never A's group through them.
    shared = factories.FacilitatorFactory(
        centres=[centre_a, centre_b], user__first_name="Sigrid", user__last_name="Delt"
    )
    facilitator_services.assign_facilitator(
        group=Group.objects.get(centre=centre_a), facilitator=shared, actor=staff_a
    )
    # A's staff also work in the admin: Django's history entries and the
    # access log then name them and A's people.
    client.force_login(staff_a)
    lone_a = Intake.objects.get(centre=centre_a, phone=LONE_PHONE)
    data = form_data(client, lone_a)
    data["name"] = "Zelda Quokkasdottir Quokkesen"
    assert client.post(f"/admin/intake/intake/{lone_a.pk}/change/", data).status_code == 302
    client.logout()
    client.force_login(staff_b)
    return {"a": centre_a, "b": centre_b, "staff_a": staff_a, "staff_b": staff_b}


# --- What belongs to centre A ---------------------------------------------------


def a_rows(centre):
    """Every row of centre A, by model (the ones the admin could show)."""
    intakes = Intake.objects.filter(centre=centre)
    groups = Group.objects.filter(centre=centre)
    users = get_user_model().objects.filter(
        staff_memberships__centre=centre
    ) | get_user_model().objects.filter(
        facilitator__in=Facilitator.objects.filter(centres=centre).exclude(
            centres__in=Centre.objects.exclude(pk=centre.pk)
        )
    )
    rows = {
        Centre: Centre.objects.filter(pk=centre.pk),
        Intake: intakes,
        StatusChange: StatusChange.objects.filter(intake__in=intakes),
        ContactAttempt: ContactAttempt.objects.filter(intake__in=intakes),
        Group: groups,
        Membership: Membership.objects.filter(group__in=groups),
        Meeting: Meeting.objects.filter(group__in=groups),
        # A facilitator of B as well is B's too; only A's own are A's rows.
        Facilitator: Facilitator.objects.filter(centres=centre).exclude(
            centres__in=Centre.objects.exclude(pk=centre.pk)
        ),
        Assignment: Assignment.objects.filter(group__in=groups),
        FollowUp: FollowUp.objects.filter(group__in=groups),
        OutboundMessage: OutboundMessage.objects.filter(centre=centre),
        MessageOptOut: MessageOptOut.objects.filter(centre=centre),
        get_user_model(): users.distinct(),
    }
    audit = AuditEntry.objects.none()
    history = AdminEntry.objects.none()
    for model, queryset in list(rows.items()):
        content_type = ContentType.objects.get_for_model(model)
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        audit |= AuditEntry.objects.filter(content_type=content_type, object_pk__in=ids)
        history |= AdminEntry.objects.filter(content_type=content_type, object_id__in=ids)
    rows[AuditEntry] = audit
    rows[AdminEntry] = history
    rows[AccessEntry] = AccessEntry.objects.filter(
        people__person_type=ContentType.objects.get_for_model(Intake),
        people__person_id__in=intakes.values("pk"),
    ).distinct()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    rows[TOTPDevice] = TOTPDevice.objects.filter(user__in=users)
    return rows


def snapshot(rows):
    return {
        model: sorted((model_to_dict(row) for row in queryset), key=lambda row: str(row))
        for model, queryset in rows.items()
    }


def secrets(centre):
    """What of A must never be on a page of B: the mark, references, phone numbers."""
    references = list(Intake.objects.filter(centre=centre).values_list("reference", flat=True))
    return references, ["91827364", "98765432", "918 27 364", "987 65 432"]


def assert_nothing_of_a(response, centre, where, echo=None):
    """No trace of A in the page; `echo` is a search term the page may repeat."""
    body = response.content.decode(errors="replace")
    if echo:
        # Repeated in the search box and, quoted once or twice, in links.
        forms = {echo, escape(echo), quote_plus(echo), quote(echo), quote(quote_plus(echo))}
        for form in sorted(forms, key=len, reverse=True):
            body = re.sub(re.escape(form), "", body, flags=re.IGNORECASE)
    lowered = body.lower()
    assert MARK not in lowered, f"{where}: shows '{MARK}' ({_around(lowered, MARK)})"
    references, numbers = secrets(centre)
    for reference in references:
        assert reference not in body, f"{where}: shows the reference {reference}"
    squeezed = re.sub(r"\s", "", body)
    for number in numbers:
        assert number.replace(" ", "") not in squeezed, f"{where}: shows the number {number}"


def _around(text, word):
    at = text.find(word)
    return text[max(0, at - 120) : at + 120]


def assert_refused(response, where):
    assert response.status_code in {302, 403, 404}, f"{where}: answered {response.status_code}"


# --- The walk --------------------------------------------------------------------


def _fill(route, values):
    """The route of a ModelAdmin URL pattern with its <converter:name> parts filled in."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), route)


def _object_urls(model_admin, obj_id, sub_ids):
    """(url, name) of every URL of the ModelAdmin that takes an object id."""
    opts = model_admin.model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    urls = [(f"{base}{obj_id}/", "redirect to change")]
    for pattern in model_admin.get_urls():
        route = str(pattern.pattern)
        if "object_id" not in pattern.pattern.converters:
            continue
        names = set(pattern.pattern.converters) - {"object_id"}
        if not names <= set(sub_ids):
            raise AssertionError(f"the walk does not know how to fill {route}")
        urls.append((base + _fill(route, {"object_id": obj_id, **sub_ids}), pattern.name))
    return urls


def walk_get(client, url, centre, where=None):
    response = client.get(url)
    assert response.status_code < 500
    assert_nothing_of_a(response, centre, where or url)
    if response.status_code == 302:
        followed = client.get(response.url)
        assert_nothing_of_a(followed, centre, f"{where or url} -> {response.url}")
    return response


def test_staff_of_another_centre_find_nothing_anywhere_in_the_admin(client, world):
    centre_a, centre_b = world["a"], world["b"]
    rows = a_rows(centre_a)
    before = snapshot(rows)
    for model in (Intake, Group, Facilitator, FollowUp, OutboundMessage, MessageOptOut):
        assert rows[model].exists(), f"the walk needs A's {model._meta.model_name}"
    assert rows[AccessEntry].filter(action=Action.OPENED).exists()
    assert rows[AdminEntry].exists()

    a_groups = rows[Group]
    sub_ids = {
        "membership_id": rows[Membership].first().pk,
        "meeting_id": rows[Meeting].filter(cancelled=False).first().pk,
        "to": "withdrawn",
        # Merging two of A's forms (issue 15).
        "other_id": rows[Intake].order_by("-pk").first().pk,
    }
    b_group = Group.objects.get(centre=centre_b)
    lone_a = rows[Intake].get(phone=LONE_PHONE)
    searches = [
        lone_a.name,
        "Quokka",
        lone_a.reference,
        lone_a.reference.replace("-", "").lower(),
        "918 27 364",
        lone_a.email,
        "Quokkagruppa",
        "Quokkavik",
        "Quokkason",
        "post@quokka.example",
    ]
    walked_objects = walked_own = 0
    lists_shown = set()

    walk_get(client, "/admin/", centre_a)
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        walk_get(client, f"/admin/{app_label}/", centre_a)

    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"

        # The list: as it opens, with every filter choice, searched, and filtered on A.
        response = walk_get(client, base, centre_a)
        if response.status_code == 200:
            lists_shown.add(model)
            changelist = response.context["cl"]
            for spec in changelist.filter_specs:
                for choice in spec.choices(changelist):
                    walk_get(client, base + choice["query_string"], centre_a, f"{base} filter")
                if isinstance(spec, RelatedFieldListFilter):
                    target = a_rows(centre_a).get(spec.field.related_model)
                    for row in (target or spec.field.related_model.objects.none())[:3]:
                        walk_get(client, f"{base}?{spec.lookup_kwarg}={row.pk}", centre_a)
            for term in searches:
                response = client.get(base, {"q": term})
                assert response.status_code < 500
                assert_nothing_of_a(response, centre_a, f"{base}?q={term}", echo=term)
                if response.status_code == 200:
                    assert not [
                        row
                        for row in response.context["cl"].result_list
                        if row in rows.get(model, [])
                    ]
        # Every action, on A's rows.
        a_ids = [row.pk for row in rows.get(model, model.objects.none())[:5]]
        request = RequestFactory().get(base)
        request.user = world["staff_b"]
        for action in model_admin.get_actions(request) if a_ids else []:
            response = client.post(
                base,
                {
                    "action": action,
                    "_selected_action": a_ids,
                    "index": 0,
                    "apply": "1",
                    "reason": "x",
                    "post": "yes",
                },
            )
            assert response.status_code < 500
            assert_nothing_of_a(response, centre_a, f"{base} action {action}")

        # Adding: the form's choices name nothing of A.
        walk_get(client, f"{base}add/", centre_a)

        # B's own rows (and shared ones: themes, the shared facilitator) show nothing of A.
        visible = (
            model_admin.get_queryset(request) if model_admin.has_view_permission(request) else []
        )
        for row in list(visible)[:3]:
            for url, name in _object_urls(model_admin, row.pk, sub_ids):
                if "/status/" not in url:  # B's row with A's sub-ids: walked below
                    walk_get(client, url, centre_a, f"own {name} {url}")
                    walked_own += 1

        # Every page of every A row: refused, on GET and on POST.
        for row in rows.get(model, model.objects.none()):
            for url, name in _object_urls(model_admin, row.pk, sub_ids):
                response = walk_get(client, url, centre_a, f"{name} {url}")
                assert_refused(response, f"{name} {url}")
                response = client.post(url, {"post": "yes", "reason": "x", "name": "Hacked"})
                assert_refused(response, f"POST {name} {url}")
                assert_nothing_of_a(response, centre_a, f"POST {name} {url}")
                walked_objects += 1
            content_type = ContentType.objects.get_for_model(model)
            response = walk_get(client, f"/admin/r/{content_type.pk}/{row.pk}/", centre_a)
            assert_refused(response, f"view on site {model.__name__} {row.pk}")

    # The group's own pages with B's group but A's members and meetings.
    for route in [
        "members/{membership_id}/remove/",
        "meetings/{meeting_id}/cancel/",
        "meetings/{meeting_id}/move/",
    ]:
        url = f"/admin/groups/group/{b_group.pk}/" + route.format(**sub_ids)
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    # B's own group page offers none of A's people or facilitators.
    walk_get(client, f"/admin/groups/group/{b_group.pk}/change/", centre_a)
    walk_get(client, f"/admin/groups/group/{b_group.pk}/add-member/", centre_a)

    # Autocomplete, from every relation of every model to a registered one.
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            if field.related_model not in admin.site._registry:
                continue
            for term in ["", "quokka", lone_a.reference, "918"]:
                response = client.get(
                    "/admin/autocomplete/",
                    {
                        "app_label": model._meta.app_label,
                        "model_name": model._meta.model_name,
                        "field_name": field.name,
                        "term": term,
                    },
                )
                assert response.status_code in {200, 403, 404}
                assert_nothing_of_a(
                    response, centre_a, f"autocomplete {model} {field.name}", echo=term
                )

    # The walk saw B's own pages, so refusing A's is not refusing everything.
    assert lists_shown >= {
        Centre,
        Intake,
        Theme,
        Group,
        Facilitator,
        FollowUp,
        OutboundMessage,
        MessageOptOut,
    }
    assert walked_own > 20
    assert walked_objects > 50
    own_list = client.get("/admin/intake/intake/", {"status": "all"}).content.decode()
    assert "Zelda Berg" in own_list
    assert "Sigrid Delt" in client.get("/admin/facilitators/facilitator/").content.decode()
    assert a_groups.count() == 1
    assert snapshot(a_rows(centre_a)) == before
