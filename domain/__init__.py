"""The Alpes Partners domain: the `Campana` aggregate, its values, commands, events and errors.

Pure Python: it imports only the standard library and ``domain`` itself, and does no I/O.
Domain concepts keep the seed's Spanish names (Campana, Participante, Presupuesto, estado...);
the error codes (see `domain.errors`) are English and stable.
"""

from .campaign import TRANSICIONES, Campana
from .commands import (
    ActivarCampana,
    AgregarParticipante,
    AjustarPresupuesto,
    Comando,
    CrearCampana,
    FinalizarCampana,
    PausarCampana,
    ReanudarCampana,
    RetirarParticipante,
)
from .currencies import DIVISAS_ISO_4217
from .errors import (
    ERROR_CODES,
    DomainError,
    ErrorCode,
    RuleViolation,
    StateError,
    ValidationError,
)
from .events import (
    CampanaActivada,
    CampanaCreada,
    CampanaFinalizada,
    CampanaPausada,
    CampanaReanudada,
    EventoCampana,
    EventoDominio,
    ParticipanteAgregado,
    ParticipanteRetirado,
    PresupuestoAjustado,
)
from .profile import InformacionPerfil, Perfil, ValorPerfil
from .values import (
    DatosParticipante,
    EstadoCampana,
    Participante,
    Presupuesto,
    TipoCampana,
    TipoParticipante,
)

__all__ = (
    "DIVISAS_ISO_4217",
    "ERROR_CODES",
    "TRANSICIONES",
    "ActivarCampana",
    "AgregarParticipante",
    "AjustarPresupuesto",
    "Campana",
    "CampanaActivada",
    "CampanaCreada",
    "CampanaFinalizada",
    "CampanaPausada",
    "CampanaReanudada",
    "Comando",
    "CrearCampana",
    "DatosParticipante",
    "DomainError",
    "ErrorCode",
    "EstadoCampana",
    "EventoCampana",
    "EventoDominio",
    "FinalizarCampana",
    "InformacionPerfil",
    "Participante",
    "ParticipanteAgregado",
    "ParticipanteRetirado",
    "PausarCampana",
    "Perfil",
    "Presupuesto",
    "PresupuestoAjustado",
    "ReanudarCampana",
    "RetirarParticipante",
    "RuleViolation",
    "StateError",
    "TipoCampana",
    "TipoParticipante",
    "ValidationError",
    "ValorPerfil",
)
