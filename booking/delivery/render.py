"""A message in its recipient's language: subject, text and HTML, a link, the booking's .ics.

Rendered when it is delivered (not when written), in the recipient's language
(Flask-Babel force_locale), with links made from PUBLIC_URL: a job has no request to take a
host name from.
"""

import json

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import timeutil
from ..accounts.models import User
from ..draw.models import Draw
from ..extensions import db
from ..feeds import ics
from ..notifications import rules
from ..notifications.channels import Rendered
from ..waitlist.models import WaitlistEntry

SUBJECTS = {
    "confirmed": _l("Booking confirmed: %(facility)s"),
    "approved": _l("Booking approved: %(facility)s"),
    "rejected": _l("Booking not approved: %(facility)s"),
    "cancelled_by_host": _l("Booking cancelled by the venue: %(facility)s"),
    "reminder": _l("Starts soon: %(facility)s at %(time)s"),
    "no_show": _l("Missed booking: %(facility)s"),
    "suspended": _l("Your bookings at %(host)s are paused"),
    "suspension_ended": _l("You can book at %(host)s again"),
    "join_approved": _l("Welcome to %(enterprise)s"),
    "pending_digest": _l("%(n)s bookings wait for your approval"),
    "verify_email": _l("Please confirm your email address"),
    "waitlist_booked": _l("A place freed up: you are booked at %(facility)s"),
    "waitlist_offered": _l("A place is yours if you accept by %(until)s: %(facility)s"),
    "waitlist_expiring": _l("Your offer runs out at %(until)s: %(facility)s"),
    "waitlist_expired": _l("Your offer ran out: %(facility)s"),
    "waitlist_skipped": _l("You left the waitlist: %(facility)s"),
    "draw_won": _l("You won the draw: %(facility)s"),
    "draw_waitlisted": _l("Not drawn this time: %(facility)s"),
    "draw_refused": _l("Drawn, but not booked: %(facility)s"),
}
BODIES = {
    "confirmed": _l("Your booking at %(facility)s, %(venue)s on %(start)s is confirmed. Check-in code: %(code)s."),
    "approved": _l("Your booking at %(facility)s, %(venue)s on %(start)s was approved. Check-in code: %(code)s."),
    "rejected": _l("Your booking at %(facility)s, %(venue)s on %(start)s was not approved."),
    "cancelled_by_host": _l("The venue cancelled your booking at %(facility)s, %(venue)s on %(start)s."),
    "reminder": _l(
        "Your booking at %(facility)s, %(venue)s starts at %(start)s. Open the link to show your check-in code."
    ),
    "no_show": _l("You did not check in for your booking at %(facility)s, %(venue)s on %(start)s."),
    "suspended": _l("After %(n)s missed bookings you cannot book at %(host)s until %(until)s."),
    "suspension_ended": _l("Your pause at %(host)s is over. Please come to the bookings you make."),
    "join_approved": _l("Your request to join %(enterprise)s was approved. You can book now."),
    "pending_digest": _l("%(n)s bookings at your venues wait for your decision."),
    "verify_email": _l("Open the link to confirm that this address is yours. Until then we send nothing else to it."),
    "waitlist_booked": _l(
        "A place freed up at %(facility)s, %(venue)s on %(start)s and you are booked. Check-in code: %(code)s."
    ),
    "waitlist_offered": _l(
        "A place freed up at %(facility)s, %(venue)s on %(start)s. It is held for you "
        "until %(until)s. Open the link to accept it; after that it goes to the next in line."
    ),
    "waitlist_expiring": _l(
        "The place held for you at %(facility)s, %(venue)s on %(start)s goes to the next "
        "in line at %(until)s. Open the link to accept it now."
    ),
    "waitlist_expired": _l(
        "You did not accept the place at %(facility)s, %(venue)s on %(start)s in time. It went to the next in line."
    ),
    "waitlist_skipped": _l(
        "A place freed up at %(facility)s, %(venue)s on %(start)s, but you can no longer "
        "book it, so you were taken off the waitlist."
    ),
    "draw_won": _l(
        "You won the draw for %(facility)s, %(venue)s on %(start)s and you are booked. Check-in code: %(code)s."
    ),
    "draw_waitlisted": _l(
        "You were not drawn for %(facility)s, %(venue)s on %(start)s. You are on the "
        "waitlist in draw order: if a place frees up, you are booked."
    ),
    "draw_refused": _l("You were drawn for %(facility)s, %(venue)s on %(start)s, but the booking could not be made."),
}
BUTTONS = {
    "pending_digest": _l("Review"),
    "verify_email": _l("Confirm"),
    "join_approved": _l("Open"),
    "waitlist_offered": _l("Accept"),
    "waitlist_expiring": _l("Accept"),
}
# Why a waitlist entry was skipped or a drawn booking refused (the booking refusal's code).
REFUSALS = {
    "suspended": _l("your bookings at this venue are paused"),
    "quota_exceeded": _l("your enterprise's hours for the week are used up"),
    "worker_limit": _l("you reached your bookings for the week"),
    "overlap": _l("you have another booking at that time"),
    "not_shared": _l("the venue no longer shares this place with your enterprise"),
    "not_a_worker": _l("your account can no longer book"),
}
# Events about a waitlist entry: their facility and time come from it, their link is the list.
_WAITLIST_PAGE = ("waitlist_offered", "waitlist_expiring", "waitlist_expired", "waitlist_skipped", "draw_waitlisted")


def external(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_URL") or "http://localhost:5000"
    with current_app.test_request_context("/", base_url=base):
        return url_for(endpoint, _external=True, **values)


def _slot_of(message, context: dict):
    """What the message is about, for its facility and time: the booking, else the waitlist
    entry, else the draw."""
    if message.reservation is not None:
        return message.reservation
    if context.get("waitlist_entry_id") is not None:
        return db.session.get(WaitlistEntry, context["waitlist_entry_id"])
    if context.get("draw_id") is not None:
        return db.session.get(Draw, context["draw_id"])
    return None


def _values(message, context: dict) -> dict:
    values = dict(context)
    slot = _slot_of(message, context)
    if slot is not None:
        venue = slot.facility.venue
        local = timeutil.to_local(slot.start_at, venue.timezone)
        values.update(
            facility=slot.facility.name,
            venue=venue.name,
            code=getattr(slot, "code", ""),
            start=local.strftime("%Y-%m-%d %H:%M"),
            time=local.strftime("%H:%M"),
        )
        expires = getattr(slot, "offer_expires_at", None)
        if expires is not None:
            values["until"] = timeutil.to_local(expires, venue.timezone).strftime("%H:%M")
    return values


def _reason(event: str, context: dict) -> str | None:
    code = context.get("reason")
    if event in ("waitlist_skipped", "draw_refused"):  # a refusal's code: said in words, or not at all
        return str(REFUSALS[code]) if code in REFUSALS else None
    return code


def _link(message, context: dict) -> str:
    if message.event == "verify_email":
        return external("notifications.verify", token=context["token"])
    if message.event == "pending_digest":
        return external("staff.pending")
    if message.event in ("suspended", "suspension_ended"):
        return external("quotas.me")
    if message.event in _WAITLIST_PAGE:
        return external("waitlist.mine")
    if message.event == "draw_refused":
        return external("draw.show", draw_id=context["draw_id"])
    if message.reservation_id is not None:
        return external("reservations.show", reservation_id=message.reservation_id)
    return external("notifications.settings")


def render(message, user: User, unsubscribe: str) -> Rendered:
    context = json.loads(message.context or "{}")
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        values = _values(message, context)
        # An event without its own words yet (a new feature's) still reaches the person.
        subject = str(SUBJECTS.get(message.event, _l("News from Shared Venues"))) % values
        lines = [str(BODIES.get(message.event, _l("Something changed. Open the link to see it."))) % values]
        reason = _reason(message.event, context)
        if reason:
            lines.append(_("Reason: %(reason)s", reason=reason))
        link = _link(message, context)
        button = str(BUTTONS.get(message.event, _l("View")))
        page = {
            "subject": subject,
            "lines": lines,
            "link": link,
            "button": button,
            "unsubscribe": unsubscribe,
            "name": user.display_name,
            "lang": locale.replace("_", "-"),
        }
        # The templates alone (no request, no signed-in user: the page's context processors stay out).
        text = current_app.jinja_env.get_template("emails/notification.txt").render(**page)
        html = current_app.jinja_env.get_template("emails/notification.html").render(**page)
        attachment = None
        if message.event in rules.WITH_ICS and message.reservation is not None:
            attachment = ics.document(subject, [ics.event(message.reservation, link=link)])
    return Rendered(
        message_id=f"<outbox-{message.id}@{ics.UID_DOMAIN}>",
        subject=subject,
        summary="\n".join(lines),
        text=text,
        html=html,
        link=link,
        button=button,
        unsubscribe=unsubscribe,
        ics=attachment,
    )
