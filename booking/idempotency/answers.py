"""A stored answer given again, or one rebuilt from what a first attempt committed: shared by
the API's hooks (booking/api/idempotency.py) and the web form hook (web.py)."""

from flask import current_app

from ..extensions import db
from . import services
from .services import Answer, Committed, Outcome


def replayed(answer: Answer):
    response = current_app.response_class(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.location:
        response.headers["Location"] = answer.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def rebuilt(found: Committed, spec: Outcome | None):
    """The answer of a first attempt that committed and then died, built from what it committed."""
    table, _, ident = found.ref.partition(":")
    obj = db.session.get(spec.model, int(ident)) if spec and table == spec.model.__tablename__ else None
    if obj is None:
        raise services.in_progress()
    response = spec.answer(obj)
    body = response.get_data()
    services.store_rebuilt(
        found.id, response.status_code, response.content_type, body, response.headers.get("Location")
    )
    return replayed(Answer(response.status_code, response.content_type, response.headers.get("Location"), body, []))
