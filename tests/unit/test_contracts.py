"""The v1 contracts: the shipped examples fit them, commands are strict, events tolerant."""

import json

import pydantic
import pytest

from contracts.examples import EXAMPLES, example
from contracts.topics import COMMAND_TOPICS, EVENT_TOPICS
from contracts.v1 import COMMANDS, EVENTS, CampanaCreadaV1, CrearCampanaV1


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_an_example_that_fits_its_model(name: str) -> None:
    COMMANDS[name].model_validate_json(example(name))


def test_no_example_is_without_its_command() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(COMMANDS)


def test_the_seed_example_is_accepted_as_written() -> None:
    command = CrearCampanaV1.model_validate_json(example("crear-campana"))
    assert command.id == "c-12345"
    assert [p.tipo for p in command.participantes] == ["Influencer", "Affiliate"]
    assert command.participantes[0].informacion_perfil == "Influencer de moda con 200k seguidores"


def test_a_misspelled_command_field_is_an_error_naming_it() -> None:
    body = json.loads(example("crear-campana")) | {"presupuseto": {}}
    with pytest.raises(pydantic.ValidationError) as error:
        CrearCampanaV1.model_validate_json(json.dumps(body))
    assert [e["loc"] for e in error.value.errors()] == [("presupuseto",)]


def test_events_are_read_tolerantly_at_every_level() -> None:
    body = {
        "campana_id": "c-1", "nombre": "n", "tipo": "Mixed", "estado": "draft",
        "fecha_inicio": "2025-01-01T00:00:00Z", "fecha_fin": "2025-02-01T00:00:00Z",
        "presupuesto": {"monto": "1", "divisa": "USD", "added_in_v1_1": True},
        "marca_id": "b-1",
        "participantes": [{"id": "p", "tipo": "Affiliate", "nombre": "P", "new": 1}],
        "another_new_field": "x",
    }
    event = CampanaCreadaV1.model_validate(body)
    assert event.presupuesto.divisa == "USD"


def test_every_message_type_has_exactly_one_topic_named_after_it() -> None:
    assert set(COMMAND_TOPICS) == set(COMMANDS)
    assert set(EVENT_TOPICS) == set(EVENTS)
    for name, topic in {**COMMAND_TOPICS, **EVENT_TOPICS}.items():
        assert topic.isascii()
        assert topic.endswith(f".{name}.v1")
        assert topic.startswith("persistent://public/default/alpes.campanas.")


def test_dates_must_be_text_not_unix_timestamps() -> None:
    body = json.loads(example("crear-campana")) | {"fecha_inicio": 1757462400}
    with pytest.raises(pydantic.ValidationError) as error:
        CrearCampanaV1.model_validate_json(json.dumps(body))
    assert error.value.errors()[0]["loc"] == ("fecha_inicio",)
