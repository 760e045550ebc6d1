import factory
from django.contrib.auth import get_user_model

from facilitators.models import Facilitator
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
