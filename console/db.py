"""`alpes db ...`: schema migrations."""

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from adapters.database.engine import redact
from adapters.database.migrate import current_revision, head_revision, upgrade

from .common import database_url, emit_json, run, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_() -> None:
    """Bring the database to the head revision (as ALPES_MIGRATION_DATABASE_URL, the schema's
    owner, when set; else ALPES_DATABASE_URL)."""
    url = database_url(settings(), "migration")
    _ensure_sqlite_folder(url)
    revision = run(upgrade(url))
    typer.echo(f"{redact(url)} is at revision {revision}")


@app.command()
def current(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The database's revision and the code's."""
    url = database_url(settings(), "readonly")
    revision = run(current_revision(url))
    if as_json:
        emit_json(
            {"database": revision, "code": head_revision(), "at_head": revision == head_revision()}
        )
        return
    typer.echo(f"database: {revision or 'empty'}; code: {head_revision()}")


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
