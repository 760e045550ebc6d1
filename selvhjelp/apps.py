from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelvhjelpConfig(AppConfig):
    name = "selvhjelp"
    verbose_name = _("Centres and messages")

    def ready(self):
        from . import audit, checks  # noqa: F401 - checks registers the system checks

        audit.register_models()
