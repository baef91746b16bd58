import pytest

from application.commands.memory import InMemoryState

from .cases import UnitOfWorkCases, World


class TestInMemoryUnitOfWork(UnitOfWorkCases):
    @pytest.fixture
    def world(self) -> World:
        state = InMemoryState()

        async def outbox() -> list:  # type: ignore[type-arg]
            return list(state.outbox)

        return World(state.unit_of_work, outbox)
