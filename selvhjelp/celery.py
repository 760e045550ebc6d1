"""The Celery app: configuration from Django settings and task discovery only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selvhjelp.settings")

app = Celery("selvhjelp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
