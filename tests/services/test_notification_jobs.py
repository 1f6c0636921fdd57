"""The job runner's outbox task, run as Huey's scheduler enqueues it (with the period stamped)."""

from datetime import datetime, timedelta

import pytest

from booking import timeutil
from booking.extensions import db
from booking.jobs import runner, tasks
from booking.notifications.models import NotificationSettings
from booking.reservations import services
from tests import world as w


@pytest.fixture
def app_config(smtp, tmp_path):
    return {"MAIL_URL": smtp.url, "VAPID_KEY_FILE": str(tmp_path / "vapid.pem")}


def test_the_scheduled_delivery_task_sends_what_is_due(ctx, smtp, monkeypatch):
    world = w.build()
    db.session.add(
        NotificationSettings(
            user_id=world.worker.id,
            email="worker@demo.invalid",
            email_verified_at=w.NOW,
            email_on=True,
            push_on=True,
            wecom_on=True,
            reminder_minutes=60,
            quiet_start=0,
            quiet_end=0,
        )
    )
    db.session.commit()
    now = timeutil.utcnow()
    start = timeutil.local_to_utc(timeutil.local_date(now, w.TZ) + timedelta(days=1), 19 * 60, w.TZ)
    services.book(world.worker, world.gym.id, start, now=now)
    monkeypatch.setattr(runner, "_app", ctx)  # the runner's app is this test's
    due = [t for t in runner.huey.read_periodic(datetime.now()) if t.name.endswith("deliver_notifications")]
    assert len(due) == 1 and due[0].kwargs.get("period")
    runner.huey.execute(due[0])
    assert [m["To"] for _, m in smtp.messages] == ["Worker <worker@demo.invalid>"]
    assert tasks.deliver_notifications.call_local()["ids"] == []  # nothing left
