import pytest

pytestmark = pytest.mark.django_db


def test_staff_see_only_their_own_centre(staff_client, centre, other_centre):
    html = staff_client.get("/admin/selvhjelp/centre/").content.decode()
    assert centre.name in html
    assert other_centre.name not in html


def test_another_centres_page_is_not_found_for_staff(staff_client, other_centre):
    response = staff_client.get(f"/admin/selvhjelp/centre/{other_centre.pk}/change/")
    assert response.status_code == 404


def test_staff_edit_contact_details_but_not_the_name(staff_client, centre):
    url = f"/admin/selvhjelp/centre/{centre.pk}/change/"
    response = staff_client.post(
        url,
        {
            "name": "Nytt navn",
            "address": "Ny gate 1",
            "email": "ny@arna.example",
            "phone": "+47 55 11 22 33",
            "website": "",
            "usual_response_days": "4",
            "facilitator_meetings": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    centre.refresh_from_db()
    assert centre.address == "Ny gate 1"
    assert centre.facilitator_meetings == 2
    assert centre.name == "Arna frivilligsentral"


def test_staff_cannot_add_centres(staff_client):
    assert staff_client.get("/admin/selvhjelp/centre/add/").status_code == 403


def test_superuser_sees_all_centres(client, superuser, centre, other_centre):
    client.force_login(superuser)
    html = client.get("/admin/selvhjelp/centre/").content.decode()
    assert centre.name in html and other_centre.name in html
