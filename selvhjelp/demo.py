"""The demo data of `make run`: the core's centres and staff, then each app's own.

`manage.py seed_demo` makes the centres, the staff and the superuser, then
runs every app's demo seeder: a function in the app's `demo.py` registered
with `@seeder`, found by importing each installed app's `demo` module (in
INSTALLED_APPS order: interest forms before groups before facilitators). A
seeder takes the DemoSite and returns a line for the terminal; it must be
idempotent, as seed_demo runs on every `make run`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules

_SEEDERS = []


@dataclass
class DemoSite:
    """What the seeders share."""

    centres: dict  # slug -> Centre
    staff: dict  # centre id -> a staff user of that centre
    # make_user(username, first name, last name) -> a user with the demo password
    make_user: Callable
    # (username, user, role) for every login printed at the end
    logins: list = field(default_factory=list)


def seeder(func):
    """Register `func(site) -> str` as a demo seeder."""
    _SEEDERS.append(func)
    return func


def run_seeders(site):
    """Run every app's seeder in app order; returns the lines they report."""
    autodiscover_modules("demo")
    return [func(site) for func in _SEEDERS]
