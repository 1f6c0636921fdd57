"""Pages of the fair draw (摇号): apply from a draw slot, my applications, a draw as published,
the host's draws. Thin: the rules are in services.py."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import timeutil
from ..errors import DomainError, Invalid, NotFound
from ..extensions import db
from ..facilities.services import load_facility, managed_host_ids
from ..reservations import hooks as reservation_hooks
from ..reservations.forms import ActionForm, SlotForm, whole_number
from ..reservations.views import slot_page, slot_target
from . import services
from .models import Application, Draw

bp = Blueprint("draw", __name__, url_prefix="/draw")
STATUS_LABELS = {
    "applied": _l("Applied: waiting for the draw"),
    "won": _l("Won: you are booked"),
    "waitlisted": _l("Not drawn: you are on the waitlist"),
    "refused": _l("Drawn, but you could no longer book it"),
    "cancelled": _l("Withdrawn"),
}


class ApplyForm(SlotForm):
    pass


def _render_apply(form: ApplyForm, facility_text: str, start_text: str, error=None, status: int = 200):
    try:
        facility, start = slot_target(facility_text, start_text)
    except Invalid as err:
        return render_template("draw/apply.html", form=None, facility=None, error=err.message), 422
    tz = facility.venue.timezone
    form.facility_id.data = str(facility.id)
    form.start.data = timeutil.isoformat_local(start, tz)
    pending = services.pending_draws(facility, [start], timeutil.utcnow()).get(start)
    return render_template(
        "draw/apply.html", form=form, facility=facility, start=start, tz=tz, pending=pending, error=error
    ), status


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    form = ApplyForm()
    _done, page = slot_page(
        form, _render_apply, lambda facility, start: services.apply(current_user, facility.id, start, form.party())
    )
    if page is not None:
        return page
    flash(_("You applied. We will tell you the result after the draw."), "success")
    return redirect(url_for("draw.mine"))


@bp.get("/")
@login_required
def mine():
    applications = services.list_for(current_user)
    return render_template("draw/mine.html", applications=applications, form=ActionForm(), facility_of=load_facility)


@bp.post("/applications/<int:application_id>/cancel")
@login_required
def cancel(application_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("draw.mine"))
    try:
        services.cancel(current_user, application_id)
    except DomainError as err:
        if err.status == 404:
            raise
        flash(err.message, "error")
    else:
        flash(_("Your application is withdrawn."), "success")
    return redirect(url_for("draw.mine"))


@bp.get("/<int:draw_id>")
@login_required
def show(draw_id: int):
    draw = services.get_for(current_user, draw_id)
    applications = {a.id: a for a in services.applications_of(draw)}
    return render_template(
        "draw/show.html",
        draw=draw,
        applications=applications,
        facility=load_facility(draw.facility_id),
        mine=current_user.id,
    )


@bp.get("/host")
@login_required
def host():
    """Host staff: their draws, upcoming with the applications so far, past with seed and result."""
    hosts = managed_host_ids(current_user)
    if not hosts:
        raise NotFound()
    services.run_due()
    c, a = Draw.__table__.c, Application.__table__.c
    rows = db.session.execute(
        select(Draw, func.count(a.id))
        .outerjoin(Application.__table__, (a.draw_id == c.id) & (a.status != "cancelled"))
        .where(c.host_id.in_(hosts))
        .group_by(Draw.id)
        .order_by(c.start_at.desc())
        .limit(100)
    ).all()
    return render_template("draw/host.html", rows=rows, facility_of=load_facility)


def register(app) -> None:
    """The blueprint, the slot grid's helper (a draw slot shows "apply" with its draw time), and
    the planner's check that a draw slot is not booked first-come while its draw is pending
    (reservations/hooks.py; reservations does not import the draw)."""
    app.register_blueprint(bp)
    reservation_hooks.on_first_come(services.refuse_while_draw_pending)

    def pending_draw(facility, start, now=None):
        if getattr(facility, "allocation", "first_come") != "draw":
            return None
        return services.pending_draws(facility, [start], now or timeutil.utcnow()).get(start)

    def run_due_draws_of_the_slots_read():
        """The first read of a draw facility's slots after a draw time runs that draw (the day's
        grid, the booking page): the page then shows the result, never a stale pending slot."""
        if request.endpoint == "facilities.day" and request.view_args:
            facility_id = request.view_args.get("facility_id")
        elif request.endpoint == "reservations.new":
            text = request.values.get("facility_id", "")
            facility_id = int(text) if whole_number(text, 9) else None
        else:
            return
        if facility_id is not None:
            services.run_due(facility_id=facility_id)

    # Only the requests of the two blueprints whose pages these are (Flask's hooks by blueprint name).
    for blueprint in ("facilities", "reservations"):
        app.before_request_funcs.setdefault(blueprint, []).append(run_due_draws_of_the_slots_read)

    app.jinja_env.globals.update(
        pending_draw=pending_draw, draw_status_label=lambda status: str(STATUS_LABELS.get(status, status))
    )
