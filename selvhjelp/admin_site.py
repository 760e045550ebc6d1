"""The admin site: Django's, but only for sessions that passed two-factor login.

Installed as the default site (selvhjelp.admin_apps.SelvhjelpAdminConfig), so
`django.contrib.admin.site` and every `@admin.register` use it. A staff user
who has only given the password is sent on to the code (or to set-up, the
first time); until then every admin page answers as to someone not logged in.
"""

import functools

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from . import today, two_factor
from .login_security import LoginDelayFormMixin


class AdminLoginForm(LoginDelayFormMixin, AdminAuthenticationForm):
    """Django's admin login form, with the per-account delay and any user name answered."""


class GuardedChangeListMixin:
    """Filter values no link offers are wrong parameters (Django's "?e=1"), not a 500.

    Django turns only some bad filter values into IncorrectLookupParameters; a
    year of thirty digits in the date hierarchy (OverflowError) or letters for
    a number in a third-party filter (ValueError) would be a server error.
    """

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        except (ValueError, OverflowError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error


@functools.cache
def guarded(changelist_class):
    if issubclass(changelist_class, GuardedChangeListMixin):
        return changelist_class
    name = f"Guarded{changelist_class.__name__}"
    return type(name, (GuardedChangeListMixin, changelist_class), {})


class SelvhjelpAdminSite(admin.AdminSite):
    site_header = _("Selvhjelp – administration")
    site_title = _("Selvhjelp")
    index_title = _("Interest forms, groups and facilitators")
    index_template = "admin/today/index.html"
    login_form = AdminLoginForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def register_page(self, page):
        """Add a page that belongs to no model (e.g. reports.admin_views.reports_page).

        Apps call this from their AppConfig.ready(). `page` gives `urls(site)`
        (URL patterns mounted under /admin/), `has_permission(request)`, and
        `app_entry(request)`: the entry the index and the sidebar list for
        users who may see the page.
        """
        self._pages.append(page)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is None:
            app_list += [
                page.app_entry(request) for page in self._pages if page.has_permission(request)
            ]
        return app_list

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does; every changelist, ours and third parties', is guarded."""
        super().register(model_or_iterable, admin_class, **options)
        for model_admin in self._registry.values():
            if "get_changelist" not in vars(model_admin):
                original = model_admin.get_changelist
                model_admin.get_changelist = functools.wraps(original)(
                    lambda request, _original=original, **kwargs: guarded(
                        _original(request, **kwargs)
                    )
                )

    def index(self, request, extra_context=None):
        """The start page: what staff have to do today ("I dag"), then every register.

        Sections come from selvhjelp.today (registered by the apps), for the
        user's centres; a user with several (a superuser sees all) can narrow
        the page to one with the centre filter (?centre=<id>).
        """
        centres, offered, picked = today.centre_choice(request.user, request.GET.get("centre"))
        since = today.visit(request.user)
        context = {
            "title": _("Today"),
            "subtitle": None,
            "today_sections": today.load_sections(centres, timezone.localdate(), since),
            "today_since": since,
            "today_centres": offered if len(offered) > 1 else [],
            "today_centre": picked,
            **(extra_context or {}),
        }
        return super().index(request, context)

    def has_permission(self, request):
        return super().has_permission(request) and not two_factor.needs_verification(request.user)

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if two_factor.needs_verification(request.user):
            # Password given, code not yet: on to the second step.
            return redirect(two_factor._to("two-factor", request, self))
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and response.status_code == 302
            and two_factor.needs_verification(request.user)
        ):
            return redirect(two_factor._to("two-factor", request, self, next_url=response.url))
        return response

    def get_urls(self):
        def step(view):
            # Reached with the password alone, so not through admin_view.
            return never_cache(csrf_protect(lambda request: view(request, self)))

        return [
            # Logging out works between the two steps too (Django's wraps it in
            # admin_view, which would send an unverified session to the code).
            path("logout/", never_cache(csrf_protect(self.logout)), name="logout"),
            path("tofaktor/", step(two_factor.verify), name="two-factor"),
            path("tofaktor/sett-opp/", step(two_factor.setup), name="two-factor-setup"),
            path(
                "tofaktor/reservekoder/",
                self.admin_view(lambda request: two_factor.backup_codes(request, self)),
                name="two-factor-backup-codes",
            ),
            *[pattern for page in self._pages for pattern in page.urls(self)],
            *super().get_urls(),
        ]
