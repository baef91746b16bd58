"""What "the same command" means for a create re-sent with another command id: the same
data, whatever the contract version, the key order of a profile or the way an amount is
written; any other difference is another command."""

import json

from application.commands.incoming import CommandEnvelope, decode
from contracts.examples import example


def fingerprint_of(body: dict[str, object], contract: int = 2) -> str:
    key = str(body.get("campana_id") or body.get("id"))
    envelope = CommandEnvelope(
        "crear-campana", "c", "c", json.dumps(body).encode(), contract=contract, key=key
    )
    incoming = decode(envelope)
    assert incoming.rejection is None, incoming.rejection
    return incoming.fingerprint


V2 = json.loads(example("crear-campana", 2))
V1 = json.loads(example("crear-campana", 1))


def test_the_same_creation_on_v1_and_v2_has_one_fingerprint() -> None:
    assert fingerprint_of(V1, contract=1) == fingerprint_of(V2)


def test_amounts_written_differently_are_the_same_amount() -> None:
    for monto in ("15000", "15000.0", "15000.000"):
        same = V2 | {"presupuesto": {"monto": monto, "divisa": "USD"}}
        assert fingerprint_of(same) == fingerprint_of(V2)


def test_a_profile_map_in_another_key_order_is_the_same_profile() -> None:
    participant = {"id": "p-1", "tipo": "Influencer", "nombre": "Ana"}
    first = V2 | {"participantes": [participant | {"informacion_perfil": {"a": 1, "b": 2}}]}
    second = V2 | {"participantes": [participant | {"informacion_perfil": {"b": 2, "a": 1}}]}
    assert fingerprint_of(first) == fingerprint_of(second)


def test_any_other_difference_is_another_command() -> None:
    for change in (
        {"nombre": "Otra"},
        {"presupuesto": {"monto": "15000.01", "divisa": "USD"}},
        {"participantes": []},
    ):
        assert fingerprint_of(V2 | change) != fingerprint_of(V2)
