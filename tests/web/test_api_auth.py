"""The API's bearer tokens and its error contract."""

import pytest
from sqlalchemy import func, select

from booking import demo
from booking.accounts.models import ApiToken
from booking.extensions import db
from tests import factories as f


@pytest.fixture
def world(ctx):
    ent = f.org("海顺模具", invite_code="HSMJ2345")
    f.user("worker", ent)
    f.user("waiting", ent, status="pending")
    return ent


def test_token_then_me(api, world):
    api.login("worker")
    body = api.get("/api/v1/me").get_json()
    assert body["username"] == "worker" and body["enterprise"]["name"] == "海顺模具"


def test_every_demo_account_gets_a_token_and_signs_in_on_the_web(ctx, app, client):
    demo.seed(40)
    from tests.helpers import ApiClient, WebClient

    for name in ["district", "geely", "lingfeng", "entadmin"] + [f"worker{i}" for i in range(1, 41)]:
        ApiClient(app).login(name, demo.DEMO_PASSWORD)
        assert WebClient(app).login(name, demo.DEMO_PASSWORD).status_code == 302, name


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"username": "worker", "password": "nope-nope"}, 401, "bad_credentials"),
        ({"username": "ghost", "password": "nope-nope"}, 401, "bad_credentials"),
        ({"username": "waiting", "password": f.PASSWORD}, 403, "pending_approval"),
        ({"username": "worker"}, 400, "bad_request"),
        ({"username": 5, "password": "x"}, 400, "bad_request"),
        ({"username": ["worker"], "password": f.PASSWORD}, 400, "bad_request"),
        ([1, 2], 400, "bad_request"),
        ("just a string", 400, "bad_request"),
    ],
)
def test_bad_token_requests(api, world, body, status, code):
    before = db.session.scalar(select(func.count(ApiToken.id)))
    r = api.post("/api/v1/auth/token", json=body)
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(ApiToken.id))) == before


def test_not_json_body_is_a_json_400(api, world):
    r = api.http.post("/api/v1/auth/token", data="username=worker", content_type="text/plain")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500])
def test_bad_bearer_tokens_get_401_json(api, world, header):
    r = api.http.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"


def test_revoked_token_stops_at_once(api, world):
    api.login("worker")
    assert api.delete("/api/v1/auth/token").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_messages_follow_accept_language(api, world):
    r = api.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.get_json()["error"]["message"] == "Please sign in."
    r = api.get("/api/v1/me")
    assert r.get_json()["error"]["message"] == "请登录。"
    r = api.get("/api/v1/me", headers={"Accept-Language": "fr"})
    assert r.get_json()["error"]["message"] == "请登录。"


def test_404_405_413_under_api_are_json(api, world):
    r = api.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = api.request("PUT", "/api/v1/me")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    r = api.http.post("/api/v1/auth/token", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"


def test_api_is_not_csrf_protected_but_needs_a_token(api, world):
    r = api.http.post("/api/v1/auth/token", json={"username": "worker", "password": f.PASSWORD})
    assert r.status_code == 200


def test_openapi_documents_every_api_route(app, api):
    doc = api.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule[len("/api/v1") :]
        import re

        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} not in openapi.json"
