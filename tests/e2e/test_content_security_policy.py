"""The Content-Security-Policy in real Chromium: the scanner works under it, with no violation
reported, and codes verify offline through the module fallback when WebCrypto lacks Ed25519."""

import pytest

from tests.e2e.conftest import eventually
from tests.e2e.test_scanner import answer, book_lingfeng, live_app, new_phone, open_now, open_scanner, type_code  # noqa: F401

pytestmark = pytest.mark.e2e

NO_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, data, algorithm, ...rest) =>
    (algorithm && (algorithm === "Ed25519" || algorithm.name === "Ed25519"))
      ? Promise.reject(new DOMException("not supported", "NotSupportedError"))
      : importKey(format, data, algorithm, ...rest);
})();
"""


def csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


@pytest.mark.parametrize("worker, webcrypto", [("worker9", True), ("worker10", False)])
def test_offline_verification_under_the_policy(browser, live_server, live_app, worker, webcrypto):  # noqa: F811
    booking = book_lingfeng(live_server, worker, "reading_room", hour=14 if webcrypto else 15)
    token = open_now(live_app, booking["id"])
    context, page = new_phone(browser)
    if not webcrypto:
        context.add_init_script(NO_WEBCRYPTO_ED25519)
    violations = csp_violations(page)
    try:
        open_scanner(page, live_server)
        context.set_offline(True)
        eventually(page, "!navigator.onLine")
        type_code(page, token)  # the signed QR text: verified on the phone
        box = answer(page, "ok")
        assert box.get_attribute("data-offline") == "1"
        if not webcrypto:
            assert page.evaluate("!!window.svNobleEd25519")
        assert violations == []
    finally:
        context.close()
