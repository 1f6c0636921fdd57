"""Settings, read from the environment only. Test settings live in tests/conftest.py."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from .timeutil import DEFAULT_TIMEZONE


def _instance_secret(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _shared_secrets_check() -> None:
    """REQUIRE_SHARED_SECRETS=1 (every server of a cluster): refuse to start on per-folder secrets."""
    if os.environ.get("REQUIRE_SHARED_SECRETS", "0") == "1":
        missing = [name for name in ("SECRET_KEY", "QR_KEY_SECRET") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "REQUIRE_SHARED_SECRETS=1 but not set: "
                + ", ".join(missing)
                + " (every server must share them: docs/deploy.md)"
            )


def _ratelimit_storage_options(uri: str) -> dict:
    # Redis down must cost a sign-in milliseconds, not a hung worker (Flask-Limiter then falls
    # back to memory, see DEFAULTS).
    if uri.startswith(("redis://", "rediss://", "redis+")):
        return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return {}


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "booking.sqlite3")
    # Accept the common "postgres://" spelling and pick the psycopg 3 driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str) -> dict:
    _shared_secrets_check()
    ratelimit_uri = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    return {
        "SECRET_KEY": _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # A server can restart under a pool of PostgreSQL connections: a connection idle for a
        # while is pinged before use (database.PING_AFTER_IDLE), not every one.
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh_CN"),
        "DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", DEFAULT_TIMEZONE),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "RATELIMIT_STORAGE_URI": ratelimit_uri,
        "RATELIMIT_STORAGE_OPTIONS": _ratelimit_storage_options(ratelimit_uri),
        # One secret from which every server derives the same QR signing keys (booking/checkin/keys.py).
        "QR_KEY_SECRET": os.environ.get("QR_KEY_SECRET") or None,
        # Proxies in front that set X-Forwarded-For/-Proto (nginx: 1); 0 trusts none.
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS", "0")),
        "LOGIN_LIMIT_PER_USERNAME": os.environ.get("LOGIN_LIMIT_PER_USERNAME", "10/minute;40/hour"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "600/minute"),
        # Notifications (booking/notifications/): links in messages, email, Web Push, WeCom.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"),
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Shared Venues <noreply@localhost>"),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY") or None,
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@localhost"),
        "WECOM_CORP_ID": os.environ.get("WECOM_CORP_ID") or None,
        "WECOM_AGENT_ID": os.environ.get("WECOM_AGENT_ID") or None,
        "WECOM_SECRET": os.environ.get("WECOM_SECRET") or None,
        "WECOM_BASE_URL": os.environ.get("WECOM_BASE_URL", "https://qyapi.weixin.qq.com"),
    }


DEFAULTS = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "LANGUAGES": ["zh_CN", "en"],
    "PASSWORD_HASH_METHOD": "scrypt",
    "PASSWORD_MIN_LENGTH": 8,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": False,
    # Limit storage (Redis) unreachable: count in this process's memory until it is back
    # (Flask-Limiter logs the switch once), never fail the request.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "API_TOKEN_DAYS": 90,
    "OFFLINE_SYNC_MAX_MINUTES": 120,  # a host's setting (host_checkin_settings) overrides it
}
