"""Django's admin app with SelvhjelpAdminSite as `admin.site` (named in INSTALLED_APPS).

A module of its own: INSTALLED_APPS imports it before the models are ready.
"""

from django.contrib.admin.apps import AdminConfig


class SelvhjelpAdminConfig(AdminConfig):
    default_site = "selvhjelp.admin_site.SelvhjelpAdminSite"
