"""Whole public pages kept in the cache, per language, and compressed HTML.

A view marked with `@public_page` (the home page, the info pages, the
centres) shows everyone the same thing: no form, no token, nothing about the
visitor. Its response is stored once, with its headers and compressed with
gzip and (when the `brotli` package is there) brotli, under its path; the
path says the language (language-prefixed URLs, selvhjelp.urls). The next
anonymous request for that path is answered from the cache by
`PublicPageMiddleware`, before the other middleware and the view run, with
no query. Django's cache is Redis when REDIS_URL is set (every web process
shares the pages), else each process keeps its own.

Never cached: anything but GET and HEAD, a request with a query string, a
session cookie (staff, facilitators) or a pending message, and any response
that is not a 200 or sets a cookie. Pages are dropped when what they show
changes (`forget_public_pages`, on saving or deleting a centre, a theme or a
time of week) and otherwise expire after PAGE_CACHE_SECONDS; the key holds a
fingerprint of the templates and translations, so a deploy never shows old
pages.

Other HTML (the form, the receipt, the staff pages) is gzipped by the same
middleware with Django's GZipMiddleware, which pads every response with
random bytes against BREACH; their CSRF tokens are masked anew on every
response as well.
"""

import contextlib
import functools
import gzip
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency
    brotli = None

KEY_PREFIX = "page"
# Headers of the stored response that are kept; the rest are made per response.
SKIPPED_HEADERS = {"content-length", "content-encoding", "set-cookie", "cache-control", "expires"}


def public_page(view):
    """Mark `view`'s responses as the same for every anonymous visitor (cacheable)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.public_page = True
        return response

    return wrapped


@functools.cache
def fingerprint():
    """A short hash of every template and compiled translation (names, sizes, times)."""
    digest = hashlib.sha256()
    roots = [Path(settings.BASE_DIR) / "templates", *map(Path, settings.LOCALE_PATHS)]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in {".html", ".txt", ".mo"}:
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(settings.PAGE_CACHE_VERSION.encode())
    return digest.hexdigest()[:12]


def page_key(path):
    return f"{KEY_PREFIX}:{fingerprint()}:{path}"


def may_use_cache(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.path_info.startswith(settings.STATIC_URL)
    )


def accepted_encoding(request):
    accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if brotli is not None and "br" in accepted:
        return "br"
    if "gzip" in accepted:
        return "gzip"
    return None


class PublicPageMiddleware:
    """Answer cached public pages early; store new ones; gzip other HTML.

    Placed right after SecurityMiddleware (which still redirects to HTTPS and
    adds its headers) and WhiteNoise (static files), before the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.gzip = GZipMiddleware(get_response)

    def __call__(self, request):
        cacheable = settings.PAGE_CACHE_SECONDS > 0 and may_use_cache(request)
        if cacheable:
            entry = cache_get(page_key(request.path))
            if entry is not None:
                return _from_entry(entry, request)
        response = self.get_response(request)
        if (
            cacheable
            and getattr(response, "public_page", False)
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
        ):
            entry = _entry(response)
            cache_set(page_key(request.path), entry)
            return _from_entry(entry, request)
        if response.get("Content-Type", "").startswith("text/html"):
            return self.gzip.process_response(request, response)
        return response


def _entry(response):
    content = response.content
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in SKIPPED_HEADERS
    ]
    # The same for everyone: browsers may keep it a little (PAGE_BROWSER_SECONDS).
    headers.append(("Cache-Control", f"public, max-age={settings.PAGE_BROWSER_SECONDS}"))
    return {
        "status": response.status_code,
        "headers": headers,
        "identity": content,
        "gzip": gzip.compress(content, compresslevel=9, mtime=0),
        "br": brotli.compress(content, quality=11) if brotli is not None else None,
    }


def _from_entry(entry, request):
    encoding = accepted_encoding(request)
    body = entry.get(encoding) if encoding else None
    response = HttpResponse(body if body is not None else entry["identity"], status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    if body is not None:
        response.headers["Content-Encoding"] = encoding
    response.headers["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ("Accept-Encoding",))
    response.public_page = True
    if request.method == "HEAD":
        response.content = b""
    return response


def cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # the cache is down: the page is made as if it were not cached
        return None


def cache_set(key, value):
    with contextlib.suppress(Exception):
        cache.set(key, value, timeout=settings.PAGE_CACHE_SECONDS)


def cache_delete_many(keys):
    with contextlib.suppress(Exception):  # they expire after PAGE_CACHE_SECONDS
        cache.delete_many(keys)


def cached_paths():
    """Every path of a page marked @public_page, in every language."""
    from django.urls import reverse
    from django.utils import translation

    paths = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in settings.PUBLIC_PAGES:
                paths.add(reverse(name))
    return paths


def forget_public_pages(**kwargs):
    """Drop every cached public page and rendered form (a signal receiver too)."""
    from intake.views import forget_rendered_forms

    cache_delete_many([page_key(path) for path in cached_paths()])
    forget_rendered_forms()
