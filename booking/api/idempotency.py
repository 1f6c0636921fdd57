"""The `Idempotency-Key` header on every state-changing API call: hooks on the API blueprint.

A call without the header runs as always. With it, the caller (the user behind the bearer
token) and the key name one row: a retry within 24 h gets the first answer, byte for byte, from
whichever process or server it reaches. Sign-in (no bearer token yet) only has its key checked:
its answer holds a new secret token, which is never stored anywhere in clear.

OUTCOMES says, per endpoint, what its use case writes and how its answer is built from that
object; it is what a retry uses when the first attempt committed but died before storing its
answer. An endpoint missing from it is still idempotent while its answer gets stored; if its
process dies after committing, a retry runs it again once the claim's lease is over.
"""

from flask import current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.services import user_for_token
from ..checkin.models import CheckinEvent
from ..draw.models import Application
from ..extensions import db
from ..idempotency import services
from ..idempotency.answers import rebuilt, replayed
from ..idempotency.services import Answer, Claim, Outcome
from ..quotas.models import SharingAgreement
from ..reservations.models import Reservation
from ..waitlist.models import WaitlistEntry

HEADER = "Idempotency-Key"
STATE_CHANGING = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# Answers not worth keeping when nothing was committed: malformed, not signed in, rate limited,
# our own failures. The key is released and a corrected or later retry runs.
RELEASE = frozenset((400, 401, 429))


def _json(body, status: int):
    response = current_app.json.response(body)
    response.status_code = status
    return response


def _reservation(status: int):
    def answer(r):
        from .serialize import reservation_json

        return _json(reservation_json(r), status)

    return answer


def _scan(event):
    from .serialize import scan_answer

    r = db.session.get(Reservation, event.reservation_id) if event.reservation_id else None
    return _json(scan_answer(event.result, r), 200)


def _agreement(status: int):
    def answer(a):
        from .quotas import agreement_json

        return _json(agreement_json(a), status)

    return answer


def _waitlist_entry(status: int):
    def answer(entry):
        from .waitlist import entry_json

        return _json(entry_json(entry), status)

    return answer


def _application(status: int):
    def answer(application):
        from .draw import application_json

        return _json(application_json(application), status)

    return answer


OUTCOMES: dict[str, Outcome] = {
    # The booking's own answer is built from snapshots already in hand: nothing to preload.
    "api.create_reservation": Outcome(Reservation, _reservation(201)),
    "api.cancel_reservation": Outcome(Reservation, _reservation(200), preload=True),
    "api.approve_reservation": Outcome(Reservation, _reservation(200), preload=True),
    "api.reject_reservation": Outcome(Reservation, _reservation(200), preload=True),
    "api.check_in": Outcome(CheckinEvent, _scan, preload=True),
    "api.create_agreement": Outcome(SharingAgreement, _agreement(201), preload=True),
    "api.change_agreement": Outcome(SharingAgreement, _agreement(200), preload=True),
    "api.join_waitlist": Outcome(WaitlistEntry, _waitlist_entry(201)),
    "api.accept_offer": Outcome(Reservation, _reservation(201)),
    "api.leave_waitlist": Outcome(WaitlistEntry, _waitlist_entry(200)),
    "api.apply_for_draw": Outcome(Application, _application(201)),
    "api.cancel_application": Outcome(Application, _application(200)),
}


def _full_path() -> str:
    return request.path + ("?" + request.query_string.decode("latin-1") if request.query_string else "")


def before_request():
    if request.method not in STATE_CHANGING:
        return None
    spec = OUTCOMES.get(request.endpoint)
    if spec is not None:
        g._idempotency_outcome = spec
    key = request.headers.get(HEADER)
    if key is None:
        return None
    services.check_key(key)
    from .common import bearer_token  # here: booking.api (its __init__) imports this module

    user = user_for_token(bearer_token())
    if user is None:
        return None  # sign-in, or a bad token (the handler answers 401): no caller to key on
    found = services.claim(
        f"user:{user.id}", key, services.request_hash(request.method, _full_path(), request.get_data(cache=True))
    )
    if isinstance(found, Claim):
        g._idempotency = found
        return None
    if isinstance(found, Answer):
        return replayed(found)
    return rebuilt(found, spec)


def after_request(response):
    claim = g.pop("_idempotency", None)
    if claim is None:
        return response
    try:
        if not claim.committed and (
            response.status_code in RELEASE or response.status_code >= 500 or response.is_streamed
        ):
            services.release(claim)
        elif response.status_code < 500 and not response.is_streamed:
            services.store(
                claim,
                response.status_code,
                response.content_type,
                response.get_data(),
                response.headers.get("Location"),
            )
        # else: committed, then failed: the outcome stays recorded and a retry rebuilds the answer
    except SQLAlchemyError as err:  # e.g. the database just went away: the answer itself is still right
        services.forget_failed_write(err)
    return response
