"""Demo data for `make run`: centres, staff, a superuser and facilitators.

Idempotent: running it again updates the same rows and creates nothing twice.
Admin users keep their authenticator-app key between runs and get ten new
backup codes on every run; both are printed (see `_two_factor`).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from facilitators.demo import seed_facilitator_work
from facilitators.models import Facilitator
from groups.demo import seed_groups
from intake.demo import seed_intakes
from reports.demo import seed_report_history
from selvhjelp.models import Centre
from selvhjelp.services import grant_centre_access
from selvhjelp.two_factor import new_backup_codes, secret_for_manual_entry

DEMO_PASSWORD = "demo-passord-2026"  # noqa: S105 - printed to the developer on purpose

CENTRES = [
    {
        "slug": "arna",
        "name": "Arna frivilligsentral",
        "area": "Arna, Bergen",
        "address": "Arnatveitvegen 2, 5261 Indre Arna",
        "email": "selvhjelp@arna-frivilligsentral.example",
        "phone": "+47 55 00 00 01",
        "runs_digital_groups": False,
        "usual_response_days": 5,
    },
    {
        "slug": "asane",
        "name": "Åsane frivilligsentral",
        "area": "Åsane, Bergen",
        "address": "Åsane senter 52, 5116 Ulset",
        "email": "selvhjelp@asane-frivilligsentral.example",
        "phone": "+47 55 00 00 02",
        "runs_digital_groups": True,
        "usual_response_days": 3,
    },
    {
        "slug": "link-oslo",
        "name": "LINK Oslo",
        "area": "Oslo",
        "address": "Storgata 10, 0155 Oslo",
        "email": "post@link-oslo.example",
        "phone": "+47 22 00 00 03",
        "runs_digital_groups": True,
        "usual_response_days": 7,
    },
]

STAFF = [
    ("ansatt-arna", "Anne", "Arnesen", "arna"),
    ("ansatt-asane", "Åse", "Ulvik", "asane"),
    ("ansatt-oslo", "Omar", "Lind", "link-oslo"),
]

FACILITATORS = [
    ("igangsetter-kari", "Kari", "Nordmann", "+4791234567", ["arna", "asane"]),
    ("igangsetter-per", "Per", "Hansen", "+4792345678", ["arna"]),
    ("igangsetter-sara", "Sara", "Ahmed", "+4793456789", ["link-oslo"]),
]


class Command(BaseCommand):
    help = "Create or refresh the demo centres, users, facilitators and interest forms."

    def handle(self, *args, **options):
        self._lines = []
        with transaction.atomic():
            self._seed()
        # Printed after the commit, which sends the demo's messages (the console
        # email backend prints them): the logins stay the last thing on screen.
        for line in self._lines:
            self.stdout.write(line)

    def _say(self, line):
        self._lines.append(line)

    def _seed(self):
        centres = {}
        for data in CENTRES:
            values = dict(data)
            slug = values.pop("slug")
            centres[slug], _created = Centre.objects.update_or_create(slug=slug, defaults=values)

        logins = [("admin", self._user("admin", "Ada", "Admin", superuser=True), "superbruker")]
        staff_by_centre = {}
        for username, first, last, slug in STAFF:
            user = self._user(username, first, last)
            grant_centre_access(user=user, centres=[centres[slug]])
            logins.append((username, user, f"ansatt, {centres[slug].name}"))
            staff_by_centre[centres[slug].pk] = user
        for username, first, last, phone, slugs in FACILITATORS:
            user = self._user(username, first, last)
            facilitator, _created = Facilitator.objects.update_or_create(
                user=user, defaults={"phone": phone, "active": True}
            )
            facilitator.centres.set([centres[slug] for slug in slugs])
            logins.append((username, user, "igangsetter"))
        intake_count = seed_intakes(centres.values(), staff=staff_by_centre)
        group_count = seed_groups(centres.values(), staff=staff_by_centre)
        # After the groups: the facilitators' own demo groups, meetings and follow-ups.
        facilitator_groups = seed_facilitator_work(centres=centres, staff=staff_by_centre)
        # Last: two years of ended groups and handled forms for the reports' charts.
        history_forms, history_groups = seed_report_history(centres.values())

        self._say(self.style.SUCCESS("Demo data is ready. Logins (password for all):"))
        self._say(f"  password: {DEMO_PASSWORD}")
        for username, _user, role in logins:
            self._say(f"  {username:<20} {role}")
        self._say(f"  {intake_count} demo interest forms in every status but placed")
        self._say(f"  {group_count} demo groups, one in every status")
        self._say(f"  {facilitator_groups} demo groups with facilitators and follow-ups")
        self._say(
            f"  {history_forms} interest forms and {history_groups} ended groups of the last "
            "two years, for the reports"
        )
        self._two_factor([user for _name, user, _role in logins if user.is_staff])

    def _two_factor(self, admin_users):
        """Each admin user gets an authenticator-app key (kept between runs) and
        fresh backup codes, printed so that the demo can be logged into."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if not settings.ADMIN_2FA_REQUIRED:
            self._say("Two-step login is off (ADMIN_2FA_REQUIRED=false).")
        self._say(
            "Admin logins need a code after the password: from an authenticator app "
            "with the key below (TOTP), or a backup code (each works once; new ones "
            "on every run of seed_demo):"
        )
        for user in admin_users:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo app", confirmed=True)
            codes = new_backup_codes(user)
            self._say(f"  {user.username:<20} app key: {secret_for_manual_entry(device)}")
            self._say(f"  {'':<20} backup codes: {' '.join(codes)}")

    def _user(self, username, first_name, last_name, superuser=False):
        user, _created = get_user_model().objects.get_or_create(username=username)
        user.first_name, user.last_name = first_name, last_name
        user.email = f"{username}@example.org"
        user.is_staff = user.is_staff or superuser
        user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user
