"""Row locks behave as the group rules will rely on (PostgreSQL only)."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from selvhjelp.models import Centre
from tests.factories import CentreFactory


@pytest.mark.django_db(transaction=True)
def test_a_locked_centre_row_cannot_be_locked_by_a_second_connection(postgres):
    centre = CentreFactory()
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            Centre.objects.select_for_update().get(pk=centre.pk)
            locked.set()
            release.wait(timeout=10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with pytest.raises(DatabaseError), transaction.atomic():
            Centre.objects.select_for_update(nowait=True).get(pk=centre.pk)
    finally:
        release.set()
        holder.join()

    with transaction.atomic():
        assert Centre.objects.select_for_update(nowait=True).get(pk=centre.pk) == centre
