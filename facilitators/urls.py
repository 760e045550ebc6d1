from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import FacilitatorLoginForm, FacilitatorPasswordResetForm

app_name = "facilitators"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("grupper/<int:group_id>/", views.group_detail, name="group"),
    path(
        "grupper/<int:group_id>/deltakere/<int:membership_id>/taushetsplikt/",
        views.record_agreement,
        name="record-agreement",
    ),
    path(
        "grupper/<int:group_id>/deltakere/<int:membership_id>/taushetsplikt/angre/",
        views.undo_agreement,
        name="undo-agreement",
    ),
    path("oppfolging/<int:follow_up_id>/", views.follow_up_detail, name="follow-up"),
    path("besok/<int:follow_up_id>/", views.visit_detail, name="visit"),
    path("kalender/ny-adresse/", views.regenerate_calendar, name="regenerate-calendar"),
    path("kalender/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path(
        "logg-inn/",
        auth_views.LoginView.as_view(
            template_name="facilitators/login.html",
            authentication_form=FacilitatorLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logg-ut/", views.logout, name="logout"),
    path(
        "glemt-passord/",
        auth_views.PasswordResetView.as_view(
            template_name="facilitators/password_reset_form.html",
            form_class=FacilitatorPasswordResetForm,
            success_url=reverse_lazy("facilitators:password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "glemt-passord/sendt/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="facilitators/password_reset_sent.html"
        ),
        name="password-reset-sent",
    ),
    path(
        "nytt-passord/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="facilitators/password_set.html",
            success_url=reverse_lazy("facilitators:password-set-done"),
        ),
        name="password-set",
    ),
    path(
        "nytt-passord/ferdig/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="facilitators/password_set_done.html"
        ),
        name="password-set-done",
    ),
]
