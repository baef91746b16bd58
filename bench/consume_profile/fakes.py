"""An in-memory message and a settler that does nothing, to run FastStream's pipeline
without a broker."""

from __future__ import annotations

from typing import Any

from bench.broker.settings import SUBSCRIPTION


class FakeMessage:
    __slots__ = ("_payload",)

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def data(self) -> bytes:
        return self._payload

    def properties(self) -> dict[str, str]:
        return {"correlation_id": "0b1c6c62-2c1c-4c55-9d2e-6a8e4d1f7a11"}

    def partition_key(self) -> str:
        return ""

    def ordering_key(self) -> str:
        return ""

    def message_id(self) -> str:
        return "(12,34,-1,-1)"

    def topic_name(self) -> str:
        return "persistent://public/default/x"

    def redelivery_count(self) -> int:
        return 0

    def event_timestamp(self) -> int:
        return 0

    def publish_timestamp(self) -> int:
        return 0


class FakeSettler:
    subscription = SUBSCRIPTION
    max_redeliveries: int | None = 5

    async def ack(self, message: Any) -> None:
        return None

    async def nack(self, message: Any) -> None:
        return None

    async def dead_letter(self, message: Any, reason: dict[str, str]) -> None:
        return None
