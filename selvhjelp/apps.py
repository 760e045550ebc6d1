from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelvhjelpConfig(AppConfig):
    name = "selvhjelp"
    verbose_name = _("Centres and messages")

    def ready(self):
        # checks registers the system checks; login_security connects the staff
        # session timeout to user_logged_in. The domain apps register what they
        # add to the core (message types, digest counts, audited models) in
        # their own ready().
        from django.db.models.signals import post_delete, post_save

        from . import checks, login_security  # noqa: F401
        from .models import Centre
        from .pagecache import forget_public_pages

        # The cached public pages and forms name the centres.
        post_save.connect(forget_public_pages, sender=Centre, dispatch_uid="pages-centre-saved")
        post_delete.connect(forget_public_pages, sender=Centre, dispatch_uid="pages-centre-gone")
