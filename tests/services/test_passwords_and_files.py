"""Weak passwords are refused when a person chooses one; demo seeding still works; the SQLite
file (and its -wal/-shm, and a folder made for it) are readable by the owner only."""

import os
import stat

import pytest

from booking import create_app, demo
from booking.accounts import services as accounts
from booking.accounts.services import authenticate
from booking.errors import Invalid
from booking.extensions import db
from tests import factories as f
from tests.conftest import make_config


@pytest.mark.parametrize(
    "password", ["12345678", "password", "Password", "PASSWORD1", "qwertyuiop", "abcd1234", "88888888", "12121212"]
)
def test_common_passwords_are_refused(ctx, password):
    with pytest.raises(Invalid) as err:
        accounts.validate_password(password)
    assert err.value.code == "weak_password" and err.value.details["field"] == "password"


@pytest.mark.parametrize(
    "password",
    [
        "woaini1314",
        "5201314520",
        "qq5201314",
        "wodemima",
        "zhang123456",
        "li123456",
        "aini1314",
        "19901212",
        "20000101",
        "123123123",
        "12341234",
        "asdasdasd",
        "87654321",
        "w123456789",
        "admin888",
    ],
)
def test_common_chinese_passwords_are_refused(ctx, password):
    with pytest.raises(Invalid) as err:
        accounts.validate_password(password)
    assert err.value.code == "weak_password" and err.value.details["field"] == "password"


@pytest.mark.parametrize(
    "password", ["xiaoming88", "lanqiu88", "chunxiao2026", "haishun@2026", "bl2026ningbo", "lihua1990", "long enough 1"]
)
def test_passwords_a_worker_might_choose_that_are_not_common_pass(ctx, password):
    accounts.validate_password(password)


@pytest.mark.parametrize(
    "password, username, phone",
    [
        ("zhangwei2024", "zhangwei", None),
        ("ZhangWei-2024", "zhangwei", None),
        ("x13812345678", "li", "13812345678"),
        ("p138-1234-5678", "li", "138 1234 5678"),
    ],
)
def test_passwords_containing_the_username_or_phone_are_refused(ctx, password, username, phone):
    with pytest.raises(Invalid) as err:
        accounts.validate_password(password, username, phone)
    assert err.value.code == "weak_password"


def test_a_good_password_passes(ctx):
    accounts.validate_password("Lantern-orchard-42", "zhangwei", "13812345678")


def test_registration_refuses_the_username_as_password(ctx):
    f.org("海顺模具", invite_code="HSMJ2345")
    with pytest.raises(Invalid) as err:
        accounts.register("zhangwei", "张伟", "zhangwei123", "HSMJ2345")
    assert err.value.code == "weak_password"
    user = accounts.register("zhangwei", "张伟", "Lantern-orchard-42", "HSMJ2345")
    assert user.status == "pending"


def test_demo_seeding_still_uses_the_demo_password(ctx):
    demo.seed(2)
    assert authenticate("worker1", demo.DEMO_PASSWORD).username == "worker1"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_is_owner_only(tmp_path):
    folder = tmp_path / "instance"
    path = folder / "booking.sqlite3"
    app = create_app(make_config(f"sqlite:///{path}"))
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        f.org("海顺模具")  # a write: the -wal and -shm files exist now
        assert (folder / "booking.sqlite3-wal").exists() and (folder / "booking.sqlite3-shm").exists()
        for name in ("booking.sqlite3", "booking.sqlite3-wal", "booking.sqlite3-shm"):
            assert _mode(folder / name) == 0o600, name
        db.engine.dispose()
    assert _mode(folder) == 0o700


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    create_app(make_config(f"sqlite:///{path}"))
    assert _mode(path) == 0o600
