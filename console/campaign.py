"""`alpes campaign ...`: send campaign commands; read campaigns from the read store."""

import dataclasses
import functools
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from adapters.database.read_store import get_campaign, list_campaigns
from workers.bootstrap import make_broker
from workers.client import send_command, validate, wait_for_outcome
from workers.local import resolve_pulsar

from .common import NOT_FOUND, REJECTED, USAGE, emit_json, engine_for, fail, run, settings
from .tables import print_table

app = typer.Typer(help="Send campaign commands and read campaigns.", no_args_is_help=True)

WAIT = typer.Option(False, "--wait", help="Wait for the outcome (applied or rejected).")
TIMEOUT = typer.Option(30.0, "--timeout", help="Seconds --wait waits.")
AS_JSON = typer.Option(False, "--json", help="Print JSON.")
EXPECTED_VERSION = typer.Option(
    None,
    "--expected-version",
    min=0,
    help="Apply only if the campaign is at this version (0: it must not exist yet).",
)
COMMAND_ID = typer.Option(
    None, "--command-id", help="Idempotency key (default: a new UUID); re-sending applies once."
)
CORRELATION_ID = typer.Option(
    None, "--correlation-id", help="Copied onto every event the command causes."
)
CONTRACT = typer.Option(
    2, "--contract", min=1, max=2, help="Contract version to send on: 2, or 1 (deprecated)."
)


@dataclass(frozen=True)
class Sending:
    """How to send a command: what the user chose besides its body."""

    wait: bool = False
    timeout: float = 30.0
    expected_version: int | None = None
    command_id: str | None = None
    correlation_id: str | None = None
    contract: int = 2
    as_json: bool = False


# The options every command-sending subcommand takes, as Typer reads them.
_SENDING_OPTIONS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
    for name, option, kind in (
        ("wait", WAIT, bool),
        ("timeout", TIMEOUT, float),
        ("expected_version", EXPECTED_VERSION, int | None),
        ("command_id", COMMAND_ID, str | None),
        ("correlation_id", CORRELATION_ID, str | None),
        ("contract", CONTRACT, int),
        ("as_json", AS_JSON, bool),
    )
]


def sends_a_command(command: Callable[..., None]) -> Callable[..., None]:
    """Give a subcommand the sending options (--wait, --expected-version, ...); it
    receives them as one ``how: Sending`` argument."""
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "how"]

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> None:
        how = Sending(**{p.name: kwargs.pop(p.name) for p in _SENDING_OPTIONS})
        command(*args, how=how, **kwargs)

    with_options.__signature__ = inspect.Signature([*own, *_SENDING_OPTIONS])  # type: ignore[attr-defined]
    return with_options


async def _send(command_type: str, body: dict[str, Any] | bytes, how: Sending) -> int:
    config = settings()
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    # Bad input fails here, before any broker is needed.
    validate(command_type, raw, how.contract)
    if how.contract == 1 and how.expected_version is not None:
        fail("--expected-version needs --contract 2: v1 has no optimistic concurrency", USAGE)
    url, embedded = resolve_pulsar(config)
    broker = make_broker(config, url, embedded=embedded)
    await broker.connect()
    try:
        sent = await send_command(
            broker,
            command_type,
            raw,
            command_id=how.command_id,
            correlation_id=how.correlation_id,
            expected_version=how.expected_version,
            contract=how.contract,
        )
    finally:
        await broker.stop()
    wait, timeout = how.wait, how.timeout
    if not how.as_json:
        typer.echo(f"command_id: {sent.command_id}")
    if not wait:
        if how.as_json:
            emit_json({"command_id": sent.command_id, "campana_id": sent.campana_id})
        return 0
    engine = engine_for(config, "readonly")
    try:
        record = await wait_for_outcome(engine, sent.command_id, timeout)
    finally:
        await engine.dispose()
    if how.as_json:
        emit_json(
            dataclasses.asdict(record)
            if record is not None
            else {"command_id": sent.command_id, "status": None}
        )
    if record is None:
        fail(f"no outcome within {timeout:g}s: are the workers running (`alpes dev`)?", NOT_FOUND)
    if record.status == "rejected":
        fail(f"rejected, {record.reason} ({record.field or '-'}): {record.message}", REJECTED)
    if not how.as_json:
        typer.echo(f"applied: {', '.join(record.event_ids)}")
    return 0


def _send_sync(command_type: str, body: dict[str, Any] | bytes, how: Sending) -> None:
    run(_send(command_type, body, how))


@app.command()
@sends_a_command
def create(
    file: Path | None = typer.Option(
        None,
        "--file",
        "-f",
        help="The body as JSON, in the --contract version's shape (- reads standard input).",
    ),
    id: str | None = typer.Option(None, "--id", help="Campaign id (overrides the file)."),
    nombre: str | None = typer.Option(None, "--nombre"),
    tipo: str | None = typer.Option(None, "--tipo", help="Influencer, Affiliate or Mixed."),
    fecha_inicio: str | None = typer.Option(None, "--inicio", help="ISO-8601 with timezone."),
    fecha_fin: str | None = typer.Option(None, "--fin", help="ISO-8601 with timezone."),
    monto: str | None = typer.Option(None, "--monto"),
    divisa: str | None = typer.Option(None, "--divisa"),
    marca_id: str | None = typer.Option(None, "--marca"),
    how: Sending = Sending(),
) -> None:
    """Create a campaign from --file and/or flags (flags override the file)."""
    body: dict[str, Any] = {}
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
            body = json.loads(text)
        except (OSError, json.JSONDecodeError) as error:
            fail(f"{'standard input' if str(file) == '-' else file}: {error}")
        if not isinstance(body, dict):
            fail(f"{file}: expected a JSON object")
    id_field = "campana_id" if how.contract == 2 else "id"
    flags = {
        id_field: id,
        "nombre": nombre,
        "tipo": tipo,
        "fecha_inicio": fecha_inicio,
        "fecha_fin": fecha_fin,
        "marca_id": marca_id,
    }
    body |= {k: v for k, v in flags.items() if v is not None}
    if monto is not None or divisa is not None:
        presupuesto = dict(body.get("presupuesto") or {})
        presupuesto |= {k: v for k, v in {"monto": monto, "divisa": divisa}.items() if v}
        body["presupuesto"] = presupuesto
    _send_sync("crear-campana", body, how)


@app.command()
@sends_a_command
def activate(
    campana_id: str,
    how: Sending = Sending(),
) -> None:
    """draft -> active."""
    _send_sync("activar-campana", {"campana_id": campana_id}, how)


@app.command()
@sends_a_command
def pause(
    campana_id: str,
    how: Sending = Sending(),
) -> None:
    """active -> paused."""
    _send_sync("pausar-campana", {"campana_id": campana_id}, how)


@app.command()
@sends_a_command
def resume(
    campana_id: str,
    how: Sending = Sending(),
) -> None:
    """paused -> active."""
    _send_sync("reanudar-campana", {"campana_id": campana_id}, how)


@app.command()
@sends_a_command
def finish(
    campana_id: str,
    how: Sending = Sending(),
) -> None:
    """active | paused -> finished."""
    _send_sync("finalizar-campana", {"campana_id": campana_id}, how)


@app.command("add-participant")
@sends_a_command
def add_participant(
    campana_id: str,
    participante_id: str = typer.Option(..., "--id"),
    tipo: str = typer.Option(..., "--tipo", help="Influencer or Affiliate."),
    nombre: str = typer.Option(..., "--nombre"),
    perfil: str | None = typer.Option(None, "--perfil", help="Free-text profile."),
    how: Sending = Sending(),
) -> None:
    """Add a participant."""
    participante = {"id": participante_id, "tipo": tipo, "nombre": nombre}
    if perfil is not None:
        participante["informacion_perfil"] = perfil
    body = {"campana_id": campana_id, "participante": participante}
    _send_sync("agregar-participante", body, how)


@app.command("remove-participant")
@sends_a_command
def remove_participant(
    campana_id: str,
    participante_id: str,
    how: Sending = Sending(),
) -> None:
    """Remove a participant."""
    body = {"campana_id": campana_id, "participante_id": participante_id}
    _send_sync("retirar-participante", body, how)


@app.command("adjust-budget")
@sends_a_command
def adjust_budget(
    campana_id: str,
    monto: str = typer.Option(..., "--monto"),
    divisa: str = typer.Option(..., "--divisa"),
    how: Sending = Sending(),
) -> None:
    """Set a new budget (same currency)."""
    body = {"campana_id": campana_id, "presupuesto": {"monto": monto, "divisa": divisa}}
    _send_sync("ajustar-presupuesto", body, how)


@app.command()
def show(campana_id: str, as_json: bool = AS_JSON) -> None:
    """One campaign, from the read store."""

    async def query() -> None:
        engine = engine_for(settings(), "readonly")
        try:
            view = await get_campaign(engine, campana_id)
        finally:
            await engine.dispose()
        if view is None:
            fail(f"no campaign {campana_id!r} in the read store", NOT_FOUND)
        data = view.to_json()
        if as_json:
            emit_json(data)
            return
        for key, value in data.items():
            if key == "participantes":
                typer.echo(f"{key}:")
                for p in value:
                    typer.echo(f"  - {p['id']} {p['tipo']} {p['nombre']}")
            else:
                typer.echo(f"{key}: {value}")

    run(query())


@app.command("list")
def list_(
    marca: str | None = typer.Option(None, "--marca"),
    estado: str | None = typer.Option(None, "--estado"),
    tipo: str | None = typer.Option(None, "--tipo"),
    limit: int = typer.Option(100, "--limit", min=1, max=10000),
    as_json: bool = AS_JSON,
) -> None:
    """Campaigns from the read store, filtered by brand, estado, tipo."""

    async def query() -> None:
        engine = engine_for(settings(), "readonly")
        try:
            views = await list_campaigns(
                engine, marca_id=marca, estado=estado, tipo=tipo, limit=limit
            )
        finally:
            await engine.dispose()
        if as_json:
            emit_json([v.to_json() for v in views])
            return
        print_table(
            ("id", "estado", "tipo", "marca", "presupuesto", "version", "nombre"),
            [
                (v.id, v.estado, v.tipo, v.marca_id, f"{v.monto:f} {v.divisa}", v.version, v.nombre)
                for v in views
            ],
        )

    run(query())
