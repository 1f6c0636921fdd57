"""The OpenAPI 3 document of the API, served at /api/v1/openapi.json.

Each route is described next to the others here; tests/web/test_openapi.py fails when a route
of the blueprint is missing from this document.
"""
from flask import jsonify

from . import bp


def _error():
    return {"$ref": "#/components/schemas/Error"}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    names = {400: "Malformed request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
             409: "Conflict", 422: "Invalid", 429: "Rate limited"}
    return {str(c): _json(_error(), names[c]) for c in codes}


PATHS: dict = {}


def document(path: str, method: str, spec: dict) -> None:
    PATHS.setdefault(path, {})[method] = spec


document("/auth/token", "post", {
    "summary": "Sign in and get a bearer token",
    "security": [],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string", "description": "username or phone"},
                       "password": {"type": "string"}}}}}},
    "responses": {"200": _json({"type": "object", "properties": {"token": {"type": "string"}}}),
                  **_errors(400, 401, 403, 429)},
})
document("/auth/token", "delete", {
    "summary": "Revoke the token used for this request",
    "responses": {"204": {"description": "Revoked"}, **_errors(401)},
})
document("/me", "get", {
    "summary": "The signed-in user",
    "responses": {"200": _json({"$ref": "#/components/schemas/Me"}), **_errors(401)},
})
document("/openapi.json", "get", {
    "summary": "This document", "security": [],
    "responses": {"200": {"description": "OpenAPI 3 document"}},
})

COMPONENTS = {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
        "Ref": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "Me": {"type": "object", "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"},
            "display_name": {"type": "string"},
            "enterprise": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
            "roles": {"type": "array", "items": {"type": "string"}}}},
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify({
        "openapi": "3.1.0",
        "info": {"title": "Shared Venues API", "version": "1.0.0",
                 "description": "Book shared sports and reading facilities. Errors are "
                                "{\"error\": {\"code\", \"message\"}}; messages follow Accept-Language."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": COMPONENTS,
    })
