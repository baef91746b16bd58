"""Reading the dead letters for `alpes trace` and `alpes status`/`top`: like `alpes dlq
list`, through the admin subscription, but a broker that cannot be reached is an answer
(shown in one line), not the command's failure: the database part is still shown."""

import asyncio
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.pulsar import PulsarAdapterError
from workers.dead_letters import Listing, list_dead_letters

from .common import ERROR, broker_access

# The exit code of `alpes trace` and `alpes status` when the dead letters could not be
# read: everything from the database was shown, the broker's part is missing (1, as
# for any command whose broker is away).
PARTIAL = ERROR


@dataclass(frozen=True, slots=True)
class DeadLetterReading:
    listing: Listing | None
    error: str | None = None  # why the dead letters were not read

    @property
    def line(self) -> str:
        """The one line that says the dead letters are missing, and why."""
        return f"dead letters not read: {self.error}"


async def read_dead_letters(
    *, receive_timeout: float = 0.5, connect_timeout: float = 5.0
) -> DeadLetterReading:
    try:
        url, security = broker_access()
        await _reachable(url, connect_timeout)
        listing = await list_dead_letters(
            url,
            security=security,
            receive_timeout=receive_timeout,
            connect_timeout=connect_timeout,
        )
    except (LookupError, PulsarAdapterError, OSError, TimeoutError) as error:
        return DeadLetterReading(None, str(error).splitlines()[0] or type(error).__name__)
    return DeadLetterReading(listing)


async def _reachable(url: str, timeout: float) -> None:
    """Fail fast on a broker that is not listening: pulsar-client would retry until its
    operation timeout (twice the connect timeout) before saying so."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (6651 if parts.scheme == "pulsar+ssl" else 6650)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as error:
        if isinstance(error, TimeoutError):
            reason = f"no answer within {timeout:g}s"
        else:
            reason = os.strerror(error.errno) if error.errno else str(error)
        msg = f"the Pulsar broker at {host}:{port} cannot be reached ({reason}); is it running?"
        raise ConnectionError(msg) from None
    writer.close()
    await writer.wait_closed()
