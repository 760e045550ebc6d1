import pytest

from intake.models import Intake, IntakeError, StatusChange
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

Status = Intake.Status
ALLOWED = [(start, to) for start, targets in Intake.TRANSITIONS.items() for to in targets]
REFUSED = [
    (start, to)
    for start in Status.values
    for to in Status.values
    if to not in Intake.TRANSITIONS[start]
]


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_allowed_transition_changes_the_status_and_writes_who_when_from_and_to(
    start, to, staff, centre
):
    intake = IntakeFactory(centre=centre, status=start)
    before = intake.status_changed_at

    change = intake.change_status(to, by=staff, reason="Ringt og avtalt")

    intake.refresh_from_db()
    assert intake.status == to
    assert intake.status_changed_at > before
    assert (change.from_status, change.to_status) == (start, to)
    assert change.changed_by == staff
    assert change.reason == "Ringt og avtalt"
    assert change.changed_at >= intake.status_changed_at


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_refused_transition_raises_and_changes_nothing(start, to, staff, centre):
    intake = IntakeFactory(centre=centre, status=start)

    with pytest.raises(IntakeError):
        intake.change_status(to, by=staff)

    intake.refresh_from_db()
    assert intake.status == start
    assert not StatusChange.objects.filter(intake=intake).exists()


def test_refusal_message_names_both_statuses_in_norwegian(staff, centre):
    intake = IntakeFactory(centre=centre, status=Status.CLOSED)

    with pytest.raises(IntakeError) as error:
        intake.change_status(Status.CONTACTED, by=staff)

    assert str(error.value) == (
        "En interessemelding med statusen «Avsluttet» kan ikke endres til «Kontaktet»."
    )


def test_history_keeps_every_step_in_order(staff, centre):
    intake = IntakeFactory(centre=centre)

    intake.mark_contacted(by=staff)
    intake.mark_waiting(by=staff)
    intake.withdraw(by=staff, reason="Fant annen hjelp")

    steps = [(c.from_status, c.to_status) for c in intake.status_changes.all()]
    assert steps == [
        (Status.NEW, Status.CONTACTED),
        (Status.CONTACTED, Status.WAITING),
        (Status.WAITING, Status.WITHDRAWN),
    ]


def test_open_statuses_are_new_contacted_and_waiting(centre):
    for status in Status.values:
        IntakeFactory(centre=centre, status=status)

    assert sorted(Intake.objects.open().values_list("status", flat=True)) == sorted(
        [Status.NEW, Status.CONTACTED, Status.WAITING]
    )
