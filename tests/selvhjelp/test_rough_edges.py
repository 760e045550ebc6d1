"""The rough edges a new staff member hit (issue 15, part 6), each pinned."""

import pytest

from groups.forms import suggest_frame
from intake.models import Intake
from tests import factories

pytestmark = pytest.mark.django_db


def test_empty_answers_read_as_words_not_none(staff_client, centre):
    intake = factories.IntakeFactory(centre=centre, about="")
    html = staff_client.get(f"/admin/intake/intake/{intake.pk}/change/").content.decode()
    assert ">None<" not in html and "None</div>" not in html
    assert "Ingen valgt" in html and "Ikke skrevet noe" in html


def test_formed_by_is_a_name_not_a_link_to_the_user_admin(staff_client, staff, centre):
    from groups.models import Group

    group = Group.objects.create(
        centre=centre,
        name="Gruppa",
        kind="across",
        format="physical",
        venue="Rom 1",
        weekday=1,
        start_time="18:00",
        planned_start="2027-01-19",
        created_by=staff,
    )
    html = staff_client.get(f"/admin/groups/group/{group.pk}/change/").content.decode()
    assert "/admin/auth/user/" not in html
    assert staff.get_full_name() in html


def test_add_page_title_is_not_capitalised_mid_sentence(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/facilitators/facilitator/add/").content.decode()
    assert "Igangsetter</h1>" not in html


def test_the_login_page_has_a_heading(client):
    html = client.get("/admin/login/").content.decode()
    assert "<h1>" in html


@pytest.mark.parametrize(
    "english", ["Show counts", "Start typing to filter", "Select this object for an action"]
)
def test_no_english_left_on_the_list(staff_client, centre, english):
    factories.IntakeFactory(centre=centre)
    html = staff_client.get("/admin/intake/intake/").content.decode()
    assert english not in html


def test_toggle_theme_is_norwegian(staff_client):
    assert "Toggle theme" not in staff_client.get("/admin/").content.decode()


def test_one_person_wanting_video_does_not_make_the_group_digital(centre):
    people = [factories.IntakeFactory(centre=centre, format="either") for _ in range(4)]
    people.append(factories.IntakeFactory(centre=centre, format=Intake.Format.DIGITAL))
    assert suggest_frame(people)["format"] == "physical"
    everyone = [factories.IntakeFactory(centre=centre, format="digital") for _ in range(4)]
    assert suggest_frame(everyone)["format"] == "digital"


def test_staff_set_their_centres_usual_number_of_facilitator_meetings(staff_client, centre):
    url = f"/admin/selvhjelp/centre/{centre.pk}/change/"
    assert 'name="facilitator_meetings"' in staff_client.get(url).content.decode()
