"""The portal's URLs plus token URLs as another branch might add them, named nowhere else."""

from django.http import HttpResponse
from django.urls import path, register_converter

from selvhjelp.urls import urlpatterns as portal


class MemberKey:
    regex = "[a-z0-9]{8,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(MemberKey, "memberkey")


def ok(request, token):
    return HttpResponse("ok")


urlpatterns = [
    path("min-gruppe/<memberkey:token>/", ok, name="member-link"),
    path("hvor-star-jeg/<str:token>/status/", ok, name="where-do-i-stand"),
    *portal,
]
