"""The per-process settings cache (booking/cache.py): exact across processes, reloaded only for
the scope a change touches, and never written by sign-ins or language switches."""

import multiprocessing as mp
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text

from booking import cache, create_app
from booking.accounts import services as accounts
from booking.accounts.models import User
from booking.cache import CacheScope
from booking.database import begin_write
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.services import load_facility
from booking.quotas.models import SharingAgreement
from booking.timeutil import utcnow
from tests import world as w
from tests.conftest import make_config


@pytest.fixture
def world(ctx):
    world = w.build()
    db.session.commit()
    return world


def fresh_read(fn, *args):
    """fn(*args) in a new transaction, as the next request of this process would run it."""
    db.session.rollback()
    db.session.remove()
    from flask import g

    for name in ("_db_connection", "_cache_tokens"):
        g.pop(name, None)
    return fn(*args)


@contextmanager
def counting_statements():
    seen = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def scope_tokens() -> dict:
    db.session.rollback()
    return dict(db.session.execute(select(CacheScope.scope, CacheScope.token)).all())


def _in_other_process(url, change):
    """Run change() in a forked process with its own app and connections; wait for its commit."""

    def child(out):
        try:
            app = create_app(make_config(url))
            with app.app_context():
                change()
                db.session.commit()
            out.put("ok")
        except Exception as exc:  # reported, never swallowed: the test asserts on it
            out.put(repr(exc))

    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=child, args=(out,))
    proc.start()
    result = out.get(timeout=60)
    proc.join(timeout=60)
    assert result == "ok"


def _set_capacity(facility_id, capacity):
    def change():
        begin_write()
        db.session.get(Facility, facility_id).capacity = capacity

    return change


def _revoke(token):
    return lambda: accounts.revoke_token(token)


def test_a_change_in_another_process_is_seen_from_its_commit_on(app, world, db_url):
    assert fresh_read(load_facility, world.gym.id).capacity == 5
    assert fresh_read(load_facility, world.gym.id).capacity == 5  # now from this process's cache
    _in_other_process(db_url, _set_capacity(world.gym.id, 9))
    assert fresh_read(load_facility, world.gym.id).capacity == 9


def test_a_token_revoked_in_another_process_stops_working_here(app, world, db_url):
    token = accounts.issue_token("worker", "secret123")
    assert fresh_read(accounts.user_for_token, token).username == "worker"
    _in_other_process(db_url, _revoke(token))
    assert fresh_read(accounts.user_for_token, token) is None


def test_control_without_the_token_bump_the_other_process_change_is_missed(app, world, db_url, monkeypatch):
    """The cache is exact only because a change writes its scope's token: skip that write (in
    the child, from the test side) and this process keeps serving the old facility."""
    fresh_read(load_facility, world.gym.id)

    def change_without_bump():
        monkeypatch.setattr(cache, "bump", lambda *scopes, conn=None: None)
        _set_capacity(world.gym.id, 9)()

    _in_other_process(db_url, change_without_bump)
    assert fresh_read(load_facility, world.gym.id).capacity == 5


def test_sign_in_and_language_switch_keep_every_cached_entry(app, world):
    fresh_read(load_facility, world.gym.id)
    before = scope_tokens()
    accounts.issue_token("worker2", "secret123")  # someone signs in
    accounts.set_locale(world.worker, "en")
    accounts.set_locale(world.worker2, "en")
    assert scope_tokens() == before
    with counting_statements() as seen:
        assert fresh_read(load_facility, world.gym.id).capacity == 5
    assert len(seen) == 1 and "cache_scopes" in seen[0]  # only the tokens: the facility is cached


def test_a_change_reloads_only_its_own_scope(app, world):
    from booking.quotas.services import agreement_terms

    day = w.SLOT.date()
    terms = fresh_read(agreement_terms, world.ent.id, world.host.id, world.gym.id, day)
    before = scope_tokens()
    begin_write()
    db.session.get(Facility, world.gym.id).capacity = 7
    db.session.commit()
    after = scope_tokens()
    assert {s for s in before if before[s] != after[s]} == {"facilities"}
    with counting_statements() as seen:
        assert fresh_read(agreement_terms, world.ent.id, world.host.id, world.gym.id, day) == terms
    assert len(seen) == 1 and "cache_scopes" in seen[0]
    assert fresh_read(load_facility, world.gym.id).capacity == 7


def test_an_api_caller_and_the_tokens_are_one_statement(app, world):
    token = accounts.issue_token("worker", "secret123")
    fresh_read(load_facility, world.gym.id)
    with counting_statements() as seen:
        assert fresh_read(accounts.user_for_token, token).username == "worker"
        assert load_facility(world.gym.id).capacity == 5  # same request: tokens already read
    assert len(seen) == 1


def test_a_suspended_account_is_refused_from_the_next_request(app, world):
    token = accounts.issue_token("worker", "secret123")
    assert fresh_read(accounts.user_for_token, token) is not None
    begin_write()
    db.session.get(User, world.worker.id).status = "disabled"
    db.session.commit()
    assert fresh_read(accounts.user_for_token, token) is None


@contextmanager
def second_writer(url):
    """Another app (its own engine and connections) in its own app context, whose waits for a
    row lock end after 1 s with an error instead of blocking the test."""
    other = create_app(make_config(url))
    with other.app_context():
        begin_write()
        db.session.execute(text("SET LOCAL lock_timeout = '1s'"))
        try:
            yield
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_writers_of_different_scopes_do_not_queue_on_one_row(app, world, db_url):
    begin_write()
    db.session.get(Facility, world.gym.id).capacity = 7
    db.session.flush()  # this transaction now holds the facilities token row
    try:
        with second_writer(db_url):
            db.session.add(
                SharingAgreement(host_id=world.host.id, enterprise_id=world.other_ent.id, valid_from=utcnow().date())
            )
            user = db.session.get(User, world.worker2.id)
            user.locale = "en"
            db.session.commit()  # agreements token, a language switch: no wait
        with second_writer(db_url):
            accounts.issue_token("worker", "secret123")  # a sign-in: commits on its own, no wait
    finally:
        db.session.rollback()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_control_writers_of_one_scope_do_queue(app, world, db_url):
    """The lock_timeout above would catch a wait: two facility edits do wait for each other."""
    from sqlalchemy.exc import OperationalError

    begin_write()
    db.session.get(Facility, world.gym.id).capacity = 7
    db.session.flush()
    try:
        with pytest.raises(OperationalError, match="lock timeout"):
            with second_writer(db_url):
                db.session.get(Facility, world.court.id).capacity = 2
                db.session.flush()
    finally:
        db.session.rollback()
