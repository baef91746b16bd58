"""Topic names of the public contract, versioned in the name.

v2: one ordered stream each way, keyed by the campaign id: every command on
``persistent://public/default/alpes.campanas.comandos.v2``, every event on
``persistent://public/default/alpes.campanas.eventos.v2``.

v1 (deprecated): one message type per topic,
``persistent://public/default/alpes.campanas.comandos.<command>.v1`` in and
``persistent://public/default/alpes.campanas.eventos.<event>.v1`` out.
Names are ASCII kebab-case (Pulsar topic names allow no "ñ").
"""

NAMESPACE = "persistent://public/default"
PREFIX = "alpes.campanas"


def command_topic(name: str, version: int = 1) -> str:
    return f"{NAMESPACE}/{PREFIX}.comandos.{name}.v{version}"


def event_topic(name: str, version: int = 1) -> str:
    return f"{NAMESPACE}/{PREFIX}.eventos.{name}.v{version}"


CREAR_CAMPANA = "crear-campana"  # the command that creates a campaign

COMMAND_NAMES = (
    CREAR_CAMPANA,
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

# v2: the two ordered streams.
COMMANDS_V2 = f"{NAMESPACE}/{PREFIX}.comandos.v2"
EVENTS_V2 = f"{NAMESPACE}/{PREFIX}.eventos.v2"

# v1 (deprecated): a topic per message type.
COMMAND_TOPICS = {name: command_topic(name) for name in COMMAND_NAMES}
EVENT_TOPICS = {name: event_topic(name) for name in EVENT_NAMES}
