"""POST /api/v1/auth/token (sign in), DELETE it (revoke), GET /api/v1/me."""

from flask import g, jsonify

from ..accounts import services as accounts
from ..accounts.views import login_limits
from . import bp
from .common import bearer_token, json_body, string_field, token_required


def issue_token():
    data = json_body()
    token = accounts.issue_token(
        string_field(data, "username", max_len=60), string_field(data, "password", max_len=128)
    )
    return jsonify({"token": token}), 200


view = issue_token
for deco in login_limits():
    view = deco(view)
bp.add_url_rule("/auth/token", "issue_token", view, methods=["POST"])


@bp.delete("/auth/token")
@token_required
def revoke_token():
    accounts.revoke_token(bearer_token())
    return "", 204


@bp.get("/me")
@token_required
def me():
    return jsonify(user_json(g.api_user))


def user_json(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "enterprise": {"id": user.enterprise.id, "name": user.enterprise.name} if user.enterprise else None,
        "roles": sorted({f"{g_.role}:{g_.organization_id}" for g_ in user.grants}),
    }
