"""`alpes projections rebuild`: the read store again, from the event topics."""

import typer

from adapters.database.engine import create_engine
from adapters.database.view_store import SqlViewStore
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, PulsarSecurity
from workers.local import resolve_pulsar
from workers.projector import rebuild as rebuild_view

from .common import run, settings

app = typer.Typer(help="Read-model projections.", no_args_is_help=True)


@app.command()
def rebuild() -> None:
    """Empty the read store and replay every stored event into it.

    Stop the projector workers first: a live projector writing meanwhile would race it.
    """
    config = settings()

    async def main() -> int:
        url, embedded = resolve_pulsar(config)
        token = config.pulsar_token.get_secret_value() if config.pulsar_token else None
        engine = create_engine(config.database_url)
        try:
            return await rebuild_view(
                url,
                SqlViewStore(engine),
                capabilities=PULSAR_LITE if embedded else APACHE_PULSAR,
                security=PulsarSecurity(
                    token=token, tls_trust_certs_file_path=config.pulsar_tls_trust_certs
                ),
            )
        finally:
            await engine.dispose()

    typer.echo(f"read store rebuilt: {run(main())} events applied")
