"""Account use cases against a real database (SQLite file and PostgreSQL)."""

import pytest
from sqlalchemy import func, select

from booking.accounts import services
from booking.accounts.models import ApiToken, User
from booking.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from booking.extensions import db
from tests import factories as f


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.fixture
def ent(ctx):
    return f.org("海顺模具", invite_code="HSMJ2345")


def test_register_with_invite_code_is_pending_until_approved(ent):
    user = services.register("Xiao.Wang", "小王", "longenough", "hsmj2345", phone="138 0000 1234")
    assert (user.username, user.status, user.enterprise_id, user.phone) == (
        "xiao.wang",
        "pending",
        ent.id,
        "13800001234",
    )
    with pytest.raises(Forbidden) as err:
        services.authenticate("xiao.wang", "longenough")
    assert err.value.code == "pending_approval"
    admin = f.user("boss", ent, roles=[("enterprise_admin", ent)])
    assert [u.id for u in services.join_requests(admin)] == [user.id]
    services.decide_join(admin, user.id, approve=True)
    assert services.authenticate("13800001234", "longenough").id == user.id  # by phone too
    with pytest.raises(Conflict):
        services.decide_join(admin, user.id, approve=False)


@pytest.mark.parametrize(
    "kwargs, code",
    [
        (dict(invite_code="NOPE9999"), "bad_invite_code"),
        (dict(invite_code=""), "bad_invite_code"),
        (dict(password="short"), "weak_password"),
        (dict(password="x" * 129), "weak_password"),
        (dict(username="ab"), "bad_username"),
        (dict(username="has space"), "bad_username"),
        (dict(username="<script>"), "bad_username"),
        (dict(display_name="   "), "bad_name"),
        (dict(display_name="名" * 61), "bad_name"),
        (dict(phone="12345"), "bad_phone"),
    ],
)
def test_bad_registration_changes_nothing(ent, kwargs, code):
    before = user_count()
    args = dict(username="newbie", display_name="新人", password="longenough", invite_code="HSMJ2345")
    args.update(kwargs)
    with pytest.raises(Invalid) as err:
        services.register(**args)
    assert err.value.code == code
    assert user_count() == before


def test_duplicate_username_and_phone_are_refused(ent):
    f.user("taken", ent, phone="13900001111")
    before = user_count()
    with pytest.raises(Conflict) as err:
        services.register("TAKEN", "X", "longenough", "HSMJ2345")
    assert err.value.code == "username_taken"
    with pytest.raises(Conflict) as err:
        services.register("fresh", "X", "longenough", "HSMJ2345", phone="13900001111")
    assert err.value.code == "phone_taken"
    assert user_count() == before


def test_invite_code_of_a_non_enterprise_is_refused(ctx):
    f.org("Union", kind="joint_union", invite_code="UNION234")
    with pytest.raises(Invalid):
        services.register("someone", "X", "longenough", "UNION234")


def test_enterprise_admin_sees_and_decides_only_own_enterprise(ent):
    other = f.org("Other", invite_code="OTHER234")
    stranger = services.register("stranger", "X", "longenough", "OTHER234")
    admin = f.user("boss", ent, roles=[("enterprise_admin", ent)])
    assert services.join_requests(admin) == []
    with pytest.raises(NotFound):
        services.decide_join(admin, stranger.id, approve=True)
    assert db.session.get(User, stranger.id).status == "pending"
    worker = f.user("plain", ent)
    with pytest.raises(Forbidden):
        services.join_requests(worker)
    assert other.id != ent.id


def test_wrong_password_and_unknown_user_look_the_same(ent):
    f.user("real", ent)
    for ident, pw in [("real", "wrong-password"), ("ghost", "whatever1")]:
        with pytest.raises(Unauthorized) as err:
            services.authenticate(ident, pw)
        assert err.value.code == "bad_credentials"


def test_passwords_are_hashed(ent):
    user = services.register("hashme", "X", "plain-secret", "HSMJ2345")
    stored = db.session.get(User, user.id).password_hash
    assert "plain-secret" not in stored and stored.startswith("pbkdf2:")


def test_api_tokens_are_stored_hashed_and_revocable(ent):
    user = f.user("tok", ent)
    token = services.issue_token("tok", f.PASSWORD)
    assert services.user_for_token(token).id == user.id
    assert db.session.scalar(select(ApiToken.token_hash)) != token
    assert services.revoke_token(token) is True
    assert services.user_for_token(token) is None
    assert services.revoke_token(token) is False


def test_disabled_user_token_stops_working(ent):
    user = f.user("gone", ent)
    token = services.issue_token("gone", f.PASSWORD)
    user.status = "disabled"
    db.session.commit()
    assert services.user_for_token(token) is None


def test_registration_problems_lists_every_field_at_once(ent):
    assert services.registration_problems("newbie", "新人", "longenough", "hsmj2345") == []
    problems = services.registration_problems("x y", "", "short", "NOPE9999", "999")
    assert sorted((p.details["field"], p.code) for p in problems) == [
        ("display_name", "bad_name"),
        ("invite_code", "bad_invite_code"),
        ("password", "weak_password"),
        ("phone", "bad_phone"),
        ("username", "bad_username"),
    ]
    f.user("taken", ent, phone="13800001234")
    problems = services.registration_problems("Taken", "新人", "longenough", "hsmj2345", "138 0000 1234")
    assert sorted(p.code for p in problems) == ["phone_taken", "username_taken"]
    assert user_count() == 1  # reads only
