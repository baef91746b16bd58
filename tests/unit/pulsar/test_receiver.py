"""The receive that times out must not lose the message that arrives afterwards."""

import asyncio

from adapters.pulsar.receiver import Receiver


class SlowConsumer:
    """Mimics pulsar.asyncio.Consumer: a cancelled receive loses the next message."""

    def __init__(self) -> None:
        self.waiters: list[asyncio.Future[str]] = []
        self.closed = False

    async def receive(self) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        return await future

    def deliver(self, message: str) -> bool:
        """Hand ``message`` to the oldest registered receive, like the C++ callback."""
        future = self.waiters.pop(0)
        if future.done():  # cancelled: the message is gone
            return False
        future.set_result(message)
        return True

    async def close(self) -> None:
        self.closed = True
        for future in self.waiters:
            if not future.done():
                future.set_exception(RuntimeError("AlreadyClosed"))


async def test_timeouts_keep_one_receive_pending_and_the_next_message_arrives() -> None:
    consumer = SlowConsumer()
    receiver = Receiver(consumer)  # type: ignore[arg-type]
    for _ in range(5):
        assert await receiver.receive(timeout=0.01) is None
    assert len(consumer.waiters) == 1, "each timeout registered a new receive"
    assert consumer.deliver("m1") is True
    assert await receiver.receive(timeout=1) == "m1"


async def test_a_cancelled_caller_does_not_cancel_the_pending_receive() -> None:
    consumer = SlowConsumer()
    receiver = Receiver(consumer)  # type: ignore[arg-type]
    caller = asyncio.ensure_future(receiver.receive())
    await asyncio.sleep(0.01)
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    assert consumer.deliver("m2") is True
    assert await receiver.receive(timeout=1) == "m2"


async def test_close_settles_the_pending_receive() -> None:
    consumer = SlowConsumer()
    receiver = Receiver(consumer)  # type: ignore[arg-type]
    assert await receiver.receive(timeout=0.01) is None
    await receiver.close()
    assert consumer.closed
