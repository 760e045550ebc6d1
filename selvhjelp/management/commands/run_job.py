"""Run a periodic job by hand or from cron: the same work the Celery beat schedule does."""

from django.core.management.base import BaseCommand, CommandError

from selvhjelp import jobs


class Command(BaseCommand):
    help = "Run one periodic job (see --list), the same work as its Celery beat entry."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the job to run")
        parser.add_argument("--list", action="store_true", help="list the jobs and stop")

    def handle(self, *args, name=None, list=False, **options):
        registered = jobs.registered_jobs()
        if list or not name:
            for job_name, func in registered.items():
                summary = (func.__doc__ or "").strip().splitlines()[0:1]
                self.stdout.write(f"{job_name:<24} {''.join(summary)}")
            return
        try:
            result = jobs.run_job(name)
        except jobs.UnknownJob as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"{name}: {result}"))
