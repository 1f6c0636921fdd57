"""Each host's Ed25519 signing keys: private halves from the environment or instance/, public in the DB.

Where a private key comes from, first match wins:
* QR_PRIVATE_KEYS="kid=base64url-seed,kid=..." (environment or config): explicit keys;
* QR_KEY_SECRET (environment or config; every server of a cluster shares it): each key is
  derived from it and the key id (HKDF-SHA256), so any server can sign with any host's key and
  nothing is written to disk;
* otherwise (one server, `make run`): generated on first use into QR_KEY_DIR
  (instance/qr-keys, mode 0600).
Keys rotate with rotate(host_id) (`flask --app wsgi rotate-qr-key HOST_ID`): the old key stops
signing but keeps verifying.
"""

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..timeutil import utcnow
from .models import SigningKey

_public_cache: dict[int, tuple[int, Ed25519PublicKey]] = {}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_dir() -> Path:
    return Path(current_app.config.get("QR_KEY_DIR") or Path(current_app.instance_path) / "qr-keys")


def _env_keys() -> dict[int, bytes]:
    out = {}
    for item in (os.environ.get("QR_PRIVATE_KEYS") or current_app.config.get("QR_PRIVATE_KEYS") or "").split(","):
        if "=" in item:
            kid, seed = item.split("=", 1)
            out[int(kid.strip())] = _unb64(seed.strip())
    return out


def _master_secret() -> bytes | None:
    secret = os.environ.get("QR_KEY_SECRET") or current_app.config.get("QR_KEY_SECRET")
    return secret.encode() if secret else None


def _derived(master: bytes, kid: int) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"shared-venues qr signing key %d" % kid).derive(
        master
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _private(kid: int) -> Ed25519PrivateKey | None:
    seed = _env_keys().get(kid)
    if seed is None:
        path = _key_dir() / f"{kid}.key"
        if path.exists():  # a key made before the servers shared QR_KEY_SECRET
            seed = _unb64(path.read_text().strip())
        elif (master := _master_secret()) is not None:
            return _derived(master, kid)
        else:
            return None
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_b64(key: Ed25519PrivateKey) -> str:
    return _b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _store_private(kid: int, key: Ed25519PrivateKey) -> None:
    folder = _key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    tmp = folder / f".{kid}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(_b64(seed))
    os.replace(tmp, folder / f"{kid}.key")


def _new_key(host_id: int) -> SigningKey:
    kid = secrets.randbits(31) or 1
    master = _master_secret()
    if master is not None:
        key = _derived(master, kid)  # every server derives the same: nothing to store
    else:
        key = Ed25519PrivateKey.generate()
        _store_private(kid, key)
    row = SigningKey(kid=kid, host_id=host_id, public_key=_public_b64(key))
    db.session.add(row)
    db.session.flush()
    return row


def usable_signing_key(host_id: int) -> tuple[int, Ed25519PrivateKey] | None:
    """The host's current signing key if this server can sign with it, else None (reads only)."""
    rows = db.session.scalars(
        select(SigningKey)
        .where(SigningKey.host_id == host_id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
    ).all()
    for row in rows:
        private = _private(row.kid)
        # A key derived for a kid that was made elsewhere (another folder) would sign codes
        # nobody can verify: only a private key matching the published public key signs.
        if private is not None and _public_b64(private) == row.public_key:
            return row.kid, private
    return None


def signing_key(host_id: int) -> tuple[int, Ed25519PrivateKey]:
    """The host's current signing key, created (inside the caller's write transaction) if none."""
    found = usable_signing_key(host_id)
    if found is not None:
        return found
    row = _new_key(host_id)  # none usable here (the first, or a new machine): start a new one
    return row.kid, _private(row.kid)


def rotate(host_id: int) -> int:
    """Retire the host's signing keys (they keep verifying) and make a new one; caller commits."""
    for row in db.session.scalars(
        select(SigningKey).where(SigningKey.host_id == host_id, SigningKey.retired_at.is_(None))
    ):
        row.retired_at = utcnow()
    return _new_key(host_id).kid


def public_key(kid: int) -> tuple[int, Ed25519PublicKey] | None:
    """(host id, public key) of a key id; public keys never change, so they are cached."""
    if kid in _public_cache:
        return _public_cache[kid]
    row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        return None
    found = (row.host_id, Ed25519PublicKey.from_public_bytes(_unb64(row.public_key)))
    _public_cache[kid] = found
    return found


def published(host_ids) -> list[dict]:
    """Public keys for scanners: verify offline."""
    return [
        {
            "kid": r.kid,
            "host_id": r.host_id,
            "alg": "Ed25519",
            "public_key": r.public_key,
            "retired": r.retired_at is not None,
        }
        for r in db.session.scalars(
            select(SigningKey).where(SigningKey.host_id.in_(list(host_ids))).order_by(SigningKey.id)
        )
    ]
