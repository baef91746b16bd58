"""Version 1 of the campaign contract: command and event bodies (UTF-8 JSON)."""

from .commands import (
    COMMANDS,
    ActivarCampanaV1,
    AgregarParticipanteV1,
    AjustarPresupuestoV1,
    ComandoCampanaV1,
    CrearCampanaV1,
    FinalizarCampanaV1,
    PausarCampanaV1,
    ReanudarCampanaV1,
    RetirarParticipanteV1,
)
from .events import (
    EVENTS,
    CampanaActivadaV1,
    CampanaCreadaV1,
    CampanaFinalizadaV1,
    CampanaPausadaV1,
    CampanaReanudadaV1,
    ComandoRechazadoV1,
    ParticipanteAgregadoV1,
    ParticipanteRetiradoV1,
    PresupuestoAjustadoV1,
)
from .values import ParticipanteV1, PresupuestoV1

__all__ = (
    "COMMANDS",
    "EVENTS",
    "ActivarCampanaV1",
    "AgregarParticipanteV1",
    "AjustarPresupuestoV1",
    "CampanaActivadaV1",
    "CampanaCreadaV1",
    "CampanaFinalizadaV1",
    "CampanaPausadaV1",
    "CampanaReanudadaV1",
    "ComandoCampanaV1",
    "ComandoRechazadoV1",
    "CrearCampanaV1",
    "FinalizarCampanaV1",
    "ParticipanteAgregadoV1",
    "ParticipanteRetiradoV1",
    "ParticipanteV1",
    "PausarCampanaV1",
    "PresupuestoAjustadoV1",
    "PresupuestoV1",
    "ReanudarCampanaV1",
    "RetirarParticipanteV1",
)
