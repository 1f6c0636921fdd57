"""The availability read in one round trip: the day's state is read with the caller when this
process already knows the facility (reservations.availability.read_ahead), and shown only once
the caller may see it. On both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from booking import timeutil
from booking.extensions import db
from booking.facilities.models import OpeningHours
from booking.reservations.models import SlotLoad
from tests import factories as f
from tests import world as w
from tests.helpers import ApiClient

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False)


def path(facility, day) -> str:
    return f"/api/v1/facilities/{facility.id}/availability?date={day.isoformat()}"


def tomorrow():
    return timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)


class Statements:
    """The SQL statements the app runs while counting (the engine's cursor events: fetch()'s
    prepared statements run them too, on either database)."""

    def __init__(self):
        self.sql: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self.seen)

    def seen(self, _conn, _cursor, statement, *_args):
        self.sql.append(statement)

    def stop(self) -> list[str]:
        event.remove(db.engine, "before_cursor_execute", self.seen)
        return self.sql


def test_a_read_of_a_facility_the_process_knows_is_one_statement_with_the_same_answer(app, world):
    worker, read = ApiClient(app).login("worker"), path(world.court, tomorrow())
    first = worker.get(read)  # the facility now known to this process
    assert first.status_code == 200
    counting = Statements()
    again = worker.get(read)
    sql = counting.stop()
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(sql) == 1, [q[:200] for q in sql]
    assert "api_tokens" in sql[0] and "slot_loads" in sql[0] and "waitlist_entries" in sql[0]


def test_the_day_read_with_the_caller_shows_what_is_held(app, world):
    worker, worker2 = ApiClient(app).login("worker"), ApiClient(app).login("worker2")
    start, read, capacity = w.tomorrow_at(19), path(world.gym, tomorrow()), world.gym.capacity
    assert worker.get(read).status_code == 200
    slot = {"facility_id": world.gym.id, "start": w.iso(start)}
    assert worker.post("/api/v1/reservations", json=slot).status_code == 201
    counting = Statements()
    r = worker2.get(read)
    assert len(counting.stop()) == 1
    found = next(s for s in r.get_json()["slots"] if s["start"] == w.iso(start))
    assert (found["remaining"], found["capacity"]) == (capacity - 1, capacity)


def test_a_facility_changed_since_the_process_read_it_is_read_again_with_its_new_day(app, world):
    """The day was read along with the caller for the hours this process knew (08:00-22:00);
    the hours have become 08:00-23:00 since, so the new 22:00 slot was not in that read: it is
    read again for the new day, and its held place shows."""
    worker = ApiClient(app).login("worker")
    day = tomorrow()
    before = worker.get(path(world.court, day)).get_json()["slots"]
    for hours in db.session.query(OpeningHours).filter_by(facility_id=world.court.id):
        hours.closes_minute = 23 * 60
    late = timeutil.local_to_utc(day, 22 * 60, TZ)
    db.session.add(SlotLoad(facility_id=world.court.id, start_at=late, held=1))
    db.session.commit()
    after = worker.get(path(world.court, day)).get_json()["slots"]
    assert len(after) == len(before) + 1
    assert (after[-1]["start"], after[-1]["remaining"], after[-1]["reason"]) == (w.iso(late), 0, "slot_full")


def test_the_day_read_along_is_not_shown_to_a_caller_who_may_not_see_the_facility(app, world):
    read = path(world.court, tomorrow())
    assert ApiClient(app).login("worker").get(read).status_code == 200
    outsider = ApiClient(app).login("outsider")  # another enterprise, no agreement with the host
    counting = Statements()
    r = outsider.get(read)
    assert "slot_loads" in counting.stop()[0]  # the day was read along with the caller, then refused
    assert r.status_code == 404
    assert "slots" not in r.get_json()


def test_no_token_is_401_before_anything_is_read_and_before_a_bad_date(app, world):
    worker, read = ApiClient(app).login("worker"), path(world.court, tomorrow())
    assert worker.get(read).status_code == 200
    anonymous, base = app.test_client(), read.split("?")[0]
    counting = Statements()
    assert anonymous.get(read).status_code == 401
    assert anonymous.get(base + "?date=2026-13-45").status_code == 401
    assert anonymous.get(base).status_code == 401
    assert counting.stop() == []
    wrong = {"Authorization": "Bearer " + "x" * 40}
    assert anonymous.get(read, headers=wrong).status_code == 401


def test_a_bad_or_missing_date_is_400_once_the_caller_is_known(app, world):
    worker = ApiClient(app).login("worker")
    worker.lang = "en"
    assert worker.get(path(world.court, tomorrow())).status_code == 200
    bad = worker.get(f"/api/v1/facilities/{world.court.id}/availability?date=2026-13-45")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["field"] == "date"
    assert bad.get_json()["error"]["message"] == "Give the date as YYYY-MM-DD."
    missing = worker.get(f"/api/v1/facilities/{world.court.id}/availability")
    assert missing.status_code == 400
    assert missing.get_json()["error"]["field"] == "date"


def test_a_staff_member_of_another_host_reads_nothing_of_a_known_facility(app, world):
    f.user("hostadmin", roles=[("host_admin", world.host)])
    assert ApiClient(app).login("hostadmin").get(path(world.court, tomorrow())).status_code == 200
    assert ApiClient(app).login("other_staff").get(path(world.court, tomorrow())).status_code == 404
