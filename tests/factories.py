import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from facilitators.models import Facilitator
from intake.consent import CONSENT_VERSION
from intake.models import Intake
from selvhjelp.models import Centre
from selvhjelp.services import grant_centre_access

PASSWORD = "et-langt-testpassord-42"  # noqa: S105


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Senter {n}")
    slug = factory.Sequence(lambda n: f"senter-{n}")
    area = "Bergen"
    email = factory.LazyAttribute(lambda c: f"post@{c.slug}.example")
    phone = "+47 55 00 00 00"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"bruker{n}")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    @factory.post_generation
    def centres(obj, create, extracted, **kwargs):
        if create:
            grant_centre_access(user=obj, centres=extracted or [CentreFactory()])


class FacilitatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facilitator
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    phone = "+4791234567"

    @factory.post_generation
    def centres(obj, create, extracted, **kwargs):
        if create:
            obj.centres.set(extracted or [CentreFactory()])


class IntakeFactory(factory.django.DjangoModelFactory):
    """An intake as the form would save it; pass `status=` for a later state."""

    class Meta:
        model = Intake
        skip_postgeneration_save = True

    centre = factory.SubFactory(CentreFactory)
    name = factory.Faker("name", locale="no_NO")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    birth_year = 1980
    confirmed_adult = True
    consent_version = CONSENT_VERSION
    consent_language = "nb"
    consent_given_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def themes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.themes.set(extracted)

    @factory.post_generation
    def availability(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.availability.set(extracted)


def intake_form_data(centre, /, **changes):
    """What a person posts on the public interest form for `centre`, all valid.

    `changes` replace fields; a value of None leaves the field out.
    """
    from intake.models import Slot, Theme

    data = {
        "centre": str(centre.pk),
        "name": "Kari Nordmann",
        "birth_year": "1985",
        "confirmed_adult": "on",
        "gender": "woman",
        "phone": "912 34 567",
        "email": "kari@example.org",
        "contact_by": "phone",
        "themes": [str(Theme.objects.get(is_other=True).pk)],
        "about": "Jeg vil gjerne snakke med andre.",
        "format": "either",
        "kind": "any",
        "availability": [str(Slot.objects.get(weekday=0, part="evening").pk)],
        "applying_for_self": "on",
        "consent": "on",
        "submission_key": "0b0e3a51-2f1c-4d8e-9a55-6f3c1f7e9b21",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def hold_first_meeting(group, start=None):
    """Move `group`'s first meeting into the past (3 January 2027, 18:00 in Oslo by default).

    For what may happen only once a group has met, such as recording the
    agreement to confidentiality.
    """
    import datetime

    from groups.models import Meeting
    from selvhjelp.dates import OSLO

    start = start or datetime.datetime(2027, 1, 3, 18, 0, tzinfo=OSLO)
    Meeting.objects.filter(group=group, sequence=1).update(start=start)
