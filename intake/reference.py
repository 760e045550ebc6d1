"""Reference rows the portal needs in every database: the 21 times of week and
a first list of themes (stored in Norwegian: staff edit and extend it).

Used by the data migration (with historical models) and by the test suite,
whose transactional tests empty every table between tests.
"""

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
