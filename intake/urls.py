from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.intake_create, name="create"),
    # Before the centre pattern: "takk" can therefore never be a centre's slug.
    path("takk/", views.intake_done, name="done"),
    # Two segments, so no centre's slug can take it; before the centre pattern anyway.
    path("trekk/<str:token>/", views.intake_withdraw, name="withdraw"),
    path("status/<str:token>/", views.intake_status, name="status"),
    path("samtykke/<str:version>/", views.consent_text, name="consent-text"),
    path("<slug:centre_slug>/", views.intake_create, name="create-for-centre"),
]
