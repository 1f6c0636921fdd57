"""Idempotency: a retried state-changing request gets the first one's answer, not a second effect.

API calls carry an `Idempotency-Key` header (booking/api/idempotency.py, hooked on the API
blueprint); web forms carry a hidden field (forms.py, web.py); answers.py gives an answer
again. Keys live 24 h in the database (models.py), shared by every process and server;
services.py claims them and records outcomes.
"""

import click
from flask.cli import with_appcontext


@click.command("purge-idempotency")
@with_appcontext
def purge_command():
    """Delete idempotency keys older than 24 h (cron: hourly; older keys are ignored anyway)."""
    from .services import purge

    click.echo(f"idempotency keys purged: {purge()}")


def register(app) -> None:
    """The web form hook and the purge command (the API hooks are on the API blueprint)."""
    from . import web

    web.register(app)
    app.cli.add_command(purge_command)
