"""Who may see which report, and when its numbers are exact.

The one access helper of the reports (see facilitators/access.py):

- Superusers see the whole country (the default) and each centre.
- Staff see the centres they work for; another centre's report does not
  exist for them (404), and neither does the national one.
- Exact numbers only on the screen of a centre's own staff (a StaffMembership
  of that centre). The national report, a superuser's view of a centre that
  is not theirs, every download and the printed page have small numbers
  withheld: they leave the centre's own staff view.
"""

from dataclasses import dataclass

from django.http import Http404

from selvhjelp.models import Centre, StaffMembership


@dataclass(frozen=True)
class Scope:
    centre: Centre | None  # None: the whole country
    exact_on_screen: bool


def centres_for(user):
    """The centres whose reports `user` may see (all for superusers)."""
    return Centre.objects.for_user(user).order_by("name")


def default_centre_slug(user):
    """Superusers start on the whole country (""), staff on their first centre."""
    if user.is_superuser:
        return ""
    return centres_for(user).values_list("slug", flat=True).first() or ""


def scope_for(user, centre_slug):
    """The report `user` may see for `centre_slug` ("" for the whole country), or 404."""
    if not centre_slug:
        if not user.is_superuser:
            raise Http404
        return Scope(None, exact_on_screen=False)
    centre = centres_for(user).filter(slug=centre_slug).first()
    if centre is None:
        raise Http404
    own = StaffMembership.objects.filter(user=user, centre=centre).exists()
    return Scope(centre, exact_on_screen=own)
