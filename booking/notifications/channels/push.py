"""Web Push (RFC 8030/8291/8292) with pywebpush: the payload is encrypted for each of the
person's subscriptions (aes128gcm) and signed with our VAPID key."""

import base64
import json
import os
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import delete

from ...database import write_transaction
from ...extensions import db
from ..models import PushSubscription
from . import Recipient, Rendered, SendError

TTL = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_key(app) -> Vapid02:
    """VAPID_PRIVATE_KEY (PEM, or the raw key base64url) from the environment, else a key made
    once into instance/vapid_private.pem (VAPID_KEY_FILE elsewhere)."""
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        if "BEGIN" in configured:
            return Vapid02.from_pem(configured.encode())
        return Vapid02.from_raw(configured.encode())
    path = Path(app.config.get("VAPID_KEY_FILE") or os.path.join(app.instance_path, "vapid_private.pem"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Vapid02()
        key.generate_keys()
        pem = key.private_pem()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    return Vapid02.from_file(str(path))


def forget_subscription(endpoint: str) -> None:
    """The push service said the subscription is gone (404/410): forget it."""
    with write_transaction():
        db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))


def public_key(app) -> str:
    """The applicationServerKey a browser subscribes with (uncompressed point, base64url)."""
    point = vapid_key(app).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(point)


class PushChannel:
    name = "push"

    def __init__(self, vapid: Vapid02, subject: str, forget):
        self.vapid, self.subject, self.forget = vapid, subject, forget

    @classmethod
    def from_app(cls, app):
        return cls(vapid_key(app), app.config.get("VAPID_SUBJECT") or "mailto:admin@localhost", forget_subscription)

    def payload(self, message: Rendered) -> bytes:
        return json.dumps(
            {"title": message.subject, "body": message.summary, "url": message.link, "tag": message.message_id},
            ensure_ascii=False,
        ).encode()

    def send(self, message: Rendered, recipient: Recipient) -> None:
        if not recipient.push:
            raise SendError("no push subscription left", permanent=True)
        data, failures = self.payload(message), []
        for sub in recipient.push:
            info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
            try:
                webpush(
                    info,
                    data=data,
                    vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.subject},
                    content_encoding="aes128gcm",
                    ttl=TTL,
                    timeout=10,
                )
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in (404, 410):  # the browser dropped this subscription
                    self.forget(sub.endpoint)
                    continue
                failures.append(f"{sub.endpoint[:60]}: {status or exc}")
            except requests.RequestException as exc:  # the push service cannot be reached
                failures.append(f"{sub.endpoint[:60]}: {exc!r}")
        if failures and len(failures) == len(recipient.push):
            raise SendError("push: " + "; ".join(failures)[:400])
