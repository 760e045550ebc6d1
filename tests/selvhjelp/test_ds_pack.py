"""The "ds" crispy pack (templates/ds/, selvhjelp/templatetags/ds.py) on the interest form."""

import pytest
from django.template import Context, Template
from django.test.signals import template_rendered

from intake.forms import IntakeForm
from intake.models import Slot, Theme
from tests.factories import CentreFactory, intake_form_data
from tests.html_tree import parse

pytestmark = pytest.mark.django_db

GROUPS = ["gender", "contact_by", "themes", "format", "kind"]
GRID = "availability"
HONEYPOT = "website"

# The interest form as its page will draw it with the pack: the summary, each
# field through crispy, the weekday x part-of-day grid.
PAGE = Template(
    """{% load crispy_forms_tags %}{{ form|as_crispy_errors:"ds" }}
<form method="post" novalidate>
{% for field in fields %}{{ field|as_crispy_field:"ds" }}{% endfor %}
{% include "ds/choice_grid.html" with field=form.availability rows=form.availability_grid \
columns=form.parts_of_day %}
</form>"""
)


@pytest.fixture
def centre():
    return CentreFactory(name="Arna frivilligsentral", slug="arna")


def render(form):
    """The page's HTML and the names of the templates it rendered, in order."""
    rendered = []

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    fields = [form[name] for name in form.fields if name not in (GRID, HONEYPOT)]
    template_rendered.connect(record)
    try:
        html = PAGE.render(Context({"form": form, "fields": fields}))
    finally:
        template_rendered.disconnect(record)
    return html, rendered


def invalid_form(centre):
    form = IntakeForm(
        data=intake_form_data(
            centre,
            name="",
            birth_year="2015",
            phone="12",
            contact_by=None,
            themes=["999999"],
            availability=["999999"],
            consent=None,
        )
    )
    assert not form.is_valid()
    return form


def controls(tree):
    return [
        node
        for node in tree.iter()
        if node.tag in ("input", "select", "textarea") and node.attrs.get("type") != "hidden"
    ]


# --- Labels and groups -------------------------------------------------------------


def test_every_control_has_a_label_tied_to_it(centre):
    tree = parse(render(IntakeForm())[0])
    for control in controls(tree):
        label = tree.find("label", for_=control.attrs["id"]) or control.closest("label")
        assert label is not None and label.text, control


def test_text_fields_are_label_hint_input_in_a_ds_field(centre):
    tree = parse(render(IntakeForm())[0])
    year = tree.by_id("id_birth_year")
    field = year.parent
    assert "ds-field" in field.classes()
    assert [child.tag for child in field.children] == ["label", "div", "input"]
    assert field.children[0].text == "Fødselsår"
    assert "ds-label" in field.children[0].classes()
    assert field.children[1].attrs == {"data-field": "description", "id": "id_birth_year_helptext"}
    assert "ds-input" in year.classes()
    assert year.attrs["aria-describedby"] == "id_birth_year_helptext"
    # The widget's own attributes are kept.
    assert year.attrs["inputmode"] == "numeric"
    assert year.attrs["autocomplete"] == "bday-year"


@pytest.mark.parametrize("name", GROUPS + [GRID])
def test_radio_and_checkbox_groups_are_fieldsets_with_the_question_as_legend(centre, name):
    form = IntakeForm()
    tree = parse(render(form)[0])
    inputs = tree.find_all("input", name=form[name].html_name)
    assert inputs
    fieldsets = {id(node.closest("fieldset")) for node in inputs}
    assert len(fieldsets) == 1
    fieldset = inputs[0].closest("fieldset")
    assert "ds-fieldset" in fieldset.classes()
    assert fieldset.children[0].tag == "legend"
    assert fieldset.children[0].text == str(form[name].label)
    hint = f"id_{name}_helptext" if form[name].help_text else None
    assert fieldset.attrs.get("aria-describedby") == hint


def test_each_option_of_a_group_is_a_ds_field_with_input_then_label(centre):
    tree = parse(render(IntakeForm())[0])
    themes = tree.find_all("input", name="themes")
    assert len(themes) == Theme.objects.count()
    for option in themes:
        field = option.parent
        assert "ds-field" in field.classes()
        assert [child.tag for child in field.children] == ["input", "label"]
        assert field.children[1].attrs["for"] == option.attrs["id"]
        assert option.attrs["type"] == "checkbox"
        assert "ds-input" in option.classes()


def test_a_single_checkbox_comes_before_its_label(centre):
    tree = parse(render(IntakeForm())[0])
    box = tree.by_id("id_confirmed_adult")
    assert box.attrs["type"] == "checkbox"
    assert [child.tag for child in box.parent.children] == ["input", "label"]
    assert box.parent.children[1].text == "Jeg er 18 år eller eldre"


def test_the_grid_has_one_named_checkbox_per_slot_under_row_and_column_headers(centre):
    tree = parse(render(IntakeForm())[0])
    table = tree.find("table")
    assert [th.text for th in table.find("thead").find_all("th")] == [
        "Formiddag",
        "Ettermiddag",
        "Kveld",
    ]
    rows = table.find("tbody").find_all("tr")
    assert [row.find("th").text for row in rows][:2] == ["Mandag", "Tirsdag"]
    assert all(row.find("th").attrs["scope"] == "row" for row in rows)
    cells = table.find_all("input", name="availability")
    assert len(cells) == Slot.objects.count() == 21
    monday_morning = tree.by_id("id_availability_0_morning")
    assert monday_morning.closest("label").text == "mandag formiddag"
    assert "ds-sr-only" in monday_morning.closest("label").find("span").classes()


def test_the_hidden_key_and_nothing_else_is_hidden(centre):
    tree = parse(render(IntakeForm())[0])
    hidden = tree.find_all("input", type="hidden")
    assert [node.attrs["name"] for node in hidden] == ["submission_key"]
    assert tree.by_id("id_submission_key").closest("div") is None


# --- Errors -----------------------------------------------------------------------


def test_a_field_with_an_error_is_invalid_and_described_by_its_message(centre):
    tree = parse(render(invalid_form(centre))[0])
    name = tree.by_id("id_name")
    assert name.attrs["aria-invalid"] == "true"
    assert name.attrs["aria-describedby"].split() == ["id_name_error"]
    message = tree.by_id("id_name_error")
    assert "ds-validation-message" in message.classes()
    assert message.attrs["data-field"] == "validation"
    assert message.text == "Skriv navnet ditt."
    assert message.parent is name.parent


def test_hint_and_error_are_both_read_with_the_field(centre):
    tree = parse(render(invalid_form(centre))[0])
    year = tree.by_id("id_birth_year")
    assert year.attrs["aria-describedby"].split() == [
        "id_birth_year_helptext",
        "id_birth_year_error",
    ]
    assert tree.by_id("id_birth_year_error").text.startswith("Selvhjelpsgruppene her er for voksne")


@pytest.mark.parametrize(("name", "message"), [("contact_by", "Velg hvordan"), ("themes", "Velg")])
def test_a_group_with_an_error_describes_the_fieldset_and_marks_every_option(centre, name, message):
    tree = parse(render(invalid_form(centre))[0])
    options = tree.find_all("input", name=name)
    fieldset = options[0].closest("fieldset")
    assert f"id_{name}_error" in fieldset.attrs["aria-describedby"].split()
    assert all(option.attrs.get("aria-invalid") == "true" for option in options)
    error = tree.by_id(f"id_{name}_error")
    assert error.parent is fieldset
    assert error.text.startswith(message)


def test_the_grid_shows_its_error_in_its_fieldset(centre):
    tree = parse(render(invalid_form(centre))[0])
    fieldset = tree.by_id("id_availability_0_morning").closest("fieldset")
    assert fieldset.attrs["aria-describedby"].split() == [
        "id_availability_helptext",
        "id_availability_error",
    ]
    assert tree.by_id("id_availability_error").parent is fieldset
    assert tree.by_id("id_availability_0_morning").attrs["aria-invalid"] == "true"


def test_the_error_summary_links_every_error_to_its_field(centre):
    form = invalid_form(centre)
    tree = parse(render(form)[0])
    summary = tree.with_class("ds-error-summary")[0]
    heading = tree.by_id(summary.attrs["aria-labelledby"])
    assert heading.tag == "h2"
    assert heading.text == "Noe må rettes før du kan sende skjemaet"
    assert summary.attrs["tabindex"] == "-1"
    assert "autofocus" in summary.attrs
    links = summary.find_all("a")
    assert len(links) == sum(len(errors) for errors in form.errors.values())
    targets = [link.attrs["href"].removeprefix("#") for link in links]
    # In the order of the page; a group's link goes to its first option, the
    # grid's to its first cell.
    assert targets == [
        "id_name",
        "id_birth_year",
        "id_phone",
        "id_contact_by_0",
        "id_themes_0",
        "id_availability_0_morning",
        "id_consent",
    ]
    for target in targets:
        assert tree.by_id(target).tag in ("input", "select"), target


def test_a_valid_or_unbound_form_has_no_error_summary(centre):
    assert not parse(render(IntakeForm())[0]).with_class("ds-error-summary")
    form = IntakeForm(data=intake_form_data(centre))
    assert form.is_valid(), form.errors
    assert not parse(render(form)[0]).with_class("ds-error-summary")


# --- The controls are Django's own -----------------------------------------------------


def test_controls_carry_exactly_what_djangos_widget_templates_would(centre):
    form = invalid_form(centre)
    ours = parse(render(form)[0])
    for name in form.fields:
        if name in (GRID, HONEYPOT):
            continue
        django = parse(form[name].as_widget())
        expected = [node for node in django.iter() if node.tag in ("input", "select", "option")]
        expected += [node for node in django.iter() if node.tag == "textarea"]
        for theirs in expected:
            if theirs.tag == "option":
                mine = ours.by_id("id_" + name).find("option", value=theirs.attrs["value"])
            else:
                mine = ours.by_id(theirs.attrs["id"])
            mine_attrs = {k: v for k, v in mine.attrs.items() if k != "class"}
            theirs_attrs = {k: v for k, v in theirs.attrs.items() if k != "class"}
            assert mine_attrs == theirs_attrs, name
            if theirs.tag in ("option", "textarea"):
                assert mine.text == theirs.text, name
            assert "ds-input" in mine.classes() or mine.tag == "option" or name == "submission_key"


def test_what_the_person_typed_comes_back_escaped_and_ticked(centre):
    other = Theme.objects.get(is_other=True)
    form = IntakeForm(
        data=intake_form_data(
            centre,
            name='Kari <script>alert("x")</script>',
            about="Første linje\nAndre & siste",
            gender="man",
            themes=[str(other.pk)],
            birth_year="2015",
        )
    )
    assert not form.is_valid()
    html, _ = render(form)
    assert "<script>" not in html
    tree = parse(html)
    assert tree.by_id("id_name").attrs["value"] == 'Kari <script>alert("x")</script>'
    assert tree.by_id("id_about").text == "Første linje Andre & siste"
    assert "checked" in tree.find("input", name="gender", value="man").attrs
    assert "checked" not in tree.find("input", name="gender", value="woman").attrs
    assert "checked" in tree.find("input", name="themes", value=str(other.pk)).attrs
    assert "selected" in tree.by_id("id_centre").find("option", value=str(centre.pk)).attrs


# --- Cost ------------------------------------------------------------------------------


def test_one_template_per_field_and_no_widget_templates(centre):
    form = invalid_form(centre)
    _html, rendered = render(form)
    fields = len(form.fields) - 2  # the grid has its own template; the honeypot is left out
    assert rendered.count("ds/field.html") == fields
    assert rendered.count("ds/choice_grid.html") == 1
    assert rendered.count("ds/errors.html") == 1
    assert not [name for name in rendered if name and name.startswith("django/forms/")]
    # Today's interest form page renders 45 templates; the form's part is now:
    assert len(rendered) == fields + 3 <= 18


def test_crispy_filter_draws_the_summary_and_every_field(centre):
    form = invalid_form(centre)
    html = Template('{% load crispy_forms_tags %}{{ form|crispy:"ds" }}').render(
        Context({"form": form})
    )
    tree = parse(html)
    assert tree.with_class("ds-error-summary")
    for name in form.fields:
        assert tree.find(name=form[name].html_name) is not None, name
