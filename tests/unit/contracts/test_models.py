"""The contracts' models: the shipped examples fit them, commands are strict, events
tolerant; v2 takes amounts only as decimal strings."""

import json

import pydantic
import pytest

from contracts import v2
from contracts.examples import example, examples_dir
from contracts.topics import COMMAND_TOPICS, EVENT_TOPICS
from contracts.v1 import COMMANDS, EVENTS, CampanaCreadaV1, CrearCampanaV1

VERSIONS = {1: COMMANDS, 2: v2.COMMANDS}


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_an_example_that_fits_its_model(version: int, name: str) -> None:
    VERSIONS[version][name].model_validate_json(example(name, version))


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_no_example_is_without_its_command(version: int) -> None:
    assert {p.stem for p in examples_dir(version).glob("*.json")} == set(VERSIONS[version])


@pytest.mark.parametrize("monto", [15000, 15000.5, "1e3", "15,000", " 1", "NaN", "0x10"])
def test_v2_amounts_are_decimal_strings_only(monto: object) -> None:
    body = json.loads(example("ajustar-presupuesto", 2))
    body["presupuesto"]["monto"] = monto
    with pytest.raises(pydantic.ValidationError) as error:
        v2.AjustarPresupuestoV2.model_validate_json(json.dumps(body))
    assert error.value.errors()[0]["loc"] == ("presupuesto", "monto")


def test_v2_create_names_its_campaign_campana_id() -> None:
    command = v2.CrearCampanaV2.model_validate_json(example("crear-campana", 2))
    assert command.campana_id == "c-12345"
    assert command.presupuesto.monto == "15000.00"


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
        "campana_id": "c-1",
        "nombre": "n",
        "tipo": "Mixed",
        "estado": "draft",
        "fecha_inicio": "2025-01-01T00:00:00Z",
        "fecha_fin": "2025-02-01T00:00:00Z",
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


def test_the_properties_name_every_command_and_event_of_their_version() -> None:
    from typing import get_args

    from contracts.v1.properties import EventType as EventTypeV1
    from contracts.v2.properties import CommandType, EventType

    assert list(get_args(CommandType)) == list(v2.COMMANDS)
    assert list(get_args(EventType)) == list(v2.EVENTS)
    assert list(get_args(EventTypeV1)) == list(EVENTS)
