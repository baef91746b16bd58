"""The command handler against fakes of its ports: outcomes and what gets written."""

import json

from application.commands.handler import handle_command
from application.commands.incoming import CommandEnvelope
from application.commands.memory import InMemoryState as World
from contracts.examples import example


def envelope(command: str, body: bytes, command_id: str) -> CommandEnvelope:
    return CommandEnvelope(command, command_id, "corr", body)


async def test_an_applied_command_writes_campaign_event_and_record_together() -> None:
    world = World()
    outcome = await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
    )
    assert outcome.status == "applied"
    assert world.campaigns["c-12345"].version == 1
    [message] = world.messages(1)
    assert message.properties["event_type"] == "campana-creada"
    assert world.records["c1"].event_ids == (message.event_id,)


async def test_an_event_is_rendered_once_per_version_with_one_event_id() -> None:
    world = World()
    await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
    )
    [v1] = world.messages(1)
    [v2] = world.messages(2)
    assert v1.topic.endswith(".eventos.campana-creada.v1")
    assert v2.topic == "persistent://public/default/alpes.campanas.eventos.v2"
    assert v1.event_id == v2.event_id == v2.properties["event_id"]
    assert v1.key == v2.key == "c-12345"
    assert v2.properties["event_type"] == "campana-creada"
    assert v2.properties["aggregate_version"] == "1"
    # The seed's 15000.00 came as a JSON number on v1; v2 writes it as a decimal string.
    assert json.loads(v2.payload)["presupuesto"] == {"monto": "15000", "divisa": "USD"}


async def test_the_same_command_id_twice_is_one_application() -> None:
    world = World()
    await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
    )
    again = await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
    )
    assert again.status == "duplicate"
    assert len(world.messages(1)) == len(world.messages(2)) == 1


async def test_event_ids_are_derived_from_the_command_id() -> None:
    first, second = World(), World()
    for world in (first, second):
        await handle_command(
            envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
        )
    assert first.outbox[0].event_id == second.outbox[0].event_id


async def test_a_rejection_writes_only_the_rejection_event_and_record() -> None:
    world = World()
    body = json.dumps({"campana_id": "c-12345"}).encode()
    outcome = await handle_command(envelope("activar-campana", body, "a1"), world.unit_of_work)
    assert outcome.status == "rejected"
    assert world.campaigns == {}
    [message] = world.messages(1)
    assert message.properties["event_type"] == "comando-rechazado"
    assert json.loads(message.payload)["reason"] == "UNKNOWN_CAMPAIGN"
    assert world.records["a1"].status == "rejected"


async def test_an_oversized_body_is_rejected_before_decoding_and_dead_lettered() -> None:
    world = World()
    body = b'{"campana_id": "' + b"x" * (300 * 1024) + b'"}'
    outcome = await handle_command(envelope("activar-campana", body, "big"), world.unit_of_work)
    assert outcome.rejection is not None
    assert outcome.rejection.reason == "PAYLOAD_TOO_LARGE"
    assert outcome.rejection.dead_letter is True


async def test_reusing_a_command_id_for_another_command_type_is_rejected() -> None:
    world = World()
    await handle_command(
        envelope("crear-campana", example("crear-campana"), "same"), world.unit_of_work
    )
    body = json.dumps({"campana_id": "c-12345"}).encode()
    outcome = await handle_command(envelope("activar-campana", body, "same"), world.unit_of_work)
    assert outcome.rejection is not None
    assert outcome.rejection.reason == "COMMAND_ID_REUSED"
    assert world.campaigns["c-12345"].estado.value == "draft"


async def test_with_v1_events_turned_off_only_the_v2_stream_gets_them() -> None:
    from application.commands.render import EventRenderer

    world = World()
    await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"),
        world.unit_of_work,
        EventRenderer(v1=False),
    )
    body = json.dumps({"campana_id": "c-none"}).encode()
    await handle_command(
        envelope("activar-campana", body, "a1"), world.unit_of_work, EventRenderer(v1=False)
    )
    assert world.messages(1) == []
    assert [m.properties["event_type"] for m in world.messages(2)] == [
        "campana-creada",
        "comando-rechazado",
    ]


def test_the_setting_reaches_the_command_worker() -> None:
    from workers.bootstrap import build
    from workers.settings import Settings

    for value, versions in (("false", (2,)), ("true", (2, 1))):
        settings = Settings(_env_file=None, publish_v1_events=value)  # type: ignore[call-arg]
        runtime = build(settings, "pulsar://127.0.0.1:1", ["commands"])
        assert runtime.command_batcher is not None
        assert runtime.command_batcher.renderer.versions == versions


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_the_commands_trace_context_is_stored_with_every_event_it_causes() -> None:
    """The relay, another process, continues the command's trace from the outbox row."""
    world = World()
    traced = CommandEnvelope(
        "crear-campana",
        "c1",
        "corr",
        example("crear-campana"),
        traceparent=TRACEPARENT,
        tracestate="alpes=1",
    )
    await handle_command(traced, world.unit_of_work)
    rejected = CommandEnvelope(
        "activar-campana", "c2", "corr", b"{}", traceparent=TRACEPARENT, tracestate=None
    )
    await handle_command(rejected, world.unit_of_work)
    messages = world.messages(1) + world.messages(2)
    assert len(messages) == 4
    for message in messages:
        assert message.properties["traceparent"] == TRACEPARENT
    assert {m.properties.get("tracestate") for m in messages} == {"alpes=1", None}


async def test_an_untraced_command_adds_no_trace_property() -> None:
    world = World()
    await handle_command(
        envelope("crear-campana", example("crear-campana"), "c1"), world.unit_of_work
    )
    for message in world.messages(1) + world.messages(2):
        assert "traceparent" not in message.properties
        assert "tracestate" not in message.properties
