"""A member's pages: the URL keyword carrying the secret is `token` (kept out of logs)."""

from django.urls import path

from . import views

app_name = "groups"

urlpatterns = [
    path("<str:token>/", views.member_page, name="member"),
    path(
        "<str:token>/moter/<int:meeting_id>/kan-ikke-komme/",
        views.cannot_come,
        name="cannot-come",
    ),
    path(
        "<str:token>/moter/<int:meeting_id>/kommer-likevel/",
        views.coming_after_all,
        name="coming-after-all",
    ),
    path("<str:token>/forlat-gruppa/", views.leave, name="leave"),
    path("<str:token>/be-om-besok/", views.ask_for_visit, name="ask-for-visit"),
    path("<str:token>/kalender.ics", views.calendar_feed, name="calendar"),
]
