import json

from faststream import FastStream
from faststream.specification import AsyncAPI
from pydantic import BaseModel

from adapters.pulsar import PulsarBroker, PulsarSecurity


class Order(BaseModel):
    id: int


def test_the_asyncapi_document_shows_topics_payloads_and_token_auth() -> None:
    broker = PulsarBroker(
        "pulsar+ssl://pulsar.example:6651", security=PulsarSecurity(token="secret-token")
    )
    out = broker.publisher("persistent://public/default/out", schema=Order)

    @out
    @broker.subscriber("persistent://public/default/in", subscription="workers")
    async def handle(order: Order) -> Order:
        return order

    app = FastStream(broker, specification=AsyncAPI(title="t", version="1"))
    document = app.schema.to_specification().to_jsonable()
    text = json.dumps(document)

    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {"persistent://public/default/in", "persistent://public/default/out"}
    assert document["components"]["schemas"]["Order"]["required"] == ["id"]
    server = next(iter(document["servers"].values()))
    assert server["protocol"] == "pulsar+ssl"
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "secret-token" not in text
    assert "secret-token" not in repr(PulsarSecurity(token="secret-token"))
