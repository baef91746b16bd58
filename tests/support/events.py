"""Integration events as the relay publishes them on the v2 event stream: the body (v2
models: amounts are decimal strings), the key (the campaign id) and the properties
(event_id, event_type, aggregate_version, schema_version "2", ...).

Shared by the event-side tests: the read store, its batch form, the projector, the
notifications and the tail."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel

from contracts import properties as p
from contracts.v2.events import (
    CampanaActivadaV2,
    CampanaCreadaV2,
    CampanaFinalizadaV2,
    CampanaPausadaV2,
    CampanaReanudadaV2,
    ComandoRechazadoV2,
    ParticipanteAgregadoV2,
    ParticipanteEventoV2,
    ParticipanteRetiradoV2,
    PresupuestoAjustadoV2,
    PresupuestoEventoV2,
)
from contracts.v2.properties import EventPropertiesV2

OCCURRED_AT = "2026-11-28T08:00:00Z"


def v2_properties(
    event_type: str,
    event_id: str,
    aggregate_version: int | None = None,
    *,
    occurred_at: str = OCCURRED_AT,
) -> dict[str, str]:
    """The properties of an event on the v2 stream, checked against the contract."""
    props = {
        p.EVENT_ID: event_id,
        p.EVENT_TYPE: event_type,
        p.OCCURRED_AT: occurred_at,
        p.SCHEMA_VERSION: "2",
        p.COMMAND_ID: f"cmd-{event_id}",
        p.CORRELATION_ID: f"corr-{event_id}",
        p.CAUSATION_ID: f"cmd-{event_id}",
        "content-type": "application/json",
    }
    if aggregate_version is not None:
        props[p.AGGREGATE_VERSION] = str(aggregate_version)
    EventPropertiesV2.model_validate(props)
    return props


def key_of(body: Mapping[str, Any]) -> str:
    """The message key: the campaign id (a rejection naming none: its command id)."""
    return str(body.get("campana_id") or body.get("command_id") or "")


@dataclass(frozen=True)
class Event:
    type: str
    id: str
    version: int | None
    model: BaseModel

    @property
    def body(self) -> dict[str, Any]:
        """The body as a consumer decodes it from the wire."""
        decoded: dict[str, Any] = json.loads(self.model.model_dump_json())
        return decoded

    @property
    def payload(self) -> bytes:
        return self.model.model_dump_json().encode()

    @property
    def key(self) -> str:
        return key_of(self.body)

    def properties(self) -> dict[str, str]:
        return v2_properties(self.type, self.id, self.version)


ALICE = ParticipanteEventoV2(
    id="p-1", tipo="Influencer", nombre="Alice", informacion_perfil={"seguidores": 200000}
)
BLOG = ParticipanteEventoV2(
    id="p-2", tipo="Affiliate", nombre="Blog", informacion_perfil="50k visitas"
)
BRUNO = ParticipanteEventoV2(id="p-3", tipo="Influencer", nombre="Bruno")


def creada(
    campana_id: str,
    *,
    marca_id: str = "b-1",
    tipo: str = "Influencer",
    monto: str = "15000.10",
) -> Event:
    model = CampanaCreadaV2.model_validate(
        {
            "campana_id": campana_id,
            "nombre": f"Campaña {campana_id}",
            "tipo": tipo,
            "estado": "draft",
            # Not UTC on the wire: the view keeps the instant, in UTC.
            "fecha_inicio": datetime(2025, 9, 10, 2, 0, tzinfo=timezone(timedelta(hours=2))),
            "fecha_fin": datetime(2025, 12, 10, 23, 59, 59, tzinfo=UTC),
            "presupuesto": PresupuestoEventoV2(monto=monto, divisa="USD"),
            "marca_id": marca_id,
            "participantes": [ALICE, BLOG],
        }
    )
    return Event("campana-creada", f"{campana_id}-e1", 1, model)


def lifecycle(campana_id: str, **created: Any) -> list[Event]:
    """A campaign's whole life, versions 1 to 8, in order."""
    c = campana_id

    def ev(version: int, type_: str, model: BaseModel) -> Event:
        return Event(type_, f"{c}-e{version}", version, model)

    return [
        creada(c, **created),
        ev(2, "campana-activada", CampanaActivadaV2(campana_id=c)),
        ev(3, "campana-pausada", CampanaPausadaV2(campana_id=c)),
        ev(4, "participante-agregado", ParticipanteAgregadoV2(campana_id=c, participante=BRUNO)),
        ev(
            5,
            "presupuesto-ajustado",
            PresupuestoAjustadoV2(
                campana_id=c,
                anterior=PresupuestoEventoV2(monto="15000.10", divisa="USD"),
                nuevo=PresupuestoEventoV2(monto="18000.05", divisa="USD"),
            ),
        ),
        ev(6, "participante-retirado", ParticipanteRetiradoV2(campana_id=c, participante_id="p-1")),
        ev(7, "campana-reanudada", CampanaReanudadaV2(campana_id=c)),
        ev(8, "campana-finalizada", CampanaFinalizadaV2(campana_id=c)),
    ]


def rechazado(command_id: str, campana_id: str | None) -> Event:
    model = ComandoRechazadoV2(
        command_id=command_id,
        command_type="activar-campana",
        campana_id=campana_id,
        reason="ILLEGAL_TRANSITION",
        field=None,
        message="campaign is finished",
    )
    return Event("comando-rechazado", f"rej-{command_id}", None, model)
