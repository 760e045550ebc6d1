"""Hostile input to every URL and every form field: never a 5xx, never markup echoed.

What an attacker sends, on PostgreSQL: over-long strings, NUL bytes,
right-to-left overrides, combining characters, markup, numbers out of range,
wrong types (letters for numbers, a file for text, JSON for a form, a list
for one value), duplicate and missing fields, and no or a wrong CSRF token.
It goes to

- every URL of the URLconf outside the admin, found by walking it (so URLs
  other branches add are covered too), in each path argument and in the
  query string, anonymously and as a logged-in facilitator;
- every field of every form those pages show (found in their HTML);
- the search box and every filter of every changelist of the staff admin.

Any answer of 500 or more fails the test, with the list of what gave one.
"""

import json
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern

from intake import retention
from intake.consent import CONSENT_VERSION
from selvhjelp import messaging
from tests.facilitators.conftest import assignment, clock, group, make_group  # noqa: F401
from tests.factories import IntakeFactory, intake_form_data
from tests.html_tree import parse

pytestmark = pytest.mark.usefixtures("postgres")

MARKUP = "<script>alert(1)</script>"
HOSTILE = {
    "over-long": "ø" * 5000,
    "NUL": "a\x00b",
    "right-to-left override": "\u202egnp.exe\u202c",
    "combining": "e" + "\u0301" * 500,
    "markup": f"{MARKUP}\"'><img src=x onerror=alert(1)>",
    "out of range": "9" * 30,
    "negative": "-1",
    "control": "\x01\x1b[31m\x7f",
    "letters for a number": "abc",
    "emoji": "🙂" * 100,
    "empty": "",
}
# Fewer for the admin's many filters, still every kind of trouble.
ADMIN_HOSTILE = {k: HOSTILE[k] for k in ("over-long", "NUL", "combining", "markup", "out of range")}


class Failures(list):
    def check(self, response, what):
        if response.status_code >= 500:
            self.append(f"{response.status_code} {what}")
            return
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type and MARKUP.encode() in response.content:
            self.append(f"markup echoed unescaped: {what}")


def client(**kwargs):
    return Client(raise_request_exception=False, **kwargs)


# --- The URLs -------------------------------------------------------------------------


def routes(resolver=None, prefix=""):
    """(route, name) of every URL pattern, the admin's apart; regex patterns are skipped."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, LocalePrefixPattern):
            route = prefix  # the pages in bokmål, without a language prefix
        elif isinstance(entry.pattern, RoutePattern):
            route = prefix + str(entry.pattern)
        else:
            continue
        if route.startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            namespace = resolver.namespace if hasattr(resolver, "namespace") else None
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield route, name


PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def fill(route, values):
    """The path of `route` with each <converter:name> replaced by values[name] (quoted)."""
    return "/" + PLACEHOLDER.sub(lambda m: quote(str(values[m["name"]]), safe=""), route)


def kwarg_names(route):
    return [m["name"] for m in PLACEHOLDER.finditer(route)]


@pytest.fixture
def world(centre, facilitator, assignment, settings):  # noqa: F811
    """Real rows behind every kind of URL, and limits that would stop the test early."""
    settings.INTAKE_RATE_LIMIT = 0
    settings.AXES_FAILURE_LIMIT = 10**6
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 10**6
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 10**6
    intake = IntakeFactory(centre=centre)
    receipt = messaging.queue_message(
        centre=centre,
        channel="email",
        recipient="kari@example.org",
        message_type="group_first_meeting_reminder",
        about=assignment.group.memberships.first(),
        dedup_key="hostile-input",
        context={},
    )
    membership = assignment.group.memberships.first()
    follow_up = assignment.group.follow_ups.get()
    return {
        "token": retention.withdrawal_token(intake.pk),
        "stop-token": messaging.stop_token(receipt),
        "calendar-token": facilitator.calendar_token,
        "centre_slug": centre.slug,
        "version": CONSENT_VERSION,
        "group_id": assignment.group.pk,
        "membership_id": membership.pk,
        "follow_up_id": follow_up.pk,
        "uidb64": "MQ",
        "file_format": "csv",
    }


def valid_values(route, world):
    values = {}
    for name in kwarg_names(route):
        if name == "token" and "kalender" in route:
            values[name] = world["calendar-token"]
        elif name == "token" and route.startswith("stopp/"):
            values[name] = world["stop-token"]
        else:
            values[name] = world.get(name, "1")
    return values


# --- Forms on the pages ---------------------------------------------------------------


def forms_on(html, page_path):
    """(action path, [(field name, value)]) of each POST form in the page."""
    found = []
    for form in parse(html).find_all("form"):
        if (form.attrs.get("method") or "get").lower() != "post":
            continue
        action = urlsplit(form.attrs.get("action") or page_path).path or page_path
        fields = []
        radios_seen = set()
        for node in form.iter():
            name = node.attrs.get("name")
            if not name:
                continue
            kind = (node.attrs.get("type") or "").lower()
            if node.tag == "input" and kind in {"checkbox", "radio"}:
                if kind == "radio" and name in radios_seen:
                    continue
                radios_seen.add(name)
                fields.append((name, node.attrs.get("value", "on")))
            elif node.tag == "input":
                fields.append((name, node.attrs.get("value") or ""))
            elif node.tag == "textarea":
                fields.append((name, node.text))
            elif node.tag == "select":
                options = node.find_all("option")
                fields.append((name, options[-1].attrs.get("value", "") if options else ""))
        found.append((action, fields))
    return found


def known_good(centre, facilitator):
    """Values that pass validation, so hostile values also reach the later steps."""
    return {
        **{k: v for k, v in intake_form_data(centre).items() if isinstance(v, str)},
        "username": facilitator.user.username,
        "password": "feil-passord",
        "done_on": "2027-01-05",
        "note": "Det går fint.",
    }


def attack_form(send, action, fields, good, failures):
    base = [(name, good.get(name, value)) for name, value in fields]
    names = list(dict.fromkeys(name for name, _value in fields if name != "csrfmiddlewaretoken"))

    def post(data, what, **extra):
        failures.check(send(action, data, **extra), f"POST {action} {what}")

    post(base, "as the page gives it")
    for name in names:
        others = [(n, v) for n, v in base if n != name]
        for label, value in HOSTILE.items():
            post([*others, (name, value)], f"{name}={label}")
        post(others, f"{name} missing")
        post([*others, (name, HOSTILE["markup"]), (name, HOSTILE["NUL"])], f"{name} twice")
        post([*others, (f"{name}[]", "x")], f"{name}[] as a list name")
        file = SimpleUploadedFile("x.txt", b"\x00\xff" * 100, content_type="text/plain")
        post({**dict(others), name: file}, f"{name} as a file")
    post(None, "as JSON", content_type="application/json", json_body=True)
    post([], "with no fields at all")


# --- The test -------------------------------------------------------------------------


def test_no_hostile_input_gives_a_server_error(world, centre, facilitator, superuser):
    failures = Failures()
    anonymous = client()
    logged_in = client()
    logged_in.force_login(facilitator.user)
    good = known_good(centre, facilitator)
    all_routes = list(routes())
    assert len(all_routes) >= 15  # the walk found the URLconf

    def sender(http):
        def send(path, data, *, content_type=None, json_body=False):
            if json_body:
                body = json.dumps({"a": [1, {"b": None}]})
                return http.post(path, body, content_type=content_type)
            if isinstance(data, list):
                body = urlencode(data)
                return http.post(path, body, content_type="application/x-www-form-urlencoded")
            return http.post(path, data)

        return send

    forms_seen = set()
    for who, http in (("anonymous", anonymous), ("facilitator", logged_in)):
        for route, _name in all_routes:
            if who == "facilitator" and not route.startswith("igangsetter/"):
                continue  # the public pages are the same for a logged-in facilitator
            path = fill(route, valid_values(route, world))
            # Path arguments, one at a time.
            for arg in kwarg_names(route):
                for label, value in HOSTILE.items():
                    bad = {**valid_values(route, world), arg: value or "x"}
                    failures.check(http.get(fill(route, bad)), f"{who} GET {route} {arg}={label}")
            # The query string: hostile values and names, duplicates.
            for label, value in HOSTILE.items():
                query = urlencode([("q", value), ("next", value), ("page", value), (value, "1")])
                failures.check(http.get(f"{path}?{query}"), f"{who} GET {path}?{label}")
            response = http.get(path)
            failures.check(response, f"{who} GET {path}")
            if "html" not in response.headers.get("Content-Type", ""):
                continue
            for action, fields in forms_on(response.content.decode(), path):
                key = (who, action, tuple(sorted({name for name, _v in fields})))
                if key in forms_seen or action.endswith(("/logg-ut/", "/logout/")):
                    continue
                forms_seen.add(key)
                attack_form(sender(http), action, fields, good, failures)
                # No CSRF token, and a wrong one.
                strict = client(enforce_csrf_checks=True)
                if who == "facilitator":
                    strict.force_login(facilitator.user)
                without = [(n, v) for n, v in fields if n != "csrfmiddlewaretoken"]
                for token in (None, "x" * 64, HOSTILE["NUL"]):
                    data = without + ([("csrfmiddlewaretoken", token)] if token else [])
                    response = strict.post(
                        action, urlencode(data), content_type="application/x-www-form-urlencoded"
                    )
                    failures.check(response, f"{who} POST {action} CSRF token {token!r:.10}")
    assert any("meld-interesse" in action for _who, action, _f in forms_seen)
    assert any(who == "facilitator" for who, _a, _f in forms_seen)

    # The staff admin: every changelist's search box and every filter.
    staff = client()
    staff.force_login(superuser)
    changelists = 0
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = staff.get(url)
        failures.check(response, f"GET {url}")
        if response.status_code != 200:
            continue
        changelists += 1
        params = {"q", "o", "p", "all", "_to_field", "e"}
        for link in parse(response.content.decode()).find_all("a"):
            href = link.attrs.get("href") or ""
            if href.startswith("?"):
                params |= {name for name, _value in parse_qsl(href[1:], keep_blank_values=True)}
        for param in sorted(params):
            for label, value in ADMIN_HOSTILE.items():
                response = staff.get(url, {param: value})
                failures.check(response, f"GET {url}?{param}={label}")
        failures.check(staff.get(url, {"q": ["a", "b"]}), f"GET {url} q twice")
    assert changelists >= 10

    assert not failures, "\n".join(failures)
