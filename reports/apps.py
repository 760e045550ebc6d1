from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The "Reports" page has no model: it is added to the admin site's
        # index and URLs here (selvhjelp.admin_site.SelvhjelpAdminSite.register_page).
        from django.contrib import admin

        from .admin_views import reports_page

        admin.site.register_page(reports_page)
