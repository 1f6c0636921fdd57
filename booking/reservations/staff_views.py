"""Host staff pages: pending queue, approve/reject (one or many), a day's schedule, host cancel.

Every page of this blueprint (and of the blackout pages nested in it) is for host staff only;
which bookings and facilities they may touch is decided by the services (others' are 404).
"""

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import timeutil
from ..accounts.views import _safe_next
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import login_manager
from ..facilities.services import managed_host_ids
from ..inputs import FIRST_DAY, LAST_DAY, id_arg
from . import blackouts, services
from .blackout_views import bp as blackouts_bp
from .models import AWAITED
from .staff_forms import ActionForm, BulkDecisionForm, ReasonForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.register_blueprint(blackouts_bp)

# Why a bulk item could not be changed, by the services' error code.
BULK_PROBLEMS = {
    "not_pending": _l("it was already decided"),
    "not_found": _l("it was not found"),
    "forbidden": _l("you may not decide it"),
    "invalid_reason": _l("the reason is too long"),
}


@bp.before_request
def staff_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not managed_host_ids(current_user):
        raise Forbidden(_l("This page is for the host's staff."))
    return None


def weekday(value, tz: str | None = None) -> str:
    """Short weekday name in the page's language, of a date or of an instant in `tz`."""
    day = timeutil.local_date(value, tz) if isinstance(value, datetime) else value
    return format_date(day, "EEE")


@bp.context_processor
def _helpers():
    return {"weekday": weekday}


def _back(default: str):
    return redirect(_safe_next(request.form.get("next") or request.args.get("next") or default))


# --- approvals ----------------------------------------------------------------------------


@bp.get("/pending")
def pending():
    queue = services.pending_queue(current_user)
    return render_template("staff/pending.html", queue=queue, form=BulkDecisionForm())


@bp.post("/reservations/<int:reservation_id>/approve")
def approve(reservation_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return _back(url_for("staff.pending"))
    try:
        r = services.decide(current_user, reservation_id, approve=True)
    except NotFound:
        raise  # not revealed: the error page, as for any object out of scope
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("Approved: %(name)s, %(facility)s.", name=r.user.display_name, facility=r.facility.name), "success")
    return _back(url_for("staff.pending"))


@bp.route("/reservations/<int:reservation_id>/reject", methods=["GET", "POST"])
def reject(reservation_id: int):
    reservation = services.get_for(current_user, reservation_id)
    form = ReasonForm()
    status = 200
    if form.validate_on_submit():
        try:
            r = services.decide(current_user, reservation_id, approve=False, reason=form.reason.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(
                _(
                    "Rejected: %(name)s, %(facility)s. They have been told why.",
                    name=r.user.display_name,
                    facility=r.facility.name,
                ),
                "info",
            )
        return _back(url_for("staff.pending"))
    if form.is_submitted():
        status = 400
    return render_template("staff/reason.html", form=form, r=reservation, action="reject"), status


@bp.post("/pending/bulk")
def bulk():
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("staff.pending"))
    approve_all = bool(form.approve.data)
    if not form.ids.data:
        flash(_("Select at least one booking first."), "error")
        return redirect(url_for("staff.pending"))
    if not approve_all and not (form.reason.data or "").strip():
        flash(_("Please give the workers a reason for rejecting."), "error")
        return redirect(url_for("staff.pending"))
    results = services.decide_many(current_user, form.ids.data[:200], approve_all, form.reason.data)
    done = sum(1 for problem in results.values() if problem is None)
    if done:
        flash(
            (
                _("Approved %(n)s booking(s).", n=done)
                if approve_all
                else _("Rejected %(n)s booking(s); the workers have been told why.", n=done)
            ),
            "success",
        )
    for rid, problem in results.items():
        if problem is not None:
            flash(
                _(
                    "Booking #%(id)s was not changed: %(problem)s.",
                    id=rid,
                    problem=BULK_PROBLEMS.get(problem, _l("it could not be changed")),
                ),
                "error",
            )
    return redirect(url_for("staff.pending"))


# --- the day's schedule and host cancellation ---------------------------------------------


def _parse_day(text: str | None, today: date) -> tuple[date, bool]:
    """The requested day, or today and False when the text is not a date we can show."""
    if not text:
        return today, True
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return today, False
    return (day, True) if FIRST_DAY <= day <= LAST_DAY else (today, False)


@bp.get("/today")
def today():
    facilities = blackouts.managed_facilities(current_user)
    tz = facilities[0].venue.timezone if facilities else current_app.config["DEFAULT_TIMEZONE"]
    this_day = timeutil.local_date(timeutil.utcnow(), tz)
    day, day_ok = _parse_day(request.args.get("date"), this_day)
    facility_id = request.args.get("facility_id", type=id_arg)
    schedule = services.day_schedule(current_user, day, facility_id)
    closed = blackouts.on_day([f for f, _rows in schedule], day)
    conflicts = {
        r.id
        for f, rows in schedule
        for r in rows
        if r.status in AWAITED and any(b.starts_at < r.end_at and b.ends_at > r.start_at for b in closed[f.id])
    }
    return render_template(
        "staff/today.html",
        schedule=schedule,
        facilities=facilities,
        day=day,
        closed=closed,
        conflicts=conflicts,
        kept=blackouts.kept_ids(conflicts),
        day_ok=day_ok,
        this_day=this_day,
        facility_id=facility_id,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )


@bp.route("/reservations/<int:reservation_id>/cancel", methods=["GET", "POST"])
def cancel(reservation_id: int):
    reservation = services.get_for(current_user, reservation_id)
    form = ReasonForm()
    status = 200
    if form.validate_on_submit():
        try:
            r = services.host_cancel(current_user, reservation_id, form.reason.data)
        except DomainError as err:
            if err.code in ("reason_required", "invalid_reason"):
                form.reason.errors.append(err.message)
                return render_template("staff/reason.html", form=form, r=reservation, action="cancel"), 422
            flash(err.message, "error")
        else:
            flash(
                _(
                    "Cancelled: %(name)s, %(facility)s. They have been told why.",
                    name=r.user.display_name,
                    facility=r.facility.name,
                ),
                "info",
            )
        return _back(url_for("staff.today"))
    if form.is_submitted():
        status = 400
    return render_template("staff/reason.html", form=form, r=reservation, action="cancel"), status
