"""Secret path segments never reach a log, whatever logger writes the record.

A link that holds a secret (withdrawing an interest form, a facilitator's
calendar feed, stopping reminders, choosing a password) works for whoever
has it, so the path must not be written to a log: Django's request and
security loggers write the path of a 403 or a 500, gunicorn's error log and
runserver write request lines, and a Celery task may log a URL.

The contract: every URL pattern with a keyword argument named `token` (any
converter, `<str:token>` or a custom one) is scrubbed automatically; the list
is derived from the URLconf, so a new token URL needs nothing here. Secrets
under other names in URLs we do not own are listed in EXTRA_SECRET_KWARGS
(the password link's `uidb64`).

`install()` (from SelvhjelpConfig.ready(), so in web, gunicorn and Celery
processes alike) wraps the logging record factory: each record's message,
traceback and stack are scrubbed when the record is made, before any handler
or filter of any logger sees it. `ScrubSecretsFilter` does the same on the
handlers of LOGGING, for records made before install() ran.
"""

import logging
import re
import threading

from django.apps import apps
from django.core.signals import setting_changed
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern

# Keyword arguments that hold a secret in every URL pattern that has them.
SECRET_KWARG = "token"  # noqa: S105 - a name, not a secret
# Secrets under other names, in URLs whose names we do not choose.
EXTRA_SECRET_KWARGS = {"uidb64"}
REPLACEMENT = "[hidden]"

_lock = threading.Lock()
_patterns = None
_building = threading.local()


def secret_kwarg_names():
    """The URL keyword arguments whose values are secrets."""
    return {SECRET_KWARG} | EXTRA_SECRET_KWARGS


def _strip(regex):
    """A resolver's regex as a fragment: without its anchors."""
    if regex.startswith("^"):
        regex = regex[1:]
    for end in (r"\Z", "$"):
        if regex.endswith(end) and not regex.endswith("\\" + end):
            regex = regex[: -len(end)]
    return regex


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, LocalePrefixPattern):
            # "nn/", "en/" or nothing: the search is not anchored, so the
            # path after any language prefix is found without it.
            regex = prefix
        else:
            regex = prefix + _strip(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, regex)
        elif isinstance(entry, URLPattern):
            yield regex


def secret_path_patterns(urlconf=None):
    """Compiled regexes of every URL path that holds a secret, with its secret groups named.

    Each is searched in free text (a log line, a full URL, a request line),
    so it starts at a "/", a path segment ends at white space or quotes too,
    and the final "/" may be missing (a request Django then redirects).
    """
    found = []
    for regex in _walk(get_resolver(urlconf)):
        if f"(?P<{SECRET_KWARG}>" not in regex:
            continue
        regex = regex.replace("[^/]+", r"[^/\s?#\"'<>]+")
        if regex.endswith("/"):
            regex += "?"
        compiled = re.compile("/" + regex)
        names = sorted(set(compiled.groupindex) & secret_kwarg_names())
        found.append((compiled, names))
    return found


def _current_patterns():
    global _patterns
    if _patterns is not None:
        return _patterns
    if getattr(_building, "active", False):
        return None  # a record logged while the URLconf is being imported
    if not apps.ready:
        # Importing the URLconf before every app's ready() has run would
        # build the admin's URLs before all pages are registered. Nothing
        # logged while starting holds a request's path.
        return None
    with _lock:
        if _patterns is None:
            _building.active = True
            try:
                _patterns = secret_path_patterns()
            except Exception:  # noqa: BLE001 - logging must never fail; scrub nothing yet
                return None
            finally:
                _building.active = False
    return _patterns


def reset():
    """Forget the derived patterns (after the URLconf changed, e.g. in tests)."""
    global _patterns
    with _lock:
        _patterns = None


def scrub(text):
    """`text` with every secret segment of a token URL replaced by REPLACEMENT."""
    if not isinstance(text, str) or "/" not in text:
        return text
    patterns = _current_patterns()
    if not patterns:
        return text
    for regex, names in patterns:
        if regex.search(text) is None:
            continue
        pieces, position = [], 0
        for match in regex.finditer(text):
            spans = sorted(match.span(name) for name in names if match.start(name) >= 0)
            for start, end in spans:
                pieces.append(text[position:start])
                pieces.append(REPLACEMENT)
                position = end
        pieces.append(text[position:])
        text = "".join(pieces)
    return text


_formatter = logging.Formatter()


def scrub_record(record):
    """Scrub a log record in place: message, traceback and stack information.

    A record without a secret keeps its message and arguments as they were.
    """
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the handler's to report
        return record
    scrubbed = scrub(message)
    if scrubbed != message:
        record.msg, record.args = scrubbed, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


class ScrubSecretsFilter(logging.Filter):
    """A handler filter (LOGGING) that scrubs every record it lets through."""

    def filter(self, record):
        scrub_record(record)
        return True


_installed = False


def install():
    """Scrub every log record of this process when it is made (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return scrub_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    setting_changed.connect(_urlconf_changed)
    _installed = True


def _urlconf_changed(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        reset()
