"""Version 2 of the campaign contract: one command stream and one event stream, keyed by
the campaign id, so that a campaign's messages keep their order (see contracts.topics)."""

from .commands import (
    COMMANDS,
    ActivarCampanaV2,
    AgregarParticipanteV2,
    AjustarPresupuestoV2,
    ComandoCampanaV2,
    CrearCampanaV2,
    FinalizarCampanaV2,
    PausarCampanaV2,
    ReanudarCampanaV2,
    RetirarParticipanteV2,
)
from .events import (
    EVENTS,
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
from .values import ParticipanteV2, PresupuestoV2

__all__ = (
    "COMMANDS",
    "EVENTS",
    "ActivarCampanaV2",
    "AgregarParticipanteV2",
    "AjustarPresupuestoV2",
    "CampanaActivadaV2",
    "CampanaCreadaV2",
    "CampanaFinalizadaV2",
    "CampanaPausadaV2",
    "CampanaReanudadaV2",
    "ComandoCampanaV2",
    "ComandoRechazadoV2",
    "CrearCampanaV2",
    "FinalizarCampanaV2",
    "ParticipanteAgregadoV2",
    "ParticipanteEventoV2",
    "ParticipanteRetiradoV2",
    "ParticipanteV2",
    "PausarCampanaV2",
    "PresupuestoAjustadoV2",
    "PresupuestoEventoV2",
    "PresupuestoV2",
    "ReanudarCampanaV2",
    "RetirarParticipanteV2",
)
