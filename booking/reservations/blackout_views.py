"""Blackout pages for host staff: list, create, delete; cancel the bookings a blackout hits.

Nested in the staff blueprint (endpoints `staff.blackouts.*`, under /staff), whose guard lets
only host staff in.
"""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import timeutil
from ..errors import DomainError, NotFound
from . import blackouts
from .staff_forms import ActionForm, BlackoutForm, ReasonForm

bp = Blueprint("blackouts", __name__)


@bp.route("/facilities/<int:facility_id>/blackouts", methods=["GET", "POST"])
def index(facility_id: int):
    facility, upcoming = blackouts.upcoming(current_user, facility_id)
    form = BlackoutForm(day=timeutil.local_date(timeutil.utcnow(), facility.venue.timezone))
    status = 200
    if form.validate_on_submit():
        try:
            blackout, hit = blackouts.create_blackout(
                current_user,
                facility_id,
                datetime.combine(form.day.data, form.starts.data),
                datetime.combine(form.day.data, form.ends.data),
                form.reason.data,
                weeks=form.weeks_count(),
            )
        except DomainError as err:
            field = getattr(form, err.details.get("field", ""), None)
            (field.errors if field is not None else form.form_errors).append(err.message)
            status = 422
        else:
            if hit:
                flash(
                    _("Blackout saved. %(n)s booking(s) fall in it: choose below to cancel or keep them.", n=len(hit)),
                    "info",
                )
                return redirect(url_for("staff.blackouts.show", blackout_id=blackout.id))
            flash(_("Blackout saved. No bookings fall in it."), "success")
            return redirect(url_for("staff.blackouts.index", facility_id=facility_id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "staff/blackouts.html", facility=facility, upcoming=upcoming, form=form, action=ActionForm()
    ), status


@bp.get("/blackouts/<int:blackout_id>")
def show(blackout_id: int):
    facility, blackout, bookings = blackouts.affected(current_user, blackout_id)
    form = ReasonForm(reason=blackout.reason)
    return render_template(
        "staff/blackout.html",
        facility=facility,
        blackout=blackout,
        bookings=bookings,
        form=form,
        action=ActionForm(),
        kept=blackouts.kept_ids(r.id for r in bookings),
    )


@bp.post("/blackouts/<int:blackout_id>/cancel-bookings")
def cancel_bookings(blackout_id: int):
    blackouts.affected(current_user, blackout_id)  # out of scope: 404 before anything else
    form = ReasonForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))
    try:
        results = blackouts.cancel_affected(current_user, blackout_id, form.reason.data)
    except NotFound:
        raise  # not revealed: the error page, as for any object out of scope
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))
    done = sum(1 for problem in results.values() if problem is None)
    flash(_("Cancelled %(n)s booking(s); the workers have been told why.", n=done), "success")
    failed = len(results) - done
    if failed:
        flash(_("%(n)s booking(s) could not be cancelled (already checked in or changed).", n=failed), "error")
    return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))


@bp.post("/blackouts/<int:blackout_id>/keep-bookings")
def keep_bookings(blackout_id: int):
    blackouts.affected(current_user, blackout_id)  # out of scope: 404 before anything else
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))
    kept = blackouts.keep_affected(current_user, blackout_id)
    flash(
        _("Kept %(n)s booking(s): they stand, and their workers see the closure on their booking.", n=len(kept)),
        "success",
    )
    return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))


@bp.post("/blackouts/<int:blackout_id>/delete")
def delete(blackout_id: int):
    blackouts.affected(current_user, blackout_id)  # out of scope: 404 before anything else
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("staff.blackouts.show", blackout_id=blackout_id))
    facility = blackouts.delete_blackout(current_user, blackout_id)
    flash(_("Blackout removed: the facility can be booked again then."), "success")
    return redirect(url_for("staff.blackouts.index", facility_id=facility.id))
