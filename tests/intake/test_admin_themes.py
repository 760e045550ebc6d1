"""Themes in the admin: staff keep the list, the form keeps "something else"."""

import pytest

from intake.models import Theme
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/intake/theme/"


def url(theme, page="change"):
    return f"/admin/intake/theme/{theme.pk}/{page}/"


@pytest.fixture
def other_theme():
    return Theme.objects.get(is_other=True)


@pytest.fixture
def grief():
    return Theme.objects.get(name="Sorg og tap")


def theme_data(theme, **changes):
    data = {
        "name": theme.name,
        "position": theme.position,
        "active": "on" if theme.active else "",
        "is_other": "on" if theme.is_other else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_staff_see_the_themes_in_order_with_how_often_their_centres_chose_them(
    staff_client, centre, other_centre, grief
):
    IntakeFactory.create_batch(2, centre=centre, themes=[grief])
    IntakeFactory.create_batch(3, centre=other_centre, themes=[grief])

    response = staff_client.get(LIST_URL)

    rows = list(response.context["cl"].result_list)
    assert rows[-1].is_other  # "something else" last, as on the form
    assert next(row for row in rows if row.pk == grief.pk).times_chosen == 2


def test_staff_add_a_theme(staff_client):
    response = staff_client.post(
        "/admin/intake/theme/add/", {"name": "Kronisk smerte", "position": 5, "active": "on"}
    )

    assert response.status_code == 302
    assert Theme.objects.filter(name="Kronisk smerte", active=True).exists()


def test_staff_hide_an_ordinary_theme(staff_client, grief):
    response = staff_client.post(url(grief), theme_data(grief, active=""))

    assert response.status_code == 302
    grief.refresh_from_db()
    assert not grief.active


def test_hiding_the_last_other_theme_is_refused_with_a_message(staff_client, other_theme):
    response = staff_client.post(url(other_theme), theme_data(other_theme, active=""))

    assert response.status_code == 200
    assert "Skjemaet må alltid ha valget «noe annet»." in response.content.decode()
    other_theme.refresh_from_db()
    assert other_theme.active


def test_unmarking_the_last_other_theme_is_refused(staff_client, other_theme):
    response = staff_client.post(url(other_theme), theme_data(other_theme, is_other=""))

    assert response.status_code == 200
    other_theme.refresh_from_db()
    assert other_theme.is_other


def test_deleting_the_last_other_theme_is_refused_with_a_message(staff_client, other_theme):
    for method in ["get", "post"]:
        response = getattr(staff_client, method)(url(other_theme, "delete"), {"post": "yes"})

        assert response.status_code == 302
        assert response.url == url(other_theme)
        assert Theme.objects.filter(pk=other_theme.pk).exists()
    page = staff_client.get(response.url).content.decode()
    assert "Skjemaet må alltid ha valget «noe annet»." in page


def test_deleting_a_chosen_theme_is_refused(staff_client, centre, grief):
    IntakeFactory(centre=centre, themes=[grief])

    response = staff_client.post(url(grief, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert Theme.objects.filter(pk=grief.pk).exists()


def test_deleting_an_unused_theme(staff_client):
    theme = Theme.objects.create(name="Skrivefeil")

    response = staff_client.post(url(theme, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not Theme.objects.filter(pk=theme.pk).exists()


def test_bulk_delete_of_themes_is_not_offered(staff_client, other_theme):
    response = staff_client.post(
        LIST_URL, {"action": "delete_selected", "_selected_action": [other_theme.pk], "post": "yes"}
    )

    assert Theme.objects.filter(pk=other_theme.pk).exists()
    assert response.status_code in {200, 302}


def test_theme_name_markup_is_escaped(staff_client):
    Theme.objects.create(name="<em>Ny</em>")

    html = staff_client.get(LIST_URL).content.decode()

    assert "<em>Ny</em>" not in html and "&lt;em&gt;Ny&lt;/em&gt;" in html
