"""Who may open which facilitator page: every URL against every kind of visitor."""

import pytest
from django.urls import reverse

from facilitators import services
from tests.factories import FacilitatorFactory, hold_first_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(assignment):
    """Every page under /igangsetter/ that needs a login, about `assignment`'s group."""
    group = assignment.group
    follow_up = group.follow_ups.get()
    return {
        "overview": ("get", reverse("facilitators:overview")),
        "group": ("get", reverse("facilitators:group", args=[group.pk])),
        "follow-up": ("get", reverse("facilitators:follow-up", args=[follow_up.pk])),
        "complete follow-up": (
            "post",
            reverse("facilitators:follow-up", args=[follow_up.pk]),
        ),
        "regenerate calendar": ("post", reverse("facilitators:regenerate-calendar")),
        "record agreement": (
            "post",
            reverse("facilitators:record-agreement", args=[group.pk, member(group).pk]),
        ),
    }


def member(group):
    return group.memberships.order_by("pk").first()


COMPLETE = {"done_on": "2027-01-04", "outcome": "going_well", "note": ""}

PAGES = [
    "overview",
    "group",
    "follow-up",
    "complete follow-up",
    "regenerate calendar",
    "record agreement",
]

# What each visitor gets: the status code per URL.
MATRIX = {
    "facilitator": {
        "overview": 200,
        "group": 200,
        "follow-up": 200,
        "complete follow-up": 302,
        "regenerate calendar": 302,
        "record agreement": 302,
    },
    # Another facilitator of the same centre, not assigned to the group.
    "other_facilitator": {
        "overview": 200,
        "group": 404,
        "follow-up": 404,
        "complete follow-up": 404,
        "regenerate calendar": 302,
        "record agreement": 404,
    },
    # Staff work in the admin; the facilitator pages are not theirs.
    "staff": dict.fromkeys(PAGES, 403),
    "other_centre_staff": dict.fromkeys(PAGES, 403),
}


def request(client, method, url):
    return client.post(url, COMPLETE) if method == "post" else client.get(url)


@pytest.mark.parametrize("who", list(MATRIX))
@pytest.mark.parametrize("page", PAGES)
def test_access_matrix(client, urls, assignment, request_fixture, who, page):
    person = request_fixture(who)
    hold_first_meeting(assignment.group)
    client.force_login(getattr(person, "user", person))
    method, url = urls[page]

    response = request(client, method, url)

    assert response.status_code == MATRIX[who][page]
    follow_up = assignment.group.follow_ups.get()
    assert follow_up.is_done == (who == "facilitator" and page == "complete follow-up")
    agreed = member(assignment.group).confidentiality_agreed_at is not None
    assert agreed == (who == "facilitator" and page == "record agreement")


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, urls, assignment, page):
    method, url = urls[page]

    response = request(client, method, url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("facilitators:login") + "?next=")
    assert not assignment.group.follow_ups.get().is_done
    assert member(assignment.group).confidentiality_agreed_at is None


def test_a_withdrawn_facilitator_no_longer_sees_the_group(client, urls, assignment, staff):
    services.withdraw_facilitator(assignment=assignment, actor=staff)
    client.force_login(assignment.facilitator.user)

    assert client.get(urls["group"][1]).status_code == 404
    assert client.get(urls["follow-up"][1]).status_code == 404
    assert client.post(urls["record agreement"][1]).status_code == 404


def test_an_inactive_facilitator_is_refused(client, urls, assignment, facilitator):
    facilitator.active = False
    facilitator.save()
    client.force_login(facilitator.user)

    assert client.get(urls["overview"][1]).status_code == 403
    assert client.get(urls["group"][1]).status_code == 403


def test_a_facilitator_of_another_centre_gets_404_for_the_group(
    client, urls, assignment, other_centre
):
    outsider = FacilitatorFactory(centres=[other_centre])
    client.force_login(outsider.user)

    assert client.get(urls["group"][1]).status_code == 404
    assert client.get(urls["follow-up"][1]).status_code == 404
    assert client.post(urls["record agreement"][1]).status_code == 404


def test_a_group_that_does_not_exist_is_404(facilitator_client):
    assert facilitator_client.get(reverse("facilitators:group", args=[999999])).status_code == 404


# --- The calendar feed: reached by its secret alone -------------------------------------


def feed_url(token):
    return reverse("facilitators:calendar-feed", args=[token])


def test_the_feed_opens_with_the_token_and_no_login(client, assignment, facilitator):
    response = client.get(feed_url(facilitator.calendar_token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("token", ["", "x", "not-the-token-0123456789abcdefghijklmnopqrstuvw"])
def test_a_wrong_token_is_404(client, assignment, token):
    assert client.get(f"/igangsetter/kalender/{token}.ics").status_code == 404


def test_an_inactive_facilitators_feed_is_404(client, assignment, facilitator):
    facilitator.active = False
    facilitator.save()

    assert client.get(feed_url(facilitator.calendar_token)).status_code == 404


def test_the_feed_is_not_cached_or_indexed(client, assignment, facilitator):
    response = client.get(feed_url(facilitator.calendar_token))

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
