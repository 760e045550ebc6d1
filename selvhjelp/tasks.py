from celery import shared_task


@shared_task(ignore_result=False)
def ping():
    """A broker round-trip: a worker answers "pong". Used to check the pipeline."""
    return "pong"
