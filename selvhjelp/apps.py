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

        from . import checks, log_scrubbing, login_security  # noqa: F401
        from .models import Centre
        from .pagecache import forget_public_pages
        from .today import TODAY_SECTIONS, TodaySection, failed_messages_section

        TODAY_SECTIONS.append(
            TodaySection(
                key="failed-messages",
                title=_("Messages that could not be sent"),
                order=60,
                load=failed_messages_section,
                empty=_("Every message has been sent, or is on its way."),
            )
        )

        # Every log record of this process (web, gunicorn, Celery) is scrubbed
        # of secret link segments when it is made.
        log_scrubbing.install()

        # The cached public pages and forms name the centres.
        post_save.connect(forget_public_pages, sender=Centre, dispatch_uid="pages-centre-saved")
        post_delete.connect(forget_public_pages, sender=Centre, dispatch_uid="pages-centre-gone")
