"""What a phone downloads: compressed responses, and static files under content-hashed URLs.

`url_for('static', filename=...)` gains `?v=<hash of the file>`; a request carrying the current
hash is cached for a year (immutable), anything else must be revalidated. A changed file gets a
new URL, so a phone never keeps a stale stylesheet or script.
"""

import hashlib
import os

from flask import Flask, request
from flask_compress import Compress
from werkzeug.security import safe_join

compress = Compress()
YEAR = 365 * 24 * 3600
COMPRESSED = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "text/calendar",
    "text/csv",
    "application/manifest+json",
]


class StaticHashes:
    """sha256 prefixes of static files, recomputed only when a file's size or mtime changes."""

    def __init__(self, folder: str):
        self.folder = folder
        self._known: dict[str, tuple[tuple, str]] = {}

    def __call__(self, filename: str) -> str | None:
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_size, st.st_mtime_ns)
        known = self._known.get(filename)
        if known and known[0] == stamp:
            return known[1]
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        self._known[filename] = (stamp, digest)
        return digest


def register(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    compress.init_app(app)
    hashes = StaticHashes(app.static_folder)
    app.extensions["static_hashes"] = hashes

    @app.url_defaults
    def _hashed_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = hashes(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _static_cache(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            if response.status_code == 200 and response.is_streamed:
                # Our files are small: read them whole, so every encoding applies (Flask-Compress
                # skips gzip for streamed bodies, and some phone browsers take only gzip).
                response.direct_passthrough = False
                response.make_sequence()
            if request.args.get("v") and request.args.get("v") == hashes(filename):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response
