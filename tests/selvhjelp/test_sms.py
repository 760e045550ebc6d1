import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from selvhjelp import sms

TEXT = "Hei Kari! Arna frivilligsentral har fått interessemeldingen din."


@pytest.fixture
def gateway():
    """A fake SMS gateway on 127.0.0.1 and a random port, recording each request."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            server.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            time.sleep(server.delay)
            self.send_response(server.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": "gw-1"}')

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the client gave up (the timeout test): nothing to report

    server = Server(("127.0.0.1", 0), Handler)
    server.requests, server.status, server.delay = [], 200, 0
    server.url = f"http://127.0.0.1:{server.server_port}/v1/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_backend(settings, gateway):
    settings.SMS_BACKEND = "selvhjelp.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_TOKEN = "hemmelig-token"
    settings.SMS_SENDER = "ArnaSenter"
    settings.SMS_HTTP_TIMEOUT = 1
    return gateway


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_console_backend_logs_masked_number_and_length_never_the_text(settings, caplog):
    settings.SMS_BACKEND = "selvhjelp.sms.ConsoleSmsBackend"
    with caplog.at_level(logging.DEBUG):
        sms.send_sms(to="+4791234567", text=TEXT)
    logged = caplog.text
    assert "*******567" in logged
    assert f"{len(TEXT)} characters" in logged
    assert "91234567" not in logged
    assert "Kari" not in logged and "interessemeldingen" not in logged


def test_console_backend_is_the_default(settings):
    assert settings.SMS_BACKEND == "selvhjelp.sms.ConsoleSmsBackend"


def test_locmem_backend_keeps_the_sms_for_tests(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.LocmemSmsBackend"
    sms.outbox.clear()
    sms.send_sms(to="+4791234567", text=TEXT)
    assert sms.outbox == [{"to": "+4791234567", "text": TEXT, "reference": None}]
    sms.outbox.clear()


def test_http_backend_posts_json_with_sender_recipient_text_and_token(http_backend):
    sms.send_sms(to="+4791234567", text=TEXT)
    [request] = http_backend.requests
    assert request["path"] == "/v1/sms"
    assert request["json"] == {"sender": "ArnaSenter", "recipient": "+4791234567", "text": TEXT}
    assert request["headers"]["Authorization"] == "Bearer hemmelig-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert "Idempotency-Key" not in request["headers"]


def test_http_backend_sends_the_reference_in_the_body_and_as_idempotency_key(http_backend):
    for _ in range(2):
        sms.send_sms(to="+4791234567", text=TEXT, reference="selvhjelp-7-0123456789abcdef")
    first, second = http_backend.requests
    assert first["json"]["reference"] == "selvhjelp-7-0123456789abcdef"
    assert first["headers"]["Idempotency-Key"] == "selvhjelp-7-0123456789abcdef"
    assert second["json"] == first["json"]
    assert second["headers"]["Idempotency-Key"] == first["headers"]["Idempotency-Key"]


def test_http_backend_does_not_log_the_text(http_backend, caplog):
    with caplog.at_level(logging.DEBUG):
        sms.send_sms(to="+4791234567", text=TEXT)
    assert "Kari" not in caplog.text
    assert "91234567" not in caplog.text


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_http_backend_raises_a_retryable_error_when_the_gateway_fails(http_backend, status):
    http_backend.status = status
    with pytest.raises(sms.SmsError) as caught:
        sms.send_sms(to="+4791234567", text=TEXT)
    assert not isinstance(caught.value, sms.PermanentSmsError)
    assert str(status) in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 422])
def test_http_backend_raises_a_permanent_error_when_the_gateway_refuses(http_backend, status):
    http_backend.status = status
    with pytest.raises(sms.PermanentSmsError):
        sms.send_sms(to="+4791234567", text=TEXT)


def test_http_backend_raises_when_the_gateway_does_not_answer(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{closed_port()}/sms"
    with pytest.raises(sms.SmsError, match="unreachable"):
        sms.send_sms(to="+4791234567", text=TEXT)


def test_http_backend_gives_up_after_its_timeout(http_backend):
    http_backend.delay = 2
    started = time.monotonic()
    with pytest.raises(sms.SmsError):
        sms.send_sms(to="+4791234567", text=TEXT)
    assert time.monotonic() - started < 1.9


def test_http_backend_refuses_to_start_without_a_url(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = ""
    with pytest.raises(sms.SmsError, match="SMS_HTTP_URL"):
        sms.send_sms(to="+4791234567", text=TEXT)


def test_mask_keeps_only_the_last_three_digits():
    assert sms.mask("+4791234567") == "********567"


def check_ids(settings_changes, settings, **options):
    from django.core import checks

    for name, value in settings_changes.items():
        setattr(settings, name, value)
    return {message.id for message in checks.run_checks(**options)}


def test_the_http_backend_without_a_url_is_a_system_check_error(settings):
    ids = check_ids({"SMS_BACKEND": "selvhjelp.sms.HttpSmsBackend", "SMS_HTTP_URL": ""}, settings)
    assert "selvhjelp.E003" in ids


def test_an_sms_backend_that_cannot_be_imported_is_a_system_check_error(settings):
    assert "selvhjelp.E002" in check_ids({"SMS_BACKEND": "selvhjelp.sms.Nothing"}, settings)


def test_a_configured_gateway_passes_the_checks(settings):
    ids = check_ids(
        {"SMS_BACKEND": "selvhjelp.sms.HttpSmsBackend", "SMS_HTTP_URL": "https://sms.example"},
        settings,
        include_deployment_checks=True,
    )
    assert not ids & {"selvhjelp.E002", "selvhjelp.E003", "selvhjelp.I001"}


def test_the_deploy_check_says_when_sms_are_only_logged(settings):
    ids = check_ids({}, settings, include_deployment_checks=True)
    assert "selvhjelp.I001" in ids
