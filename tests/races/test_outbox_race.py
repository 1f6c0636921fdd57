"""Two job runners work one outbox at the same moment: each message reaches the SMTP server
once (SQLite and PostgreSQL).

The control switches the claim's guards off from the test side: no write lock up front
(SQLite), no FOR UPDATE SKIP LOCKED (PostgreSQL), an UPDATE that no longer requires
`status = 'pending'`, and each runner held between reading the due rows and claiming them
until the other has read them too. Both runners then send the same messages.
"""

import functools
import multiprocessing as mp
import threading
from collections import Counter

import pytest
import sqlalchemy

from booking import timeutil
from booking.database import write_transaction
from booking.delivery import send as delivery
from booking.extensions import db
from booking.notifications.models import NotificationSettings
from booking.notifications.services import notify
from tests import factories as f
from tests.races.conftest import unserialize
from tests.races.harness import together

pytestmark = pytest.mark.race
MESSAGES = 40


@pytest.fixture
def app_config(smtp, tmp_path):
    return {"MAIL_URL": smtp.url, "VAPID_KEY_FILE": str(tmp_path / "vapid.pem")}


@pytest.fixture
def queued(ctx):
    """40 people with verified addresses, one message each, due now."""
    ent = f.org("Ent")
    now = timeutil.utcnow()
    people = [f.user(f"worker{i}", ent) for i in range(MESSAGES)]
    for p in people:
        db.session.add(
            NotificationSettings(
                user_id=p.id,
                email=f"{p.username}@demo.invalid",
                email_verified_at=now,
                email_on=True,
                push_on=True,
                wecom_on=True,
                reminder_minutes=60,
                quiet_start=0,
                quiet_end=0,
            )
        )
    db.session.commit()
    with write_transaction():
        for p in people:
            notify(p.id, "join_approved", {"enterprise": "Ent"}, now=now)
    db.session.remove()
    db.engine.dispose()
    return now


def two_runners(db_url, app_config, now):
    jobs = [functools.partial(delivery.deliver_due, now, 5, name) for name in ("runner-a", "runner-b")]
    return together(db_url, jobs, config=app_config)


def test_two_runners_deliver_each_message_once(db_url, app_config, queued, smtp):
    results = two_runners(db_url, app_config, queued)
    assert [r for r in results if isinstance(r, tuple)] == []  # no runner failed
    sent = results[0]["ids"] + results[1]["ids"]
    assert sorted(sent) == list(range(1, MESSAGES + 1))
    assert results[0]["sent"] + results[1]["sent"] == MESSAGES
    copies = Counter(smtp.message_ids())
    assert len(copies) == MESSAGES and set(copies.values()) == {1}


@pytest.fixture
def claim_unguarded(monkeypatch):
    """The claim without its guards, and each runner held after its read until both have read."""
    unserialize(monkeypatch, delivery)
    monkeypatch.setattr(delivery, "_skip_locked", lambda query: query)
    both_read = mp.get_context("fork").Barrier(2)
    first = threading.Event()

    class Blind:
        def __init__(self, stmt):
            self.stmt = stmt

        def where(self, *criteria):
            if " IN " in " ".join(map(str, criteria)) and not first.is_set():  # this runner's first claim
                first.set()
                try:
                    both_read.wait(timeout=20)
                except threading.BrokenBarrierError:
                    pass
            return self.stmt.where(*[c for c in criteria if "status" not in str(c)])

    monkeypatch.setattr(delivery, "update", lambda table: Blind(sqlalchemy.update(table)))


def test_control_without_the_claim_guard_messages_go_out_twice(db_url, app_config, queued, smtp, claim_unguarded):
    two_runners(db_url, app_config, queued)
    copies = Counter(smtp.message_ids())
    assert len(copies) == MESSAGES
    assert max(copies.values()) == 2  # the same message sent by both runners
