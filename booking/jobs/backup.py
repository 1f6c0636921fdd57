"""Backup and restore: the database (PostgreSQL: pg_dump/pg_restore; SQLite: the online backup
API, a consistent copy while writers go on) and the instance/ secrets (SECRET_KEY file, QR keys).

A backup is a folder: database.dump (PostgreSQL custom format) or booking.sqlite3, instance/
with the secrets found there, and backup.json saying what it holds.
"""

import glob
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

SECRETS = ("secret_key", "qr-keys")


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL's tool (Debian keeps them per version), else PATH's."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: apt-get install postgresql-client")
    return found


def _pg_target(url) -> tuple[list[str], dict]:
    """libpq arguments and environment (the password travels in PGPASSWORD, never in argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [
        "--host",
        url.host or "localhost",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        url.database,
    ]
    return args, env


def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise RuntimeError("an in-memory SQLite database cannot be backed up")
    return url.database


def _copy_sqlite(source: str, target: str) -> None:
    """SQLite's online backup: pages copied under its own locking, consistent at one instant."""
    src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()


def backup(dest: str) -> dict:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        args, env = _pg_target(url)
        subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(folder / "database.dump"), *args],
            check=True,
            env=env,
        )
        database = "database.dump"
    else:
        _copy_sqlite(_sqlite_path(url), str(folder / "booking.sqlite3"))
        database = "booking.sqlite3"
    secrets = []
    instance = Path(current_app.instance_path)
    for name in SECRETS:
        source = instance / name
        if source.exists():
            (folder / "instance").mkdir(mode=0o700, exist_ok=True)
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, folder / "instance" / name)
            secrets.append(name)
    manifest = {
        "database": database,
        "backend": url.get_backend_name(),
        "instance": secrets,
        "taken_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (folder / "backup.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(source: str) -> dict:
    """Replace this server's database (and put back instance/ secrets) with a backup's."""
    folder = Path(source)
    manifest = json.loads((folder / "backup.json").read_text())
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if manifest["backend"] != url.get_backend_name():
        raise RuntimeError(f"a {manifest['backend']} backup cannot be restored into {url.get_backend_name()}")
    from ..extensions import db

    db.session.remove()
    db.engine.dispose()
    if manifest["backend"] == "postgresql":
        args, env = _pg_target(url)
        subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(folder / manifest["database"]),
            ],
            check=True,
            env=env,
        )
    else:
        _copy_sqlite(str(folder / manifest["database"]), _sqlite_path(url))
    instance = Path(current_app.instance_path)
    for name in manifest["instance"]:
        target = instance / name
        instance.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            shutil.rmtree(target)
        (shutil.copytree if (folder / "instance" / name).is_dir() else shutil.copy2)(folder / "instance" / name, target)
    return manifest
