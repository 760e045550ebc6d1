from django.contrib import admin
from django.urls import include, path

from . import views

# A lost database is a 503 with Retry-After, anywhere in a request (selvhjelp.outage).
handler500 = "selvhjelp.outage.server_error"

# admin.site is selvhjelp.admin_site.SelvhjelpAdminSite (titles, two-factor login).

urlpatterns = [
    path("", views.home, name="home"),
    path("om-selvhjelpsgrupper/", views.about, name="about"),
    path("sporsmal-og-svar/", views.questions, name="questions"),
    path("sentre/", views.centres, name="centres"),
    path("personvern/", views.privacy, name="privacy"),
    path("tilgjengelighet/", views.accessibility, name="accessibility"),
    path("helse/", views.health_check, name="health"),
    path("stopp/<str:token>/", views.stop_messages, name="stop-messages"),
    path("igangsetter/", include("facilitators.urls")),
    path("meld-interesse/", include("intake.urls")),
    path("min-gruppe/", include("groups.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
