"""`flask --app wsgi backup DIR` and `restore DIR` (docs/deploy.md)."""

import click


def register(app) -> None:
    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    def backup_command(dest: str):
        """Back up the database (online) and the instance/ secrets into the folder DEST."""
        from .backup import backup

        manifest = backup(dest)
        click.echo(f"backup in {dest}: {manifest['database']}, secrets: {', '.join(manifest['instance']) or 'none'}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, file_okay=False))
    @click.option("--yes", is_flag=True, help="Do not ask: the database is replaced.")
    def restore_command(source: str, yes: bool):
        """Replace the database (and instance/ secrets) with the backup in SOURCE."""
        if not yes:
            click.confirm("This replaces the whole database. Go on?", abort=True)
        from .backup import restore

        manifest = restore(source)
        click.echo(f"restored {manifest['database']} taken at {manifest['taken_at']}; run check-integrity")
