"""Real protocol peers on loopback for the notification tests: an SMTP server (aiosmtpd), a
Web Push receiver that checks the VAPID JWT and decrypts the aes128gcm payload (http_ece),
and a WeCom API server that checks each request against the documented shapes."""

import base64
import json
import os
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import http_ece
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- SMTP -----------------------------------------------------------------------------------


class _SmtpHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            if self.sink.fail_next > 0:
                self.sink.fail_next -= 1
                self.sink.refused += 1
                return "451 4.3.0 Try again later"
            self.sink.messages.append(
                (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
            )
        return "250 OK"


class SmtpSink:
    """aiosmtpd on 127.0.0.1; `messages` are (recipients, parsed email.message.EmailMessage).

    With `tls` (a server SSLContext) it offers STARTTLS and requires it; with `login`
    (user, password) it requires AUTH (over TLS) and records who signed in."""

    def __init__(self, tls=None, login=None):
        self.messages, self.lock, self.fail_next, self.refused, self.logins = [], threading.Lock(), 0, 0, []
        self.port = free_port()
        options = {}
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if login is not None:

            def check(mechanism, user, password):
                ok = (user.decode(), password.decode()) == login
                self.logins.append((mechanism, user.decode(), ok))
                return ok

            options.update(auth_required=True, auth_callback=check)
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _, m in self.messages]


def self_signed(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key (PEM files in `folder`)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(folder, "smtp.crt"), os.path.join(folder, "smtp.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


# -- small HTTP peers -----------------------------------------------------------------------


class _Server:
    def __init__(self, handler_class):
        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler_class)
        self.httpd.peer = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status: int, body: dict | None = None):
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


# -- Web Push -------------------------------------------------------------------------------


def verify_vapid(authorization: str, endpoint_origin: str) -> dict:
    """RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT is ES256, signed by k, for our origin."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    header = json.loads(b64d(header_b64))
    assert header["alg"] == "ES256" and header.get("typ", "JWT") == "JWT", header
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(fields["k"]))
    raw = b64d(signature_b64)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(b64d(claims_b64))
    assert claims["aud"] == endpoint_origin, claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith(("mailto:", "https://")), claims
    return {"claims": claims, "k": fields["k"]}


class _PushHandler(_Handler):
    def do_POST(self):
        peer = self.server.peer
        body = self.body()
        device = peer.devices.get(self.path)
        if device is None or device.get("gone"):
            return self.reply(410)
        try:
            vapid = verify_vapid(self.headers["Authorization"], peer.base)
            assert self.headers["Content-Encoding"] == "aes128gcm"
            assert int(self.headers["TTL"]) > 0
            plain = http_ece.decrypt(body, private_key=device["key"], auth_secret=device["auth"], version="aes128gcm")
        except (AssertionError, InvalidSignature, KeyError, ValueError) as exc:
            peer.errors.append(repr(exc))
            return self.reply(400)
        with peer.lock:
            if peer.fail_next > 0:
                peer.fail_next -= 1
                return self.reply(503)
            peer.received.append({"path": self.path, "payload": json.loads(plain), "vapid": vapid})
        self.reply(201)


class PushReceiver(_Server):
    """A push service and its devices: each subscription has its own P-256 key and auth secret."""

    def __init__(self):
        super().__init__(_PushHandler)
        self.devices, self.received, self.errors, self.lock, self.fail_next = {}, [], [], threading.Lock(), 0

    def new_subscription(self, name: str) -> dict:
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        path = f"/push/{name}"
        self.devices[path] = {"key": key, "auth": auth}
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.base + path, "keys": {"p256dh": b64e(point), "auth": b64e(auth)}}


# -- WeCom ----------------------------------------------------------------------------------


class _WeComHandler(_Handler):
    def do_GET(self):
        peer, url = self.server.peer, urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/cgi-bin/gettoken":
            return self.reply(404)
        if query != {"corpid": peer.corp_id, "corpsecret": peer.secret}:
            peer.errors.append(f"gettoken query {query}")
            return self.reply(200, {"errcode": 40013, "errmsg": "invalid corpid"})
        with peer.lock:
            peer.token_calls += 1
            token = f"TOKEN-{peer.token_calls}"
            peer.tokens.add(token)
        self.reply(200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def do_POST(self):
        peer, url = self.server.peer, urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self.body()
        if url.path != "/cgi-bin/message/send":
            return self.reply(404)
        if query.get("access_token") not in peer.tokens:
            return self.reply(200, {"errcode": 40014, "errmsg": "invalid access_token"})
        try:
            data = json.loads(body)
            assert self.headers["Content-Type"].startswith("application/json")
            assert set(data) >= {"touser", "msgtype", "agentid", "textcard"}, data
            assert data["msgtype"] == "textcard" and data["agentid"] == int(peer.agent_id)
            assert isinstance(data["touser"], str) and data["touser"]
            card = data["textcard"]
            assert set(card) == {"title", "description", "url", "btntxt"}, card
            assert all(isinstance(v, str) and v for v in card.values())
            assert len(card["title"].encode()) <= 128 * 3 and len(card["description"].encode()) <= 512 * 3
            assert card["url"].startswith(("http://", "https://")) and len(card["btntxt"]) <= 4
        except (AssertionError, ValueError, KeyError, TypeError) as exc:
            peer.errors.append(repr(exc))
            return self.reply(200, {"errcode": 40058, "errmsg": "invalid parameter"})
        with peer.lock:
            if peer.fail_next > 0:
                peer.fail_next -= 1
                return self.reply(200, {"errcode": -1, "errmsg": "system busy"})
            peer.received.append(data)
        self.reply(200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""})


class WeComServer(_Server):
    def __init__(self, corp_id="ww-test-corp", agent_id="1000002", secret="s3cret"):
        super().__init__(_WeComHandler)
        self.corp_id, self.agent_id, self.secret = corp_id, agent_id, secret
        self.tokens, self.token_calls, self.received, self.errors = set(), 0, [], []
        self.lock, self.fail_next = threading.Lock(), 0

    def config(self) -> dict:
        return {
            "WECOM_BASE_URL": self.base,
            "WECOM_CORP_ID": self.corp_id,
            "WECOM_AGENT_ID": self.agent_id,
            "WECOM_SECRET": self.secret,
        }
