"""`flask --app wsgi rerun-draw <id>`: re-run a past draw from its published seed and input."""

import sys

import click

from ..extensions import db


def register(app) -> None:
    @app.cli.command("rerun-draw")
    @click.argument("draw_id", type=int)
    def rerun_draw(draw_id: int):
        """Re-run a past draw and compare with the stored result (exit 1 on a difference)."""
        from . import services
        from .models import Draw

        draw = db.session.get(Draw, draw_id)
        if draw is None:
            click.echo(f"draw {draw_id}: not found", err=True)
            sys.exit(1)
        problems = services.rerun(draw)
        for problem in problems:
            click.echo(f"draw {draw_id}: {problem}", err=True)
        if problems:
            sys.exit(1)
        click.echo(
            f"draw {draw_id}: same order {draw.result['order']} and winners "
            f"{[w['application_id'] for w in draw.result['winners']]}"
        )
