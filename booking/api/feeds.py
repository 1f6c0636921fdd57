"""GET /reservations/<id>/calendar.ics: one booking as iCalendar."""

from flask import g

from ..feeds.views import booking_ics
from ..reservations.services import get_for
from . import bp
from .common import token_required


@bp.get("/reservations/<int:reservation_id>/calendar.ics")
@token_required
def reservation_calendar(reservation_id: int):
    return booking_ics(get_for(g.api_user, reservation_id))
