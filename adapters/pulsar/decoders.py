"""Decoders a subscriber can choose instead of FastStream's default JSON decoding."""

from typing import Any

from faststream.message import StreamMessage


async def raw_body(message: StreamMessage[Any]) -> bytes:
    """The body as received: for handlers that decode (and judge) the bytes themselves."""
    body: bytes = message.body
    return body
