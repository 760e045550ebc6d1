"""The "Reports" page of the admin and its downloads.

Registered on the admin site by ReportsConfig.ready() (no model of its own).
Views are thin: read the period picker, ask reports.access who may see what,
make the report, render or export it.
"""

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, charts, exports
from .forms import ReportForm
from .report import make_report

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", exports.to_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.to_xlsx,
    ),
    "json": ("application/json", None),
}


def _read(request):
    """The scope (or 404) and the bound period picker of a request."""
    centre_slug = request.GET.get("centre", access.default_centre_slug(request.user))
    scope = access.scope_for(request.user, centre_slug)
    form = ReportForm(request.GET, user=request.user)
    return scope, form


def report(request, site):
    scope, form = _read(request)
    shared = request.GET.get("shared") == "1"
    context = {
        **site.each_context(request),
        "title": _("Reports"),
        "form": form,
        "scope": scope,
        "report": None,
    }
    if form.is_valid():
        exact = scope.exact_on_screen and not shared
        made = make_report(
            period=form.cleaned_data["period"],
            centre=scope.centre,
            compare=form.cleaned_data["compare"],
            suppressed=not exact,
        )
        query = {k: v for k, v in request.GET.items() if k != "shared"} or {
            "centre": scope.centre.slug if scope.centre else "",
            "year": form.cleaned_data["year"],
        }
        context.update(
            report=made,
            sections=[(table, charts.chart_markup(table)) for table in made.tables],
            query=urlencode(query),
            shared_url="?" + urlencode({**query, "shared": "1"}),
            exact_url="?" + urlencode(query),
            suppression_note=exports.suppression_note(),
        )
    return TemplateResponse(request, "admin/reports/report.html", context)


def export(request, site, file_format):
    if file_format not in EXPORTS:
        raise Http404
    scope, form = _read(request)
    if not form.is_valid():
        return report(request, site)
    # Every download is suppressed: a file leaves the centre's own staff view.
    made = make_report(
        period=form.cleaned_data["period"],
        centre=scope.centre,
        compare=form.cleaned_data["compare"],
        suppressed=True,
    )
    table = None
    if request.GET.get("table"):
        table = made.table(request.GET["table"])
        if table is None or file_format == "json":
            raise Http404
    content_type, render = EXPORTS[file_format]
    body = exports.to_json(made) if render is None else render(made, table)
    if file_format == "csv":
        body = "\ufeff" + body  # lets Excel read the æ, ø and å right
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.file_name(file_format, table)}"'
    return response


def chart_stylesheet(request, site):
    return HttpResponse(charts.stylesheet(), content_type="text/css; charset=utf-8")


class ReportsPage:
    """The admin site's entry for the reports (see SelvhjelpAdminSite.register_page)."""

    title = gettext_lazy("Reports")
    app_label = "reports"

    def urls(self, site):
        def view(function, **kwargs):
            return site.admin_view(lambda request, **kw: function(request, site, **kw), **kwargs)

        return [
            path("rapporter/", view(report), name="reports"),
            path("rapporter/diagram.css", view(chart_stylesheet), name="reports-charts-css"),
            path("rapporter/last-ned.<str:file_format>", view(export), name="reports-export"),
        ]

    def has_permission(self, request):
        # Every admin page lists this entry: no query here. Staff without a
        # centre find the page empty of reports (404).
        return request.user.is_active and request.user.is_staff

    def app_entry(self, request):
        url = reverse("admin:reports")
        return {
            "name": str(self.title),
            "app_label": self.app_label,
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": _("Reports for the board and funders"),
                    "object_name": "Report",
                    "perms": {"add": False, "change": False, "delete": False, "view": True},
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                }
            ],
        }


reports_page = ReportsPage()
