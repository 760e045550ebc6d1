from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from intake.demo import PLAN, seed_intakes
from intake.models import Intake
from selvhjelp.models import OutboundMessage
from tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres():
    return [CentreFactory(slug="arna"), CentreFactory(slug="link-oslo", runs_digital_groups=True)]


def test_every_centre_gets_intakes_in_every_status_but_placed(centres, staff):
    count = seed_intakes(centres, staff={centres[0].pk: staff})

    assert count == 2 * len(PLAN)
    for centre in centres:
        statuses = set(Intake.objects.filter(centre=centre).values_list("status", flat=True))
        assert statuses == set(Intake.Status.values) - {Intake.Status.PLACED}


def test_seeding_twice_creates_nothing_new(centres):
    first = seed_intakes(centres)

    assert seed_intakes(centres) == first
    assert Intake.objects.count() == first


def test_seeding_leaves_intakes_staff_have_handled(centres):
    seed_intakes(centres)
    handled = Intake.objects.filter(status=Intake.Status.NEW).first()
    handled.change_status(Intake.Status.CONTACTED, by=None)

    seed_intakes(centres)

    handled.refresh_from_db()
    assert handled.status == Intake.Status.CONTACTED


def test_demo_history_ends_in_the_current_status(centres, staff):
    seed_intakes(centres, staff={centres[0].pk: staff})

    for intake in Intake.objects.all():
        history = list(intake.status_changes.order_by("pk"))
        assert history[0].to_status == Intake.Status.NEW
        assert history[0].changed_at == intake.created_at
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.to_status in Intake.TRANSITIONS[before.to_status]
            assert after.changed_at > before.changed_at
        assert history[-1].to_status == intake.status
        assert history[-1].changed_at == intake.status_changed_at
    assert Intake.objects.filter(centre=centres[0], contact_attempts__by=staff).exists()


def test_demo_intakes_are_varied_and_spread_over_months(centres):
    seed_intakes(centres)
    intakes = Intake.objects.all()

    assert min(i.created_at for i in intakes) < timezone.now() - timedelta(days=90)
    assert len({i.gender for i in intakes}) >= 3
    assert len({i.birth_year for i in intakes}) >= 10
    assert all(i.themes.exists() and i.availability.exists() for i in intakes)
    assert all(i.age_on(timezone.localdate()) >= 18 for i in intakes)
    assert not intakes.filter(centre=centres[0], format=Intake.Format.DIGITAL).exists()


def test_demo_intakes_send_no_messages(centres):
    seed_intakes(centres)

    assert not OutboundMessage.objects.exists()


def test_seed_demo_prints_the_number_of_intakes(capsys):
    call_command("seed_demo")

    assert f"{3 * len(PLAN)} demo interest forms" in capsys.readouterr().out
