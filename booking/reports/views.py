"""Report pages and their CSV exports. The services decide who sees what and compute the
figures; these views read the query string, draw the charts and render or download."""

from datetime import timedelta

from babel.dates import get_day_names
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import timeutil
from ..errors import Invalid, NotFound
from ..extensions import login_manager
from ..filters import day_label, week_range
from ..inputs import id_or_none
from . import charts, export, services

bp = Blueprint("reports", __name__, url_prefix="/reports")
TOP_ENTERPRISES = 12  # bars in the chart; the table lists them all
HOST_TABLES = ("enterprises", "facilities", "heatmap")
DISTRICT_TABLES = ("hosts", "weeks")


@bp.before_request
def signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def hours_text(minutes: float) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def percent_text(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


@bp.context_processor
def _helpers():
    return {"rp_hours": hours_text, "rp_percent": percent_text}


def _tz() -> str:
    return current_app.config["DEFAULT_TIMEZONE"]


def _today():
    return timeutil.local_date(timeutil.utcnow(), _tz())


def _period() -> services.Period:
    return services.period_from_text(request.args.get("from"), request.args.get("to"), _today(), _tz())


def _weekday_names() -> list[str]:
    names = get_day_names("abbreviated", locale=get_locale())
    return [names[i] for i in range(7)]


def _quick_periods() -> list[dict]:
    this_first, this_last = services.month_of(_today())
    last_first, last_last = services.month_of(this_first - timedelta(days=1))
    return [
        {"label": _("This month"), "from": this_first, "to": this_last},
        {"label": _("Last month"), "from": last_first, "to": last_last},
    ]


@bp.get("/")
def index():
    if services.is_district(current_user):
        return redirect(url_for("reports.district"))
    services.report_hosts(current_user)  # Forbidden for anyone else
    return redirect(url_for("reports.host"))


# --- host report ---------------------------------------------------------------------------


def _host_id(hosts: list) -> int:
    """?host_id=, or the first host the user may see."""
    text = request.args.get("host_id", "").strip()
    if not text:
        if not hosts:
            raise Invalid(_("There is no host to report on yet."), code="no_host")
        return hosts[0].id
    host_id = id_or_none(text)
    if host_id is None:
        raise Invalid(_("The host was not understood."), code="bad_host")
    return host_id


def _host_report(hosts: list) -> services.HostReport:
    """The report the query string asks for; Invalid or NotFound(unknown_host) for a bad request."""
    host_id = _host_id(hosts)
    return services.host_report(current_user, host_id, _period())


@bp.get("/host")
def host():
    hosts = services.report_hosts(current_user)
    try:
        report = _host_report(hosts)
    except Invalid as err:
        return _host_page(hosts, None, err.message, 400)
    except NotFound as err:
        if err.code != "unknown_host":
            raise
        return _host_page(hosts, None, err.message, 404)
    return _host_page(hosts, report)


def _host_page(hosts, report, problem=None, status=200):
    days = _weekday_names()
    context = {
        "hosts": hosts,
        "report": report,
        "problem": problem,
        "quick": _quick_periods(),
        "values": {
            "from": request.args.get("from", ""),
            "to": request.args.get("to", ""),
            "host_id": request.args.get("host_id", ""),
        },
    }
    if report is not None:
        context["values"] = {
            "from": report.period.start.isoformat(),
            "to": report.period.end.isoformat(),
            "host_id": str(report.host.id),
        }
        context["heatmaps"] = {f.id: _heatmap(f, days) for f in report.facilities}
        context["bars"] = (
            charts.hbars(
                [
                    (
                        e.name,
                        e.minutes / 60,
                        _("%(hours)s h · %(n)s bookings", hours=hours_text(e.minutes), n=e.bookings),
                    )
                    for e in report.enterprises[:TOP_ENTERPRISES]
                ],
                _("Hours booked per enterprise"),
            )
            if report.enterprises
            else None
        )
        context["csv"] = {t: url_for("reports.host_csv", table=t, **context["values"]) for t in HOST_TABLES}
    return render_template("reports/host.html", **context), status


def _heatmap(facility: services.FacilityUsage, days: list[str]):
    if not facility.hours:
        return None
    rows = []
    for hour in facility.hours:
        cells = []
        for weekday in range(7):
            cell = facility.cells.get((weekday, hour))
            share = cell.share if cell else None
            tip = (
                _("%(day)s %(hour)s: closed", day=days[weekday], hour=f"{hour:02d}:00")
                if share is None
                else _(
                    "%(day)s %(hour)s: %(percent)s booked (%(booked)s of %(offered)s place-hours)",
                    day=days[weekday],
                    hour=f"{hour:02d}:00",
                    percent=percent_text(share),
                    booked=hours_text(cell.booked),
                    offered=hours_text(cell.offered),
                )
            )
            cells.append((share, tip))
        rows.append((f"{hour:02d}:00", cells))
    return charts.heatmap(
        rows, days, _("Share of places booked by hour and weekday: %(name)s", name=facility.name), closed_text=""
    )


def _csv_error(message: str, status: int = 400) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _csv(filename: str, fallback: str, table) -> Response:
    header, rows = table
    return Response(
        export.csv_bytes(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": export.content_disposition(filename, fallback),
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/host.csv")
def host_csv():
    hosts = services.report_hosts(current_user)  # 403 before anything is parsed
    table = request.args.get("table", "")
    if table not in HOST_TABLES:
        return _csv_error(_("Choose a table: %(tables)s.", tables=", ".join(HOST_TABLES)))
    try:
        report = _host_report(hosts)
    except Invalid as err:
        return _csv_error(err.message)
    except NotFound as err:
        if err.code != "unknown_host":
            raise
        return _csv_error(err.message)
    rows = {
        "enterprises": lambda: export.host_enterprises(report),
        "facilities": lambda: export.host_facilities(report),
        "heatmap": lambda: export.host_heatmap(report, _weekday_names()),
    }[table]()
    span = f"{report.period.start.isoformat()}_{report.period.end.isoformat()}"
    return _csv(f"{report.host.name}-{table}-{span}.csv", f"host-{report.host.id}-{table}-{span}.csv", rows)


# --- district report -----------------------------------------------------------------------


def _short_week(monday) -> str:
    """A chart's week label: the Monday's date (11月30日 / Nov 30), as people name weeks."""
    return day_label(monday, "M/d")


@bp.get("/district")
def district():
    services.require_district(current_user)
    try:
        report = services.district_report(current_user, _period())
    except Invalid as err:
        return _district_page(None, err.message, 400)
    return _district_page(report)


def _district_page(report, problem=None, status=200):
    context = {
        "report": report,
        "problem": problem,
        "quick": _quick_periods(),
        "values": {"from": request.args.get("from", ""), "to": request.args.get("to", "")},
    }
    if report is not None:
        context["values"] = {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()}
        series = [
            (h.host.name, [h.weeks.get(m, 0) for m in report.weeks], charts.colour(i))
            for i, h in enumerate(report.hosts)
        ]
        context["series"] = series
        context["trend"] = charts.trend(
            [_short_week(m) for m in report.weeks],
            (_("District"), [report.week_total(m) for m in report.weeks]),
            series,
            _("Bookings per week"),
        )
        context["week_label"] = week_range
        context["csv"] = {t: url_for("reports.district_csv", table=t, **context["values"]) for t in DISTRICT_TABLES}
    return render_template("reports/district.html", **context), status


@bp.get("/district.csv")
def district_csv():
    services.require_district(current_user)
    table = request.args.get("table", "")
    if table not in DISTRICT_TABLES:
        return _csv_error(_("Choose a table: %(tables)s.", tables=", ".join(DISTRICT_TABLES)))
    try:
        period = _period()
    except Invalid as err:
        return _csv_error(err.message)
    report = services.district_report(current_user, period)
    rows = export.district_hosts(report) if table == "hosts" else export.district_weeks(report, timeutil.iso_week_label)
    span = f"{period.start.isoformat()}_{period.end.isoformat()}"
    return _csv(f"{_('District')}-{table}-{span}.csv", f"district-{table}-{span}.csv", rows)
