"""The signed QR token: compact, verifiable offline, no personal data.

Layout (79 bytes, then base32 without padding, after the prefix "SV1"; base32's alphabet is
inside QR's alphanumeric mode, so the code stays a low QR version):

    version (1) | key id (4) | reservation id (4) | valid from, minutes since epoch (4)
    | valid for, minutes (2) | Ed25519 signature over the 15 bytes before it (64)

The key id names the host's key, so the host is part of what is signed.
"""

import base64
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "SV1"
VERSION = 1
_BODY = struct.Struct(">BIIIH")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Claims:
    kid: int
    reservation_id: int
    valid_from: datetime
    valid_until: datetime


def _minutes(instant: datetime) -> int:
    return int((instant - EPOCH).total_seconds() // 60)


def sign(
    private_key: Ed25519PrivateKey, kid: int, reservation_id: int, valid_from: datetime, valid_until: datetime
) -> str:
    start = _minutes(valid_from)
    span = max(0, min(0xFFFF, _minutes(valid_until) - start))
    body = _BODY.pack(VERSION, kid, reservation_id, start, span)
    raw = body + private_key.sign(body)
    return PREFIX + base64.b32encode(raw).decode().rstrip("=")


def peek(token: str) -> Claims | None:
    """The claims of a well-formed token, NOT yet verified (to find the key); None if malformed."""
    text = (token or "").strip().upper()
    if not text.startswith(PREFIX) or len(text) != len(PREFIX) + 127:
        return None
    body = text[len(PREFIX) :]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, TypeError):
        return None
    if len(raw) != _BODY.size + 64:
        return None
    version, kid, rid, start, span = _BODY.unpack(raw[: _BODY.size])
    if version != VERSION:
        return None
    return Claims(kid, rid, EPOCH + timedelta(minutes=start), EPOCH + timedelta(minutes=start + span))


def verify(token: str, public_key: Ed25519PublicKey) -> Claims | None:
    """The claims if the signature is good, else None."""
    claims = peek(token)
    if claims is None:
        return None
    body = token.strip().upper()[len(PREFIX) :]
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    try:
        public_key.verify(raw[_BODY.size :], raw[: _BODY.size])
    except InvalidSignature:
        return None
    return claims
