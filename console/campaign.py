"""`alpes campaign ...`: send campaign commands; read campaigns from the read store."""

import json
from pathlib import Path
from typing import Any

import typer

from adapters.database.engine import create_engine
from adapters.database.read_store import get_campaign, list_campaigns
from workers.bootstrap import make_broker
from workers.client import send_command, validate, wait_for_outcome
from workers.local import resolve_pulsar

from .common import emit_json, fail, run, settings

app = typer.Typer(help="Send campaign commands and read campaigns.", no_args_is_help=True)

WAIT = typer.Option(False, "--wait", help="Wait for the outcome (applied or rejected).")
TIMEOUT = typer.Option(30.0, "--timeout", help="Seconds --wait waits.")
AS_JSON = typer.Option(False, "--json", help="Print JSON.")


async def _send(command_type: str, body: dict[str, Any] | bytes, wait: bool, timeout: float) -> int:
    config = settings()
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    validate(command_type, raw)  # bad input fails here, before any broker is needed
    url, embedded = resolve_pulsar(config)
    broker = make_broker(config, url, embedded=embedded)
    await broker.connect()
    try:
        sent = await send_command(broker, command_type, raw)
    finally:
        await broker.stop()
    typer.echo(f"command_id: {sent.command_id}")
    if not wait:
        return 0
    engine = create_engine(config.readonly_url)
    try:
        record = await wait_for_outcome(engine, sent.command_id, timeout)
    finally:
        await engine.dispose()
    if record is None:
        fail(f"no outcome within {timeout:g}s: are the workers running (`alpes dev`)?", 3)
    if record.status == "rejected":
        fail(f"rejected, {record.reason} ({record.field or '-'}): {record.message}", 2)
    typer.echo(f"applied: {', '.join(record.event_ids)}")
    return 0


def _send_sync(command_type: str, body: dict[str, Any] | bytes, wait: bool, timeout: float) -> None:
    run(_send(command_type, body, wait, timeout))


@app.command()
def create(
    file: Path | None = typer.Option(None, "--file", "-f", help="The v1 body as JSON."),
    id: str | None = typer.Option(None, "--id", help="Campaign id (overrides the file)."),
    nombre: str | None = typer.Option(None, "--nombre"),
    tipo: str | None = typer.Option(None, "--tipo", help="Influencer, Affiliate or Mixed."),
    fecha_inicio: str | None = typer.Option(None, "--inicio", help="ISO-8601 with timezone."),
    fecha_fin: str | None = typer.Option(None, "--fin", help="ISO-8601 with timezone."),
    monto: str | None = typer.Option(None, "--monto"),
    divisa: str | None = typer.Option(None, "--divisa"),
    marca_id: str | None = typer.Option(None, "--marca"),
    wait: bool = WAIT,
    timeout: float = TIMEOUT,
) -> None:
    """Create a campaign from --file and/or flags (flags override the file)."""
    body: dict[str, Any] = {}
    if file is not None:
        try:
            body = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            fail(f"{file}: {error}")
        if not isinstance(body, dict):
            fail(f"{file}: expected a JSON object")
    flags = {"id": id, "nombre": nombre, "tipo": tipo, "fecha_inicio": fecha_inicio,
             "fecha_fin": fecha_fin, "marca_id": marca_id}
    body |= {k: v for k, v in flags.items() if v is not None}
    if monto is not None or divisa is not None:
        presupuesto = dict(body.get("presupuesto") or {})
        presupuesto |= {k: v for k, v in {"monto": monto, "divisa": divisa}.items() if v}
        body["presupuesto"] = presupuesto
    _send_sync("crear-campana", body, wait, timeout)


@app.command()
def activate(campana_id: str, wait: bool = WAIT, timeout: float = TIMEOUT) -> None:
    """draft -> active."""
    _send_sync("activar-campana", {"campana_id": campana_id}, wait, timeout)


@app.command()
def pause(campana_id: str, wait: bool = WAIT, timeout: float = TIMEOUT) -> None:
    """active -> paused."""
    _send_sync("pausar-campana", {"campana_id": campana_id}, wait, timeout)


@app.command()
def resume(campana_id: str, wait: bool = WAIT, timeout: float = TIMEOUT) -> None:
    """paused -> active."""
    _send_sync("reanudar-campana", {"campana_id": campana_id}, wait, timeout)


@app.command()
def finish(campana_id: str, wait: bool = WAIT, timeout: float = TIMEOUT) -> None:
    """active | paused -> finished."""
    _send_sync("finalizar-campana", {"campana_id": campana_id}, wait, timeout)


@app.command("add-participant")
def add_participant(
    campana_id: str,
    participante_id: str = typer.Option(..., "--id"),
    tipo: str = typer.Option(..., "--tipo", help="Influencer or Affiliate."),
    nombre: str = typer.Option(..., "--nombre"),
    perfil: str | None = typer.Option(None, "--perfil", help="Free-text profile."),
    wait: bool = WAIT,
    timeout: float = TIMEOUT,
) -> None:
    """Add a participant."""
    participante = {"id": participante_id, "tipo": tipo, "nombre": nombre}
    if perfil is not None:
        participante["informacion_perfil"] = perfil
    body = {"campana_id": campana_id, "participante": participante}
    _send_sync("agregar-participante", body, wait, timeout)


@app.command("remove-participant")
def remove_participant(
    campana_id: str, participante_id: str, wait: bool = WAIT, timeout: float = TIMEOUT
) -> None:
    """Remove a participant."""
    body = {"campana_id": campana_id, "participante_id": participante_id}
    _send_sync("retirar-participante", body, wait, timeout)


@app.command("adjust-budget")
def adjust_budget(
    campana_id: str,
    monto: str = typer.Option(..., "--monto"),
    divisa: str = typer.Option(..., "--divisa"),
    wait: bool = WAIT,
    timeout: float = TIMEOUT,
) -> None:
    """Set a new budget (same currency)."""
    body = {"campana_id": campana_id, "presupuesto": {"monto": monto, "divisa": divisa}}
    _send_sync("ajustar-presupuesto", body, wait, timeout)


@app.command()
def show(campana_id: str, as_json: bool = AS_JSON) -> None:
    """One campaign, from the read store."""

    async def query() -> None:
        engine = create_engine(settings().readonly_url)
        try:
            view = await get_campaign(engine, campana_id)
        finally:
            await engine.dispose()
        if view is None:
            fail(f"no campaign {campana_id!r} in the read store")
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
        engine = create_engine(settings().readonly_url)
        try:
            views = await list_campaigns(
                engine, marca_id=marca, estado=estado, tipo=tipo, limit=limit
            )
        finally:
            await engine.dispose()
        if as_json:
            emit_json([v.to_json() for v in views])
            return
        for v in views:
            typer.echo(
                f"{v.id:<16} {v.estado:<9} {v.tipo:<10} {v.marca_id:<12} "
                f"{v.monto} {v.divisa}  {v.nombre}"
            )

    run(query())
