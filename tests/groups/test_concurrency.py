"""Two staff acting at the same moment cannot break the group rules (PostgreSQL).

Each thread has its own database connection. The rule check is slowed down
so that, without the row lock, both requests would pass it before either
saves: the lock makes the second wait and then see the first one's result.
"""

import threading
import time

import pytest
from django.db import connection

from groups import rules, services
from groups.models import GroupRuleError, Membership
from intake.models import Intake

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def slow_check(monkeypatch):
    real = rules.check_new_member

    def slow(**kwargs):
        result = real(**kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(rules, "check_new_member", slow)


def run_at_once(*calls):
    """Run each call in its own thread and connection; return (results, errors)."""
    start = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            start.wait(timeout=10)
            results.append(call())
        except GroupRuleError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_two_staff_adding_to_a_group_of_seven_make_eight_not_nine(
    postgres, group, make_person, staff, slow_check
):
    services.add_member(group=group, intake=make_person("Sju", birth_year=1981), actor=staff)
    first = make_person("Første", gender="man", birth_year=1981)
    second = make_person("Andre", gender="man", birth_year=1981)

    results, errors = run_at_once(
        lambda: services.add_member(group=group, intake=first, actor=staff, accept_warnings=True),
        lambda: services.add_member(group=group, intake=second, actor=staff, accept_warnings=True),
    )

    assert len(results) == 1
    assert len(errors) == 1
    assert "er full" in str(errors[0])  # the lock made the second one wait and see 8
    assert Membership.objects.active().filter(group=group).count() == 8
    loser = second if results[0].intake == first else first
    loser.refresh_from_db()
    assert loser.status == Intake.Status.WAITING


def test_the_same_person_added_to_two_groups_at_once_lands_in_one(
    postgres, group, form, people, make_person, staff, slow_check
):
    others = [make_person(f"Onsdag {i}", gender=["man", "woman"][i % 2]) for i in range(5)]
    wednesday = form(
        others,
        name="Onsdagsgruppa",
        weekday=2,
        accept_warnings=True,
        first_meeting=group.planned_start.replace(day=20),
    )
    person = make_person("Ettertraktet", gender="man", birth_year=1981)

    results, errors = run_at_once(
        lambda: services.add_member(group=group, intake=person, actor=staff, accept_warnings=True),
        lambda: services.add_member(
            group=wednesday, intake=person, actor=staff, accept_warnings=True
        ),
    )

    assert len(results) == 1
    assert len(errors) == 1
    assert "er allerede med i gruppen" in str(errors[0])
    assert Membership.objects.active().filter(intake=person).count() == 1


def test_two_groups_formed_at_once_from_the_same_person_make_one(
    postgres, frame, make_person, staff, monkeypatch
):
    shared = make_person("Felles", gender="man")
    a = [shared, *(make_person(f"A {i}", gender=["woman", "man"][i % 2]) for i in range(4))]
    b = [shared, *(make_person(f"B {i}", gender=["woman", "man"][i % 2]) for i in range(4))]
    real = rules.check_group

    def slow(**kwargs):
        result = real(**kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(rules, "check_group", slow)

    results, errors = run_at_once(
        lambda: services.form_group(intakes=a, actor=staff, **{**frame, "name": "A"}),
        lambda: services.form_group(intakes=b, actor=staff, **{**frame, "name": "B"}),
    )

    assert len(results) == 1
    assert len(errors) == 1
    assert "Felles" in str(errors[0])
    assert Membership.objects.filter(intake=shared).count() == 1
