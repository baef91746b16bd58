"""Campana <-> JSON snapshot, the form the write model stores an aggregate in."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import Campana, Participante, Presupuesto


def to_snapshot(campana: Campana) -> dict[str, Any]:
    return {
        "id": campana.id,
        "nombre": campana.nombre,
        "tipo": campana.tipo.value,
        "estado": campana.estado.value,
        "fecha_inicio": campana.fecha_inicio.isoformat(),
        "fecha_fin": campana.fecha_fin.isoformat(),
        "presupuesto": presupuesto_to_json(campana.presupuesto),
        "marca_id": campana.marca_id,
        "participantes": [participante_to_json(p) for p in campana.participantes],
    }


def from_snapshot(data: dict[str, Any], version: int) -> Campana:
    return Campana(
        id=data["id"],
        nombre=data["nombre"],
        tipo=data["tipo"],
        estado=data["estado"],
        fecha_inicio=datetime.fromisoformat(data["fecha_inicio"]),
        fecha_fin=datetime.fromisoformat(data["fecha_fin"]),
        presupuesto=Presupuesto(
            Decimal(data["presupuesto"]["monto"]), data["presupuesto"]["divisa"]
        ),
        marca_id=data["marca_id"],
        participantes=[
            Participante(
                id=p["id"],
                tipo=p["tipo"],
                nombre=p["nombre"],
                informacion_perfil=p["informacion_perfil"],
            )
            for p in data["participantes"]
        ],
        version=version,
    )


def presupuesto_to_json(presupuesto: Presupuesto) -> dict[str, str]:
    return {"monto": str(presupuesto.monto), "divisa": presupuesto.divisa}


def participante_to_json(participante: Participante) -> dict[str, Any]:
    perfil = participante.informacion_perfil
    return {
        "id": participante.id,
        "tipo": participante.tipo.value,
        "nombre": participante.nombre,
        "informacion_perfil": perfil if isinstance(perfil, str) else dict(perfil),
    }
