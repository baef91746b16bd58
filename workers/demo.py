"""The minimal pipeline `alpes demo` runs: a command topic in, an event topic out.

It shows the broker end to end on the embedded default; the campaign workers replace it.
"""

from datetime import UTC, datetime

from faststream import FastStream
from pydantic import BaseModel, Field

from adapters.pulsar import PulsarBroker, PulsarResponse

COMMANDS = "persistent://public/default/alpes.demo.comandos.saludar.v1"
EVENTS = "persistent://public/default/alpes.demo.eventos.saludado.v1"


class Saludar(BaseModel):
    campana_id: str = Field(min_length=1)
    nombre: str = Field(min_length=1)


class Saludado(BaseModel):
    campana_id: str
    saludo: str
    ocurrido_en: datetime


def register(broker: PulsarBroker) -> None:
    @broker.subscriber(COMMANDS, subscription="alpes-demo")
    @broker.publisher(EVENTS, schema=Saludado)
    async def saludar(command: Saludar) -> PulsarResponse:
        event = Saludado(
            campana_id=command.campana_id,
            saludo=f"Hola, {command.nombre}",
            ocurrido_en=datetime.now(UTC),
        )
        return PulsarResponse(event, key=command.campana_id)


def create_app(url: str = "pulsar://localhost:6650") -> FastStream:
    broker = PulsarBroker(url)
    register(broker)
    return FastStream(broker)


# For `faststream docs gen workers.demo:app` and `faststream run workers.demo:app`.
app = create_app()
