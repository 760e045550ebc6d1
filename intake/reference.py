"""Reference rows the portal needs in every database: the 21 times of week and
a first list of themes (stored in Norwegian: staff edit and extend it).

Used by the data migration (with historical models) and by the test suite,
whose transactional tests empty every table between tests.
"""

from django.utils.translation import gettext_lazy as _

PARTS = ["morning", "afternoon", "evening"]
THEMES = [
    "Angst og uro",
    "Depresjon og nedstemthet",
    "Sorg og tap",
    "Ensomhet",
    "Utbrenthet og stress",
    "Å leve med sykdom",
    "Pårørende eller omsorgsgiver",
    "Rus og avhengighet",
    "Problemer på jobb",
    "Livsendringer (samlivsbrudd, pensjon, flytting)",
]
OTHER_THEME = "Noe annet"

# The starting themes as the form shows them in each language: the rows keep
# the bokmål name, and the catalogues translate these English msgids back to
# exactly that name in bokmål (a test checks it). A theme staff add or rename
# has no entry here and shows as they wrote it, in every language.
THEME_LABELS = {
    "Angst og uro": _("Anxiety and worry"),
    "Depresjon og nedstemthet": _("Depression and low mood"),
    "Sorg og tap": _("Grief and loss"),
    "Ensomhet": _("Loneliness"),
    "Utbrenthet og stress": _("Burnout and stress"),
    "Å leve med sykdom": _("Living with an illness"),
    "Pårørende eller omsorgsgiver": _("Next of kin or carer"),
    "Rus og avhengighet": _("Alcohol, drugs and addiction"),
    "Problemer på jobb": _("Problems at work"),
    "Livsendringer (samlivsbrudd, pensjon, flytting)": _(
        "Changes in life (a break-up, retirement, moving)"
    ),
    OTHER_THEME: _("Something else"),
}


def ensure_reference_data(Slot, Theme):
    """Create what is missing of the slots and starting themes; cheap when all exist."""
    if Slot.objects.count() < 7 * len(PARTS):
        for weekday in range(7):
            for part in PARTS:
                Slot.objects.get_or_create(weekday=weekday, part=part)
    if not Theme.objects.exists():
        Theme.objects.bulk_create(
            [Theme(name=name, position=position) for position, name in enumerate(THEMES)]
            + [Theme(name=OTHER_THEME, is_other=True, position=99)]
        )
