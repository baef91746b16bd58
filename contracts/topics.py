"""Topic names of the public contract: one message type per topic, versioned in the name.

``persistent://public/default/alpes.campanas.comandos.<command>.v1`` carries commands in,
``persistent://public/default/alpes.campanas.eventos.<event>.v1`` carries events out.
Names are ASCII kebab-case (Pulsar topic names allow no "ñ").
"""

NAMESPACE = "persistent://public/default"
PREFIX = "alpes.campanas"


def command_topic(name: str, version: int = 1) -> str:
    return f"{NAMESPACE}/{PREFIX}.comandos.{name}.v{version}"


def event_topic(name: str, version: int = 1) -> str:
    return f"{NAMESPACE}/{PREFIX}.eventos.{name}.v{version}"


COMMAND_NAMES = (
    "crear-campana",
    "activar-campana",
    "pausar-campana",
    "reanudar-campana",
    "finalizar-campana",
    "agregar-participante",
    "retirar-participante",
    "ajustar-presupuesto",
)

EVENT_NAMES = (
    "campana-creada",
    "campana-activada",
    "campana-pausada",
    "campana-reanudada",
    "campana-finalizada",
    "participante-agregado",
    "participante-retirado",
    "presupuesto-ajustado",
    "comando-rechazado",
)

COMMAND_TOPICS = {name: command_topic(name) for name in COMMAND_NAMES}
EVENT_TOPICS = {name: event_topic(name) for name in EVENT_NAMES}
