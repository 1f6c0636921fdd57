"""What every API handler shares: bearer auth, JSON body parsing."""
from functools import wraps

from flask import g, request

from ..accounts import services as accounts
from ..errors import BadRequest, Unauthorized


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = accounts.user_for_token(bearer_token())
        if user is None:
            raise Unauthorized()
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


def json_body() -> dict:
    """The request's JSON object, or a 400 for anything else (not JSON, not an object)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest()
    return data


def string_field(data: dict, name: str, required: bool = True, max_len: int = 200) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise BadRequest(field=name)
    return value


def optional_json_body() -> dict:
    """A JSON object if one was sent; an empty or absent body is {}; anything else is a 400."""
    if not request.get_data(cache=True):
        return {}
    return json_body()
