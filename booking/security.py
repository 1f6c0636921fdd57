"""Protections every response and every deployment gets, set up in one place.

* Security headers on every response (pages, API JSON, static files, errors): a Content-Security-
  Policy that allows no inline script and no framing, nosniff, a strict referrer policy.
* Auth cookies: the remember-me cookie is Secure whenever the session cookie is.
* The SQLite database file (and its -wal/-shm) readable by the owner only, like the keys: it
  holds password and token hashes.
"""

import os
import stat
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

# Inline styles stay allowed (a few templates size bars and indents with style=""); scripts are
# files from this origin only. The scanner needs the camera (getUserMedia: no CSP directive),
# blob:/data: images and its own service worker.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}
SQLITE_FILE_MODE = 0o600
INSTANCE_DIR_MODE = 0o700


def init_app(app: Flask) -> None:
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.after_request(add_headers)
    protect_sqlite_file(app.config.get("SQLALCHEMY_DATABASE_URI", ""), app.instance_path)


_LOWER = {name.lower() for name in HEADERS}


def add_headers(response):
    headers = response.headers
    if not any(key.lower() in _LOWER for key, _ in headers.items()):  # the usual case: one pass
        headers.extend(HEADERS)
        return response
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    return response


def protect_sqlite_file(url: str, instance_path: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use the umask, usually 0644), and
    tighten an existing one. SQLite gives its -wal and -shm files the database file's mode."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL we can read: nothing to protect here
        return
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
        or parsed.database.startswith("file:")
    ):
        return
    path = Path(parsed.database)
    if not path.parent.exists():
        path.parent.mkdir(mode=INSTANCE_DIR_MODE, parents=True, exist_ok=True)
    if path.parent.resolve() == Path(instance_path).resolve():
        _tighten(path.parent, INSTANCE_DIR_MODE)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, SQLITE_FILE_MODE))
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.writers")):
        if each.exists():
            _tighten(each, SQLITE_FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            os.chmod(path, current & mode)
        except PermissionError:  # not ours (a shared deployment): leave it to the operator
            pass
