"""Plain HTTP for the cluster tier: one connection per request, from any loopback address.

A "phone" is a source address in 127.0.0.0/8 (Linux routes all of it to lo), so nginx and the
app see different clients on one machine.
"""

import http.client
import json
import threading
from urllib.parse import urlsplit


def request(
    url: str,
    method: str = "GET",
    path: str = "/",
    body=None,
    headers=None,
    phone: str = "127.0.0.1",
    timeout: float = 60,
) -> tuple[int, dict, bytes]:
    """(status, headers, body); status 0 when the connection failed (e.g. a killed server)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(phone, 0))
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except (ConnectionError, http.client.HTTPException, OSError):
        return 0, {}, b""
    finally:
        conn.close()


def api(url: str, method: str, path: str, token: str | None = None, body=None, **kw) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, raw = request(url, method, path, body, headers, **kw)
    try:
        return status, json.loads(raw or b"{}")
    except ValueError:
        return status, {}


def at_once(calls: list) -> list:
    """Run the callables in threads released together; results in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, call):
        barrier.wait(30)
        out[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out
