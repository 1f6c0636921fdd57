"""Command-line jobs: `flask --app wsgi seed-demo`, ..."""

import click
from sqlalchemy import select

from .extensions import db


def register_commands(app) -> None:
    from .jobs.cli import register as register_backup_commands

    register_backup_commands(app)

    from .draw.cli import register as register_draw_commands

    register_draw_commands(app)

    @app.cli.command("seed-demo")
    @click.option(
        "--workers",
        default=40,
        show_default=True,
        type=click.IntRange(0, 100000),
        help="How many demo workers (worker1 ... workerN).",
    )
    @click.option("--if-empty", is_flag=True, help="Only when the database has no organizations yet.")
    def seed_demo(workers: int, if_empty: bool):
        """Build the Beilun demo world (idempotent: running it twice changes nothing)."""
        from .demo import seed
        from .organizations.models import Organization

        if if_empty and db.session.scalar(select(Organization.id).limit(1)) is not None:
            click.echo("database not empty: demo world not seeded")
            return
        created = seed(workers)
        click.echo(f"demo world ready ({created} rows created)")

    @app.cli.command("check-integrity")
    def check_integrity():
        """Counters equal the bookings they count; no slot, nor overlapping bookings, past capacity.

        Reads one snapshot (safe on a live system, e.g. from cron). Exit 1 on a problem."""
        from .integrity import check

        problems = check()
        for problem in problems:
            click.echo(problem, err=True)
        click.echo("integrity: OK" if not problems else f"integrity: {len(problems)} problem(s)")
        if problems:
            raise SystemExit(1)

    @app.cli.command("release-no-shows")
    def release_no_shows():
        """Mark bookings past their check-in window no_show and free their places (cron: every minute)."""
        from .reservations.services import release_no_shows as run

        done = run()
        click.echo(f"no-shows: {done['no_show']}, expired pending: {done['expired']}")

    @app.cli.command("disable-account")
    @click.argument("username")
    def disable_account(username: str):
        """Disable an account: it can no longer sign in; its sign-ins and API tokens end. Exit 1 if unknown."""
        from .accounts import rules
        from .accounts.models import User
        from .accounts.services import disable_account as run

        user = db.session.scalar(select(User).where(User.username == rules.normalize_username(username)))
        if user is None:
            click.echo(f"no account named {username!r}", err=True)
            raise SystemExit(1)
        run(user.id)
        click.echo(f"account {user.username} disabled; its sign-ins and API tokens ended")

    @app.cli.command("rotate-qr-key")
    @click.argument("host_id", type=int)
    def rotate_qr_key(host_id: int):
        """Sign the host's check-in codes with a new key; codes already issued still scan. Exit 1 if unknown."""
        from .checkin.services import rotate_key
        from .errors import NotFound

        try:
            kid = rotate_key(host_id)
        except NotFound:
            click.echo(f"no organization with id {host_id}", err=True)
            raise SystemExit(1) from None
        click.echo(f"host {host_id}: new QR signing key {kid}; older keys still verify")
