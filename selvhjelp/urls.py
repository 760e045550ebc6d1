from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from . import views

# A lost database is a 503 with Retry-After, anywhere in a request (selvhjelp.outage).
handler500 = "selvhjelp.outage.server_error"

# admin.site is selvhjelp.admin_site.SelvhjelpAdminSite (titles, two-factor login).

# Pages for everyone, in each language: "/" in bokmål, "/nn/..." and "/en/..." in
# the others. The address says the language, so these pages need no cookie and
# are cached per language (selvhjelp.pagecache).
urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("om-selvhjelpsgrupper/", views.about, name="about"),
    path("sporsmal-og-svar/", views.questions, name="questions"),
    path("sentre/", views.centres, name="centres"),
    path("personvern/", views.privacy, name="privacy"),
    path("tilgjengelighet/", views.accessibility, name="accessibility"),
    path("meld-interesse/", include("intake.urls")),
    prefix_default_language=False,
)
# Pages in the language of the language cookie (settings.COOKIE_LANGUAGE_PATHS).
urlpatterns += [
    path("helse/", views.health_check, name="health"),
    path("stopp/<str:token>/", views.stop_messages, name="stop-messages"),
    path("igangsetter/", include("facilitators.urls")),
    path("min-gruppe/", include("groups.urls")),
    path("sprak/<str:code>/", views.choose_language, name="choose-language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
