"""Charts of the report tables: SVG made on the server by pygal, safe to put in the page.

`svg(table)` draws a table's chart (or returns "" when it has none). The SVG
has no script and no style of its own: the Content-Security-Policy allows
neither inline scripts nor inline styles, so pygal's JavaScript is turned
off and removed, and its stylesheet is served from our own address instead
(`stylesheet()`, at admin:reports-charts-css). Each chart is `role="img"`
with a <title> and a <desc> that say what it shows; the numbers are in the
table beside it. Withheld numbers are not drawn.
"""

import functools
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses pygal's own output, never input

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)

# Colours with at least 4.5:1 contrast against white (WCAG 1.4.11 asks 3:1
# of graphics): dark blue, dark orange, green, purple. The first two tell
# this period from the year before, also to people who do not see red/green.
COLOURS = ("#1f4e96", "#a33f00", "#2e6b30", "#6a3d8f")
STYLE = {
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#1a1a1a",
    "foreground_strong": "#000000",
    "foreground_subtle": "#595959",
    "opacity": "1",
    "opacity_hover": "1",
    "transition": "0s",
    "colors": COLOURS,
    "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
    "label_font_size": 13,
    "major_label_font_size": 13,
    "value_font_size": 13,
    "legend_font_size": 14,
    "title_font_size": 16,
}
# The class every chart carries; the stylesheet's rules start with it.
CHART_CLASS = "report-chart"
# What the stylesheet is made from: the CSS of a chart with this id.
_PREFIX_ID = "chart-prefix"


def _config(kind, height):
    # Imported here, not at the top: a web worker loads pygal only for a report (issue 14).
    import pygal
    from pygal.style import Style

    chart_class = pygal.HorizontalBar if kind == "hbar" else pygal.Bar
    return chart_class(
        style=Style(**STYLE),
        js=[],  # no JavaScript: the page forbids inline scripts and needs none
        disable_xml_declaration=True,
        show_legend=False,
        print_values=False,
        width=800,
        height=height,
        margin=16,
        truncate_label=-1,
        x_label_rotation=0,
        show_y_guides=True,
    )


def svg(table, *, series_labels=None):
    """The table's chart as SVG markup safe to put in the page, or "" without a chart."""
    chart_spec = table.chart
    if chart_spec is None or not table.body:
        return ""
    rows = table.body
    if chart_spec.kind == "hbar":
        rows = rows[::-1]  # pygal draws the first bar at the bottom; the table reads down
    labels = [row.label for row in rows]
    height = max(320, 44 * len(labels) + 120) if chart_spec.kind == "hbar" else 400
    chart = _config(chart_spec.kind, height)
    chart.x_labels = labels
    if chart_spec.kind == "bar" and len(labels) > 6:
        chart.x_label_rotation = 35  # twelve month names side by side would overlap
    series_labels = (
        series_labels or chart_spec.series or [table.columns[i] for i in chart_spec.columns]
    )
    drawn = False
    for index, name in zip(chart_spec.columns, series_labels, strict=True):
        values = [row.cells[index].chart_value() for row in rows]
        drawn |= any(value is not None for value in values)
        chart.add(str(name), values)
    chart.show_legend = len(chart_spec.columns) > 1
    if chart_spec.unit == "%":
        chart.range = (0, 100)
        chart.value_formatter = lambda value: f"{value:.0f} %"
    else:
        # Whole numbers on the axis: a count of 2.5 forms means nothing.
        highest = max(
            (row.cells[i].chart_value() or 0 for row in rows for i in chart_spec.columns),
            default=0,
        )
        if highest < 10:
            chart.y_labels = list(range(0, int(highest) + 2))
    return _clean(
        chart.render(is_unicode=True),
        chart_id=f"chart-{table.key}",
        title=table.title,
        description=_description(table, drawn),
    )


def _description(table, drawn):
    if not drawn:
        return _("Nothing to draw: every number is withheld or missing. See the table.")
    return _(
        "A bar for each row of the table “%(title)s” beside the chart, which has the "
        "numbers. Numbers withheld to protect small groups are not drawn."
    ) % {"title": table.title}


def _clean(markup, *, chart_id, title, description):
    """pygal's SVG without script, style or clashing ids, labelled for screen readers."""
    root = ET.fromstring(markup)  # noqa: S314 - pygal's own output
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.split("}")[-1]
            # pygal's titles of axis labels would be read out as the chart's name.
            if tag in ("script", "style", "title", "defs"):
                parent.remove(child)
            elif tag == "g" and "tooltip-overlay" in child.get("class", ""):
                parent.remove(child)  # tooltips need JavaScript
    for element in root.iter():
        element.attrib.pop("style", None)
        if element is not root:
            element.attrib.pop("id", None)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    title_element = ET.Element(f"{{{SVG_NS}}}title", id=title_id)
    title_element.text = str(title)
    desc_element = ET.Element(f"{{{SVG_NS}}}desc", id=desc_id)
    desc_element.text = str(description)
    root.insert(0, desc_element)
    root.insert(0, title_element)
    root.set("id", chart_id)
    root.set("class", f"{CHART_CLASS} pygal-chart")
    root.set("role", "img")
    root.set("aria-labelledby", title_id)
    root.set("aria-describedby", desc_id)
    root.set("focusable", "false")
    # Every text comes from our tables, escaped by ElementTree when written.
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308


@functools.cache
def stylesheet():
    """pygal's CSS for the charts, its rules scoped to `.report-chart`, served as a file.

    Made from a chart's own <style>, so it follows pygal and STYLE.
    """
    chart = _config("bar", 400)
    chart.x_labels = ["a"]
    for index in range(len(COLOURS)):
        chart.add(str(index), [index])
    markup = chart.render(is_unicode=True)
    chart_id = re.search(r'id="(chart-[^"]+)"', markup)[1]
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", markup, flags=re.S))
    css = css.replace(f"#{chart_id}", f".{CHART_CLASS}").replace("&gt;", ">")
    return css + EXTRA_CSS


# Our additions: full opacity for contrast, the chart fills its box, prints in colour.
EXTRA_CSS = f"""
.{CHART_CLASS} {{ width: 100%; height: auto; max-width: 50rem; }}
.{CHART_CLASS} .reactive, .{CHART_CLASS} .reactive.active {{ fill-opacity: 1; stroke-opacity: 1; }}
.{CHART_CLASS} .axis text, .{CHART_CLASS} .legends .legend text {{ fill: #1a1a1a; }}
@media print {{
  .{CHART_CLASS} {{ print-color-adjust: exact; -webkit-print-color-adjust: exact; }}
}}
"""


def chart_markup(table):
    """The chart of `table` wrapped in a figure, or "" when it has none."""
    drawn = svg(table)
    if not drawn:
        return ""
    return format_html('<figure class="report-figure">{}</figure>', drawn)
