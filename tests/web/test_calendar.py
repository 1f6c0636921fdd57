"""iCalendar downloads and feeds, checked with independent parsers (vobject; recurring-ical-events)."""

from datetime import datetime, timedelta, timezone

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from booking import timeutil
from booking.extensions import db
from booking.organizations.models import Organization
from booking.reservations import services as bookings
from tests import world as w
from tests.world import tomorrow_at

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=True)
    world.r = bookings.book(world.worker, world.court.id, tomorrow_at(), party_size=2, now=timeutil.utcnow())
    return world


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def parse(body: bytes):
    return vobject.readOne(body.decode())


def test_booking_ics_parses_and_times_match(app, world):
    r = as_user(app, "worker").get(f"/api/v1/reservations/{world.r.id}/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = parse(r.data)
    ev = cal.vevent
    assert ev.uid.value == f"reservation-{world.r.id}@shared-venues"
    assert ev.dtstamp.value.tzinfo is not None
    assert ev.dtstart.value.astimezone(timezone.utc) == world.r.start_at
    assert ev.dtend.value.astimezone(timezone.utc) == world.r.end_at
    assert f"DTSTART;TZID={TZ}:" in r.data.decode()  # never floating, never a bare offset
    assert [tz.tzid.value for tz in cal.vtimezone_list] == [TZ]
    assert ev.status.value == "TENTATIVE"
    assert world.r.code in ev.description.value
    assert ev.location.value == "北仑区"
    assert ev.valarm.trigger.value == timedelta(minutes=-30)
    assert "羽毛球场 1 号" in ev.summary.value


def test_confirmed_after_approval(app, world):
    bookings.decide(world.staff, world.r.id, approve=True)
    ev = parse(as_user(app, "worker").get(f"/api/v1/reservations/{world.r.id}/calendar.ics").data).vevent
    assert ev.status.value == "CONFIRMED" and int(ev.sequence.value) == 1


def test_summary_follows_the_language(app, world):
    api = as_user(app, "worker")
    zh = parse(api.get(f"/api/v1/reservations/{world.r.id}/calendar.ics").data).vevent.description.value
    en = parse(
        api.get(f"/api/v1/reservations/{world.r.id}/calendar.ics", headers={"Accept-Language": "en"}).data
    ).vevent.description.value
    assert zh.startswith("签到码") and en.startswith("Check-in code")


def test_someone_elses_booking_is_404(app, world):
    for name in ("worker2", "other_staff", "outsider"):
        assert as_user(app, name).get(f"/api/v1/reservations/{world.r.id}/calendar.ics").status_code == 404


def feed_url(client, testid="feed-url", index=0):
    import re

    html = client.get("/calendar").get_data(as_text=True)
    urls = re.findall(r'data-testid="feed-url" value="([^"]+)"|value="([^"]+)" data-testid="feed-url"', html)
    urls = [a or b for a, b in urls]
    return urls[index].replace("http://localhost", "")


def test_personal_feed_and_cancellation(app, world, client):
    client.login("worker")
    url = feed_url(client)
    body = client.get(url)
    assert body.status_code == 200 and body.mimetype == "text/calendar"
    expanded = recurring_ical_events.of(Calendar.from_ical(body.data)).between(
        datetime.now(timezone.utc) - timedelta(days=1), datetime.now(timezone.utc) + timedelta(days=8)
    )
    assert [e["UID"] for e in expanded] == [f"reservation-{world.r.id}@shared-venues"]
    assert expanded[0]["DTSTART"].dt.astimezone(timezone.utc) == world.r.start_at
    bookings.cancel(world.worker, world.r.id)
    ev = parse(client.get(url).data).vevent
    assert ev.status.value == "CANCELLED" and int(ev.sequence.value) == 2


def test_feed_caching_304(app, world, client):
    client.login("worker")
    url = feed_url(client)
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    bookings.decide(world.staff, world.r.id, approve=True)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_regenerated_link_locks_the_old_one_out(app, world, client):
    client.login("worker")
    old = feed_url(client)
    import re

    html = client.get("/calendar").get_data(as_text=True)
    action = re.search(r'action="(/calendar/\d+/regenerate)"', html).group(1)
    client.post_form(action, {}, csrf_from="/calendar")
    new = feed_url(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("key", ["1-" + "0" * 32, "999-" + "a" * 32, "abc", "1-short", "../etc"])
def test_bad_feed_keys_are_404(app, world, client, key):
    assert client.get(f"/feeds/{key}.ics").status_code == 404


def test_host_feed_respects_privacy(app, world, client):
    bookings.decide(world.staff, world.r.id, approve=True)
    client.login("staff")
    html = client.get("/calendar").get_data(as_text=True)
    assert "羽毛球场 1 号" in html
    url = feed_url(client, index=1)  # first facility of the venue
    summary = parse(client.get(url).data).vevent.summary.value
    assert "海顺模具" in summary and "Worker" not in summary
    host = db.session.get(Organization, world.host.id)
    host.calendar_privacy = "full"
    db.session.commit()
    assert "Worker" in parse(client.get(url).data).vevent.summary.value
    host.calendar_privacy = "none"
    db.session.commit()
    summary = parse(client.get(url).data).vevent.summary.value
    assert "海顺模具" not in summary


def test_staff_feed_of_another_host_cannot_be_made(app, world):
    from booking.errors import NotFound
    from booking.feeds import services

    with pytest.raises(NotFound):
        services.get_or_create(world.other_staff, "facility", world.court.id)
