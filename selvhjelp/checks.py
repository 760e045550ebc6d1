from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register


@register(Tags.security, deploy=True)
def broker_configured(app_configs, **kwargs):
    """In production, tasks must go through a broker, not run inside web requests."""
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: background jobs run inside web requests "
            "and nothing runs the periodic jobs.",
            hint="Set REDIS_URL and run a Celery worker and beat (see the Procfile).",
            id="selvhjelp.W001",
        )
    ]


@register()
def sms_backend_configured(app_configs, **kwargs):
    """SMS_BACKEND names a backend that can start; the HTTP one needs its URL."""
    from django.utils.module_loading import import_string

    from .sms import HttpSmsBackend

    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError:
        return [
            Error(
                f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported.",
                hint="Use selvhjelp.sms.ConsoleSmsBackend or selvhjelp.sms.HttpSmsBackend.",
                id="selvhjelp.E002",
            )
        ]
    if issubclass(backend, HttpSmsBackend) and not settings.SMS_HTTP_URL:
        return [
            Error(
                "SMS_BACKEND sends through an SMS gateway, but SMS_HTTP_URL is not set.",
                hint="Set SMS_HTTP_URL, SMS_HTTP_TOKEN and SMS_SENDER (see the README).",
                id="selvhjelp.E003",
            )
        ]
    return []


@register(deploy=True)
def sms_really_sent(app_configs, **kwargs):
    """In production, say so when SMS are only written to the log."""
    if settings.SMS_BACKEND != "selvhjelp.sms.ConsoleSmsBackend":
        return []
    return [
        Info(
            "SMS are not sent, only logged (SMS_BACKEND is the console backend).",
            hint="Set SMS_BACKEND=selvhjelp.sms.HttpSmsBackend and SMS_HTTP_URL to send them.",
            id="selvhjelp.I001",
        )
    ]


TWO_FACTOR_RELAXED_ID = "selvhjelp.E010"


@register(Tags.security)
def two_factor_required_in_production(app_configs, **kwargs):
    """ADMIN_2FA_REQUIRED may be off only for local development (DEBUG on)."""
    if settings.ADMIN_2FA_REQUIRED or settings.DEBUG:
        return []
    return [
        Error(
            "ADMIN_2FA_REQUIRED is false while DEBUG is off: the admin would open "
            "with a password alone.",
            hint="Remove ADMIN_2FA_REQUIRED (it defaults to true); relax it only "
            "for local development with DEBUG on.",
            id=TWO_FACTOR_RELAXED_ID,
        )
    ]
