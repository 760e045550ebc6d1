"""Template helpers for the Designsystemet pages: the "ds" crispy pack.

The pack's templates (templates/ds/) write Designsystemet's markup around each
field; the form controls themselves (<input>, <select>, <textarea>) are built
here from the widget's own context (``Widget.get_context``: the same
attributes, formatted value and options Django's widget templates get). That
is what Django's widget templates would print, without rendering three
templates per input and two per option: the interest form went from 45
template renders to one per field.
"""

from dataclasses import dataclass, field

from django import forms, template
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from selvhjelp import languages

register = template.Library()

CONTROL_CLASS = "ds-input"


@dataclass
class Option:
    """One radio button or checkbox of a group: its id, label and <input>."""

    id: str
    label: str
    control: SafeString


@dataclass
class DsField:
    """What templates/ds/field.html needs to draw one bound field."""

    kind: str  # "hidden", "checkbox", "group" (radios or checkboxes) or "control"
    control: SafeString = SafeString("")
    options: list[Option] = field(default_factory=list)
    help_id: str = ""
    error_id: str = ""
    # Only for a group: the fieldset carries the hint and error (Django puts
    # aria-describedby on the <input> of a single control itself).
    describedby: str = ""


def _attrs(attrs):
    """The attributes as HTML, with Designsystemet's class first."""
    attrs = dict(attrs)
    attrs["class"] = f"{CONTROL_CLASS} {attrs['class']}" if attrs.get("class") else CONTROL_CLASS
    return flatatt(attrs)


def _value_attr(value):
    # As django/forms/widgets/input.html: value="" is kept, None leaves it out.
    return format_html(' value="{}"', str(value)) if value is not None else ""


def _input(widget):
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        _value_attr(widget["value"]),
        _attrs(widget["attrs"]),
    )


def _textarea(widget):
    # The newline after <textarea> is dropped by HTML parsers, so a value that
    # starts with a line break keeps it (as in Django's textarea.html).
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        _attrs(widget["attrs"]),
        widget["value"] or "",
    )


def _select(widget):
    parts = []
    for group_name, options, _index in widget["optgroups"]:
        rendered = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((str(o["value"]), flatatt(o["attrs"]), o["label"]) for o in options),
        )
        if group_name:
            rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
        parts.append(rendered)
    return format_html(
        '<select name="{}"{}>{}</select>',
        widget["name"],
        _attrs(widget["attrs"]),
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )


def _widget_context(bound_field):
    """The widget's template context, built exactly as BoundField.as_widget builds it."""
    widget = bound_field.field.widget
    if bound_field.field.localize:
        widget.is_localized = True
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    return widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]


@register.filter
def ds_field(bound_field):
    """Describe a bound field for templates/ds/field.html (see DsField)."""
    widget = bound_field.field.widget
    auto_id = bound_field.auto_id or ""
    result = DsField(
        kind="control",
        help_id=f"{auto_id}_helptext" if auto_id else "",
        error_id=f"{auto_id}_error" if auto_id else "",
    )
    if isinstance(widget, forms.MultiWidget) or getattr(widget, "input_type", "") == "file":
        # Not used on our pages; Django draws them, with our class on each input.
        result.control = bound_field.as_widget(attrs={"class": CONTROL_CLASS})
        return result
    context = _widget_context(bound_field)
    if bound_field.is_hidden:
        result.kind = "hidden"
        result.control = format_html(
            '<input type="hidden" name="{}"{}{}>',
            context["name"],
            _value_attr(context["value"]),
            flatatt(context["attrs"]),
        )
    elif isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        result.kind = "group"
        result.describedby = bound_field.aria_describedby or ""
        result.options = [
            Option(
                id=option["attrs"].get("id", ""),
                label=option["label"],
                control=format_html(
                    '<input type="{}" name="{}"{}{}>',
                    option["type"],
                    option["name"],
                    _value_attr(option["value"]),
                    _attrs(option["attrs"]),
                ),
            )
            for _group, options, _index in context["optgroups"]
            for option in options
        ]
    elif isinstance(widget, forms.CheckboxInput):
        result.kind = "checkbox"
        result.control = _input(context)
    elif isinstance(widget, forms.Textarea):
        result.control = _textarea(context)
    elif isinstance(widget, forms.Select):  # also SelectMultiple
        result.control = _select(context)
    else:
        result.control = _input(context)
    return result


def _error_anchor(form, bound_field):
    """The id a link in the error summary moves to: the input, or a group's first option."""
    anchor = getattr(form, "error_anchor", None)
    if anchor is not None:  # the form knows better (e.g. a grid of checkboxes)
        return anchor(bound_field)
    if isinstance(bound_field.field.widget, forms.RadioSelect):
        return f"{bound_field.auto_id}_0" if bound_field.auto_id else ""
    return bound_field.id_for_label or ""


@register.filter
def ds_error_summary(form):
    """(anchor id or "", message) for every error of the form, in the order of the page."""
    entries = [("", error) for error in form.non_field_errors()]
    for bound_field in form:
        for error in bound_field.errors:
            anchor = "" if bound_field.is_hidden else _error_anchor(form, bound_field)
            entries.append((anchor, error))
    return entries


@register.simple_tag(takes_context=True)
def language_links(context):
    """A link per language to this page in that language, for the layout's language switch.

    Plain links, so a public page needs no form and no CSRF cookie; see
    selvhjelp.languages for where they lead.
    """
    return languages.language_links(
        context.get("request"), context.get("LANGUAGE_CODE") or settings.LANGUAGE_CODE
    )
