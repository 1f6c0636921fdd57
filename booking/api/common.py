"""What every API handler shares: bearer auth, JSON body parsing."""

from functools import wraps

from flask import g, request

from ..accounts import services as accounts
from ..errors import BadRequest, Unauthorized

# Shared with the scanner's JSON endpoints (checkin/views.py), so they live below both.
from ..inputs import CONTROL_MESSAGE, has_control
from ..inputs import json_body as json_body
from ..inputs import text_value as text_value


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return wrapper


def authenticate(statement=None, **params) -> list[tuple]:
    """token_required's check, for a handler to call itself: the bearer token's user becomes
    g.api_user, else 401. With a principal.with_caller() `statement` (and its parameters), the
    rows of its parts are read in the same round trip and returned (shown only once the handler
    has checked the caller may see them)."""
    if statement is None:
        user, rows = accounts.user_for_token(bearer_token()), []
    else:
        user, rows = accounts.user_and_rows(bearer_token(), statement, **params)
    if user is None:
        raise Unauthorized()
    g.api_user = user
    return rows


def string_field(data: dict, name: str, required: bool = True, max_len: int = 200) -> str | None:
    """A text field: a string of at most `max_len` characters without control characters, else 400."""
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise BadRequest(field=name)
    if has_control(value):
        raise BadRequest(CONTROL_MESSAGE, field=name)
    return value


def body_is_an_object() -> None:
    """before_request of the API: a body, when sent, is a JSON object, checked before anything
    (the sign-in limiter's key function among them) reads it."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.get_data(cache=True):
        json_body()


def optional_json_body() -> dict:
    """A JSON object if one was sent; an empty or absent body is {}; anything else is a 400."""
    if not request.get_data(cache=True):
        return {}
    return json_body()
