"""App configs of other projects' apps, adjusted for the portal (named in INSTALLED_APPS).

SelvhjelpAdminConfig makes SelvhjelpAdminSite Django's `admin.site`.

A module of its own: INSTALLED_APPS imports it before the models are ready.
"""

from auditlog.apps import AuditlogConfig as AuditlogAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class SelvhjelpAdminConfig(AdminConfig):
    default_site = "selvhjelp.admin_site.SelvhjelpAdminSite"


class AuditlogConfig(AuditlogAppConfig):
    """django-auditlog under a Norwegian name in the admin (it ships no bokmål)."""

    verbose_name = _("Audit log of changes and accesses")
