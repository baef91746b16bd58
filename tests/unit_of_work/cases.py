"""The Unit of Work's contract, written once and run against every implementation: the
SQL one on SQLite and on PostgreSQL, and the in-memory one the batch processor and the
unit tests use. A test class combines these cases with a ``world`` fixture.

What every Unit of Work promises (``application.ports.UnitOfWork``): nothing is visible
until ``commit()``; leaving without it writes nothing; a campaign's version goes up by
one per commit; and a commit over a campaign or a command id that someone else wrote
since it was read raises ``ConcurrencyError`` and writes nothing.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from application.errors import ConcurrencyError
from application.ports import UnitOfWork
from application.records import CommandRecord, OutboxMessage
from domain import Campana, Presupuesto


@dataclass
class World:
    """One implementation under test: how to open a Unit of Work, and what it committed."""

    unit_of_work: Callable[[], UnitOfWork]
    outbox: Callable[[], Awaitable[list[OutboxMessage]]]


def campaign(campana_id: str = "c-1") -> Campana:
    return Campana.crear(
        id=campana_id,
        nombre="Moda",
        tipo="Mixed",
        fecha_inicio=datetime(2025, 9, 10, tzinfo=UTC),
        fecha_fin=datetime(2025, 12, 10, tzinfo=UTC),
        presupuesto=Presupuesto(Decimal("1000"), "USD"),
        marca_id="b-1",
    )


def record(command_id: str, campana_id: str = "c-1", kind: str = "crear-campana") -> CommandRecord:
    return CommandRecord(
        command_id=command_id,
        command_type=kind,
        campana_id=campana_id,
        fingerprint="f" * 64,
        status="applied",
        event_ids=(f"e-{command_id}",),
        correlation_id=f"corr-{command_id}",
    )


def message(event_id: str, key: str = "c-1") -> OutboxMessage:
    return OutboxMessage(event_id, "topic-a", key, b"{}", {"event_id": event_id})


async def create(world: World, campana_id: str = "c-1", command_id: str = "cmd-1") -> None:
    async with world.unit_of_work() as uow:
        uow.campaigns.add(campaign(campana_id))
        uow.commands.add(record(command_id, campana_id))
        uow.outbox.add([message(f"ev-{command_id}", campana_id)])
        await uow.commit()


class UnitOfWorkCases:
    async def test_a_committed_campaign_is_there_for_the_next_one_at_version_1(
        self, world: World
    ) -> None:
        await create(world)
        async with world.unit_of_work() as uow:
            found = await uow.campaigns.get("c-1")
        assert found is not None
        assert (found.id, found.version, found.nombre) == ("c-1", 1, "Moda")

    async def test_an_unknown_campaign_or_command_is_none(self, world: World) -> None:
        async with world.unit_of_work() as uow:
            assert await uow.campaigns.get("c-none") is None
            assert await uow.commands.get("cmd-none") is None
            assert await uow.commands.creation_of("c-none") is None

    async def test_leaving_without_commit_writes_nothing(self, world: World) -> None:
        async with world.unit_of_work() as uow:
            uow.campaigns.add(campaign())
            uow.commands.add(record("cmd-1"))
            uow.outbox.add([message("ev-1")])
        async with world.unit_of_work() as uow:
            assert await uow.campaigns.get("c-1") is None
            assert await uow.commands.get("cmd-1") is None
        assert await world.outbox() == []

    async def test_each_commit_of_a_change_adds_one_to_the_version(self, world: World) -> None:
        await create(world)
        for expected in (2, 3):
            async with world.unit_of_work() as uow:
                found = await uow.campaigns.get("c-1")
                assert found is not None
                found.activar() if expected == 2 else found.pausar()
                uow.campaigns.add(found)
                await uow.commit()
        async with world.unit_of_work() as uow:
            found = await uow.campaigns.get("c-1")
        assert found is not None
        assert (found.version, found.estado.value) == (3, "paused")

    async def test_a_change_that_is_not_committed_does_not_leak(self, world: World) -> None:
        await create(world)
        async with world.unit_of_work() as uow:
            found = await uow.campaigns.get("c-1")
            assert found is not None
            found.activar()  # changed in memory, never added nor committed
        async with world.unit_of_work() as uow:
            again = await uow.campaigns.get("c-1")
        assert again is not None
        assert (again.version, again.estado.value) == (1, "draft")

    async def test_records_and_the_campaigns_creation_are_found(self, world: World) -> None:
        await create(world)
        async with world.unit_of_work() as uow:
            uow.commands.add(record("cmd-2", kind="activar-campana"))
            await uow.commit()
        async with world.unit_of_work() as uow:
            first, second = await uow.commands.get("cmd-1"), await uow.commands.get("cmd-2")
            creation = await uow.commands.creation_of("c-1")
        assert first == record("cmd-1")
        assert second == record("cmd-2", kind="activar-campana")
        assert creation == record("cmd-1")

    async def test_outbox_messages_are_kept_in_commit_order(self, world: World) -> None:
        await create(world, "c-1", "cmd-1")
        async with world.unit_of_work() as uow:
            uow.outbox.add([message("ev-a", "c-2"), message("ev-b", "c-1")])
            await uow.commit()
        assert [m.event_id for m in await world.outbox()] == ["ev-cmd-1", "ev-a", "ev-b"]
        assert (await world.outbox())[1] == message("ev-a", "c-2")

    async def test_a_campaign_changed_by_another_since_it_was_read_is_a_conflict(
        self, world: World
    ) -> None:
        await create(world)
        async with world.unit_of_work() as late:
            stale = await late.campaigns.get("c-1")
            assert stale is not None
            async with world.unit_of_work() as early:
                first = await early.campaigns.get("c-1")
                assert first is not None
                first.activar()
                early.campaigns.add(first)
                await early.commit()
            stale.finalizar() if stale.estado.value != "draft" else stale.activar()
            late.campaigns.add(stale)
            late.outbox.add([message("ev-late")])
            with pytest.raises(ConcurrencyError):
                await late.commit()
        async with world.unit_of_work() as uow:
            found = await uow.campaigns.get("c-1")
        assert found is not None and found.version == 2  # the early one's change only
        assert "ev-late" not in [m.event_id for m in await world.outbox()]

    async def test_the_same_campaign_created_twice_is_a_conflict(self, world: World) -> None:
        async with world.unit_of_work() as late:
            assert await late.campaigns.get("c-1") is None
            await create(world, "c-1", "cmd-early")
            late.campaigns.add(campaign("c-1"))
            late.commands.add(record("cmd-late"))
            with pytest.raises(ConcurrencyError):
                await late.commit()
        async with world.unit_of_work() as uow:
            assert await uow.commands.get("cmd-late") is None

    async def test_a_command_id_recorded_by_another_is_a_conflict(self, world: World) -> None:
        await create(world, "c-1", "cmd-1")
        async with world.unit_of_work() as late:
            late.commands.add(record("cmd-same", "c-1", "activar-campana"))
            async with world.unit_of_work() as early:
                early.commands.add(record("cmd-same", "c-1", "pausar-campana"))
                await early.commit()
            with pytest.raises(ConcurrencyError):
                await late.commit()
        async with world.unit_of_work() as uow:
            kept = await uow.commands.get("cmd-same")
        assert kept is not None and kept.command_type == "pausar-campana"
