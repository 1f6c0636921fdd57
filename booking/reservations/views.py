"""Worker pages: book a slot, my bookings, a booking's page, cancel, notifications."""

from datetime import datetime, timedelta

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import timeutil
from ..errors import DomainError, Invalid
from ..facilities import rules
from ..facilities import services as facilities
from ..filters import slot_reason_label
from ..forms import posted_slot
from ..idempotency import web as idempotency_web
from ..idempotency.services import Outcome
from ..quotas.services import quota_at_host
from . import blackouts, queries_phone, services
from .availability import availability
from .forms import ActionForm, BookingForm
from .forms import whole_number as _whole_number
from .models import AWAITED, Reservation

bp = Blueprint("reservations", __name__, url_prefix="/bookings")


def _show_booking(r):
    return redirect(url_for("reservations.show", reservation_id=r.id))


def _idempotent_forms(_state) -> None:
    """A second submit of the booking and cancel forms lands where the first one did, rebuilt
    from the booking the first one committed if it died before storing its answer
    (booking/idempotency/web.py)."""
    idempotency_web.OUTCOMES.update(
        {
            "reservations.new": Outcome(Reservation, _show_booking),
            "reservations.cancel": Outcome(Reservation, _show_booking),
        }
    )


bp.record_once(_idempotent_forms)


@bp.app_template_global()
def unread_notifications() -> int:
    """For the worker's badge: one COUNT per page, and only on pages that ask for it."""
    if not (current_user.is_authenticated and current_user.is_worker):
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = services.unread_count(current_user)
    return g.unread_notifications


# Statuses a worker may still cancel (services.cancel holds the same rule and has the last word).
CANCELLABLE = AWAITED
# Statuses whose check-in code the booking page shows: it will (or may, once approved) open the
# door. The page draws it with check_in_code(r), a template global of the check-in package.
CODE_STATUSES = AWAITED
MAX_AWAY = timedelta(days=400)


def may_cancel(reservation, user, now: datetime) -> bool:
    """Whether the page offers the cancel button: the owner's, still open, before the cutoff."""
    return (
        reservation.user_id == user.id
        and reservation.status in CANCELLABLE
        and rules.can_cancel(reservation.start_at, now, reservation.facility.cancel_cutoff_minutes)
    )


def _bad_link() -> Invalid:
    return Invalid(_("This booking link is not valid. Please pick a slot again."), code="invalid_slot")


def _parse_start(text: str, tz: str) -> datetime:
    # A "+08:00" offset typed into a URL by hand arrives as " 08:00".
    text = (text or "").strip()
    if len(text) > 19 and text[19] == " ":
        text = text[:19] + "+" + text[20:]
    if not 10 <= len(text) <= 40:
        raise _bad_link()
    try:
        start = timeutil.as_utc(datetime.fromisoformat(text), tz)
    except (ValueError, OverflowError):
        raise _bad_link() from None
    if abs(start - timeutil.utcnow()) > MAX_AWAY:  # surely a typo; and keeps dates far from year 9999
        raise _bad_link()
    return start


def slot_target(facility_text: str, start_text: str):
    """The facility (404 unless shared with the signed-in user) and the slot start a slot link or
    form names (book it, join its line, apply for its draw); Invalid `invalid_slot` otherwise."""
    if not _whole_number(facility_text or "", 9):
        raise _bad_link()
    facility = facilities.get_visible(current_user, int(facility_text))
    return facility, _parse_start(start_text, facility.venue.timezone)


def slot_page(form, render, act):
    """A slot page (book it, join its line, apply for its draw): GET draws the form for the slot
    the link names; POST checks the form, reads the slot and calls `act(facility, start)`.
    Returns (what act returned, None), or (None, the page to answer): the form again with its
    error (422 for a bad form, the DomainError's status for a refusal; a 404 is raised), or an
    expired form's page (400)."""
    if request.method == "GET":
        return None, render(form, request.args.get("facility_id", ""), request.args.get("start", ""))
    facility_text, start_text, refused = posted_slot(form, render)
    if refused is not None:
        return None, refused
    try:
        facility, start = slot_target(facility_text, start_text)
        return act(facility, start), None
    except DomainError as err:
        if err.status == 404:
            raise
        return None, render(form, facility_text, start_text, error=err.message, status=err.status)


def _slot(facility_id_text: str, start_text: str, now: datetime):
    """The facility (404 unless shared with the user) and the day-view slot starting at `start`."""
    facility, start = slot_target(facility_id_text, start_text)
    tz = facility.venue.timezone
    facility, slots = availability(current_user, facility.id, timeutil.local_date(start, tz), now)
    slot = next((s for s in slots if s["start"] == start), None)
    if slot is None:
        raise Invalid(_("There is no slot starting at that time. Please pick one from the day's list."), code="closed")
    return facility, slot


def _render_new(form: BookingForm, facility_id_text: str, start_text: str, error: str | None = None, status: int = 200):
    now = timeutil.utcnow()
    try:
        facility, slot = _slot(facility_id_text, start_text, now)
    except Invalid as err:
        return render_template("reservations/new.html", form=None, facility=None, slot=None, error=err.message), 422
    form.facility_id.data = str(facility.id)
    form.start.data = timeutil.isoformat_local(slot["start"], facility.venue.timezone)
    if error is None and not slot["bookable"] and status == 200:
        error = _("This slot cannot be booked: %(reason)s.", reason=slot_reason_label(slot["reason"]))
    tz = facility.venue.timezone
    slot_day = timeutil.local_date(slot["start"], tz)
    quota = quota_at_host(current_user, facility.venue.host_id, slot_day, now)
    return render_template(
        "reservations/new.html",
        form=form,
        facility=facility,
        slot=slot,
        tz=tz,
        error=error,
        quota=quota,
        quota_this_week=timeutil.week_start(slot_day) == timeutil.week_start(timeutil.local_date(now, tz)),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = BookingForm()
    reservation, page = slot_page(
        form, _render_new, lambda facility, start: services.book(current_user, facility.id, start, form.party())
    )
    if page is not None:
        return page
    if reservation.status == "pending":
        flash(_("Booked! The host will approve it; we will tell you here."), "info")
    else:
        flash(_("Booked and confirmed. Show the code at the entrance."), "success")
    return redirect(url_for("reservations.show", reservation_id=reservation.id))


@bp.get("/")
@login_required
def mine():
    tab = request.args.get("tab", "")
    tab = {"past": "done"}.get(tab, tab)  # old links
    if tab not in queries_phone.TABS:
        tab = "upcoming"
    now = timeutil.utcnow()
    return render_template(
        "reservations/mine.html",
        bookings=queries_phone.my_bookings(current_user, tab, now),
        tab=tab,
        tabs=queries_phone.TABS,
        counts=queries_phone.tab_counts(current_user, now),
    )


@bp.get("/<int:reservation_id>")
@login_required
def show(reservation_id: int):
    r = services.get_for(current_user, reservation_id)
    now = timeutil.utcnow()
    cutoff = r.start_at - timedelta(minutes=r.facility.cancel_cutoff_minutes)
    qr = r.status in CODE_STATUSES
    tz = r.facility.venue.timezone
    window = rules.checkin_window(r.start_at, r.facility.checkin_before_minutes, r.facility.checkin_after_minutes)
    closure, kept = blackouts.over_booking(r)
    response = make_response(
        render_template(
            "reservations/show.html",
            r=r,
            tz=tz,
            qr=qr,
            can_cancel=may_cancel(r, current_user, now),
            cancel_until=cutoff,
            form=ActionForm(),
            window=window,
            closure=closure,
            kept=kept,
            code_first=qr and timeutil.local_date(r.start_at, tz) <= timeutil.local_date(now, tz),
            window_state="before" if now < window[0] else "open" if now <= window[1] else "over",
        )
    )
    if qr and r.user_id == current_user.id and r.end_at > now:
        response.headers["X-Offline-Cache"] = "booking"  # the service worker keeps it for the door
    return response


@bp.post("/<int:reservation_id>/cancel")
@login_required
def cancel(reservation_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("reservations.show", reservation_id=reservation_id))
    try:
        services.cancel(current_user, reservation_id)
    except DomainError as err:
        if err.status == 404:
            raise
        flash(err.message, "error")
    else:
        flash(_("Your booking is cancelled."), "success")
    return redirect(url_for("reservations.show", reservation_id=reservation_id))


@bp.get("/notifications")
@login_required
def notifications():
    items = services.notifications_for(current_user)
    return render_template(
        "reservations/notifications.html",
        items=items,
        form=ActionForm(),
        unread=sum(1 for n in items if n.read_at is None),
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    form = ActionForm()
    if form.validate_on_submit():
        services.mark_notifications_read(current_user)
    else:
        flash(_("The form expired. Please try again."), "error")
    return redirect(url_for("reservations.notifications"))
