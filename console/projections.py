"""`alpes projections rebuild`: the read store again, from the v2 event stream."""

import sys

import typer

from adapters.database.engine import redact
from adapters.database.view_store import SqlViewStore
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, PulsarSecurity
from application.projector import IncompleteHistory
from workers.local import resolve_pulsar
from workers.projector import rebuild as rebuild_view

from .common import USAGE, database_url, emit_json, engine_for, fail, run, settings

app = typer.Typer(help="Read-model projections.", no_args_is_help=True)


@app.command()
def rebuild(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Empty the read store and replay every stored event into it.

    Stop the projector workers first: a live projector writing meanwhile would race it.
    Refused, with the view untouched, when the stream no longer holds every campaign's
    whole history (its retention removed the beginning).
    """
    config = settings()
    where = database_url(config)
    if not yes:
        if not sys.stdin.isatty():
            fail("this empties the read store: confirm with --yes", USAGE)
        typer.confirm(
            f"Empty the read store at {redact(where)} and replay the event stream?",
            abort=True,
        )

    def progress(done: int, total: int) -> None:
        if done == total or done % 1000 == 0:
            typer.echo(f"  {done}/{total} events replayed", err=True)

    async def main() -> int:
        url, embedded = resolve_pulsar(config)
        token = config.pulsar_token.get_secret_value() if config.pulsar_token else None
        engine = engine_for(config)
        try:
            return await rebuild_view(
                url,
                SqlViewStore(engine),
                capabilities=PULSAR_LITE if embedded else APACHE_PULSAR,
                security=PulsarSecurity(
                    token=token, tls_trust_certs_file_path=config.pulsar_tls_trust_certs
                ),
                progress=None if as_json else progress,
            )
        except IncompleteHistory as incomplete:
            fail(f"not rebuilt: {incomplete}")

    applied = run(main())
    if as_json:
        emit_json({"applied": applied})
    else:
        typer.echo(f"read store rebuilt: {applied} events applied")
