"""CSV exports of the report tables: UTF-8 with a BOM (so Excel reads the Chinese), safe from
formula injection, named for download in any language (RFC 5987/6266)."""

import csv
import io
import re
from urllib.parse import quote

from flask_babel import gettext as _

from .services import DistrictReport, HostReport

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel or LibreOffice: make it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: list, rows: list) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def content_disposition(filename: str, fallback: str) -> str:
    """attachment; an ASCII name for old clients and the real one as filename* (UTF-8, percent-encoded)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback) or "report.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def percent(share: float | None):
    return "" if share is None else round(share * 100, 1)


# --- the tables (each: header, rows) -------------------------------------------------------


def host_enterprises(report: HostReport):
    header = [_("Enterprise"), _("Bookings"), _("Hours"), _("Workers")]
    return header, [[e.name, e.bookings, hours(e.minutes), e.workers] for e in report.enterprises]


def host_facilities(report: HostReport):
    header = [
        _("Facility"),
        _("Venue"),
        _("Bookings"),
        _("Hours"),
        _("Utilization (%)"),
        _("Checked in"),
        _("No-shows"),
        _("No-show rate (%)"),
    ]
    rows = [
        [
            f.name,
            f.venue,
            f.bookings,
            hours(f.minutes),
            percent(f.utilization),
            f.checked_in,
            f.no_show,
            percent(f.no_show_rate),
        ]
        for f in report.facilities
    ]
    rows.append(
        [
            _("All facilities"),
            "",
            report.bookings,
            hours(report.minutes),
            "",
            report.checked_in,
            report.no_show,
            percent(report.no_show_rate),
        ]
    )
    return header, rows


def host_heatmap(report: HostReport, weekday_names: list[str]):
    header = [
        _("Facility"),
        _("Weekday"),
        _("Hour"),
        _("Place-hours offered"),
        _("Place-hours booked"),
        _("Utilization (%)"),
    ]
    rows = []
    for f in report.facilities:
        for (weekday, hour), cell in sorted(f.cells.items()):
            if cell.offered:
                rows.append(
                    [
                        f.name,
                        weekday_names[weekday],
                        f"{hour:02d}:00",
                        hours(cell.offered),
                        hours(cell.booked),
                        percent(cell.share),
                    ]
                )
    return header, rows


def district_hosts(report: DistrictReport):
    header = [_("Host"), _("Enterprises served"), _("Workers served"), _("Bookings"), _("Hours")]
    rows = [[h.host.name, h.enterprises, h.workers, h.bookings, hours(h.minutes)] for h in report.hosts]
    rows.append([_("District"), report.enterprises, report.workers, report.bookings, hours(report.minutes)])
    return header, rows


def district_weeks(report: DistrictReport, week_label):
    header = [_("Week"), _("Starts"), _("District")] + [h.host.name for h in report.hosts]
    rows = [
        [week_label(monday), monday.isoformat(), report.week_total(monday)]
        + [h.weeks.get(monday, 0) for h in report.hosts]
        for monday in report.weeks
    ]
    return header, rows
