"""How the OpenAPI document describes the Idempotency-Key header (booking/api/openapi.py)."""

STATE_CHANGING = ("post", "put", "patch", "delete")

PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[\\x20-\\x7E]{1,64}$"},
    "description": (
        "Makes a retry safe. A retry with the same key by the same caller within 24 h returns the "
        "first call's status and body (with the header `Idempotent-Replayed: true`), whichever "
        "server answers it; the same key with another method, path or body answers 422 "
        "`idempotency_mismatch`; a retry sent while the first call still runs waits for its answer, "
        "and after a few seconds answers 409 `idempotency_in_progress` (retry later). If the first "
        "call committed but its answer was lost, the retry's answer is built from what it committed. "
        "A key that is not 1-64 printable ASCII characters answers 400 `invalid_idempotency_key`. "
        "Answers 400, 401, 429 and 5xx are not kept (a corrected retry may reuse the key). "
        "Sign-in (`POST /auth/token`) checks the key but keeps no answer (it holds a new token); "
        "a retry whose bearer token no longer works (e.g. after `DELETE /auth/token`) answers 401."
    ),
}
COMPONENTS = {"parameters": {"IdempotencyKey": PARAMETER}}
_REF = {"$ref": "#/components/parameters/IdempotencyKey"}
_ERRORS = {
    status: {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, description in (
        ("400", "Malformed request (also `invalid_idempotency_key`)"),
        ("409", "Conflict (also `idempotency_in_progress`)"),
        ("422", "Invalid (also `idempotency_mismatch`)"),
    )
}


def with_key(method: str, spec: dict) -> dict:
    """A state-changing operation takes the header and may answer its 400, 409 and 422."""
    if method.lower() not in STATE_CHANGING:
        return spec
    responses = dict(spec.get("responses", {}))
    for status, response in _ERRORS.items():
        responses.setdefault(status, response)
    return {**spec, "parameters": [*spec.get("parameters", []), _REF], "responses": responses}
