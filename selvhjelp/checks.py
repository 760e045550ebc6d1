from django.conf import settings
from django.core.checks import Tags, Warning, register


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
