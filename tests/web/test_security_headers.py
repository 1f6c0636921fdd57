"""Security headers on every kind of response, and no inline script anywhere in the templates."""

import re
from pathlib import Path

import pytest

from booking.security import CONTENT_SECURITY_POLICY
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture
def app(db_url):
    from booking import create_app
    from tests.conftest import make_config

    app = create_app(make_config(db_url, PROPAGATE_EXCEPTIONS=False))

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    return app


def assert_headers(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


@pytest.mark.parametrize(
    "path, status",
    [
        ("/login", 200),
        ("/", 302),
        ("/healthz", 200),
        ("/static/js/app.js", 200),
        ("/static/css/app.css", 200),
        ("/sw.js", 200),
        ("/no-such-page", 404),
        ("/boom", 500),
        ("/api/v1/me", 401),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/no-such", 404),
        ("/api/v1/boom", 500),
    ],
)
def test_headers_on_pages_api_static_and_errors(client, path, status):
    r = client.get(path)
    assert r.status_code == status
    assert_headers(r)


def test_headers_on_a_405_and_a_signed_in_page(client, ctx):
    assert_headers(client.http.delete("/login"))
    f.user("worker", f.org("海顺模具"))
    client.login("worker")
    r = client.get("/")
    assert r.status_code == 200
    assert_headers(r)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_no_script_builds_code_from_strings():
    for script in (ROOT / "static/js").glob("*.js"):
        text = script.read_text()
        assert "new Function" not in text and "eval(" not in text, script.name
