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
    @click.option("--workers", default=40, show_default=True, type=click.IntRange(0, 100000),
                  help="How many demo workers (worker1 ... workerN).")
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
