"""Fixtures that start the notification peers on loopback (tests/notify_peers.py) for a test
and stop them after; a pytest plugin of tests/conftest.py. `peers_config` points every channel
at them (email, Web Push keys, WeCom): a module whose app should use them says

    @pytest.fixture
    def app_config(peers_config):
        return peers_config
"""

import pytest

from tests.notify_peers import PushReceiver, SmtpSink, WeComServer


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def push():
    receiver = PushReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def wecom():
    server = WeComServer().start()
    yield server
    server.stop()


@pytest.fixture
def peers_config(smtp, wecom, tmp_path):
    return {
        "MAIL_URL": smtp.url,
        "MAIL_FROM": "Shared Venues <noreply@venues.test>",
        "VAPID_KEY_FILE": str(tmp_path / "vapid.pem"),
        "VAPID_SUBJECT": "mailto:ops@venues.test",
        "PUBLIC_URL": "https://venues.test",
        **wecom.config(),
    }
