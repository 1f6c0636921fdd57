"""Test clients that behave like the real callers: a browser form user and an API client."""

import contextvars
import re

from flask import has_app_context

from booking.extensions import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def isolated(fn, *args, **kwargs):
    """Run one request as a separate caller would: in its own app context and database session.

    A test that holds an app context (to build data or check the database) would otherwise
    share it, and its `g` and session, with the request. Afterwards the test's own session
    ends its transaction, so what it reads next is what the request committed.
    """
    response = contextvars.Context().run(fn, *args, **kwargs)
    if has_app_context():
        db.session.rollback()
        db.session.expire_all()  # objects stay loaded after a commit: reload what the request changed
    return response


class _IsolatedClient:
    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name in ("get", "post", "put", "patch", "delete", "open", "head", "options"):
            return lambda *a, **kw: isolated(attr, *a, **kw)
        return attr


class WebClient:
    def __init__(self, app):
        self.app = app
        self.http = _IsolatedClient(app.test_client())

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def csrf(self, path="/login") -> str:
        page = self.http.get(path)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path, data: dict, csrf_from: str | None = None, **kw):
        token = self.csrf(csrf_from or path)
        return self.http.post(path, data={**data, "csrf_token": token}, **kw)

    def login(self, identifier, password="secret123"):
        return self.post_form("/login", {"identifier": identifier, "password": password})


class ApiClient:
    def __init__(self, app):
        self.app = app
        self.http = _IsolatedClient(app.test_client())
        self.token = None
        self.lang = None

    def _headers(self, headers=None):
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        if self.lang:
            out.setdefault("Accept-Language", self.lang)
        return out

    def login(self, username, password="secret123"):
        r = self.http.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        self.token = r.get_json()["token"]
        return self

    def get(self, path, **kw):
        return self.http.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.http.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.http.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def request(self, method, path, **kw):
        return self.http.open(path, method=method, headers=self._headers(kw.pop("headers", None)), **kw)
