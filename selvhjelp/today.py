"""The admin's start page for staff ("I dag"): what to do today, section by section.

The page belongs to the core; what it shows comes from the apps. Each app
registers its sections from its AppConfig.ready(), as it registers message
types and digest counts:

    from selvhjelp.today import TODAY_SECTIONS, TodaySection
    TODAY_SECTIONS.append(TodaySection(key="new-forms", title=_("..."), order=10, load=...))

A section's `load(centres, today, since)` gets the centres the user works for
(a Centre queryset; every centre for a superuser, or the one chosen in the
centre filter), today's Oslo date and when the user last opened the page
(None the first time), and returns TodayRows: how many there are, the
oldest first rows, and the page where staff handle them all. It must cost a
fixed number of queries whatever the data size (a test pins the page's).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TodayRow:
    """One thing to do: what it is, a link that does the work, and how urgent."""

    label: str
    url: str
    detail: str = ""
    # True when it is past what the centre promised (marked on the page).
    late: bool = False


@dataclass(frozen=True)
class TodayRows:
    count: int
    rows: list = field(default_factory=list)  # TodayRow, oldest first, at most a page
    more_url: str = ""  # where all of them are handled


@dataclass(frozen=True)
class TodaySection:
    key: str
    title: str  # lazily translated
    order: int  # sections are shown by this, lowest first
    load: Callable  # (centres, today, since) -> TodayRows
    empty: str = ""  # what the page says when there is nothing (lazily translated)
    template: str = "admin/today/section.html"


TODAY_SECTIONS = []


def sections():
    """The registered sections, in the order they are shown."""
    return sorted(TODAY_SECTIONS, key=lambda section: (section.order, section.key))
