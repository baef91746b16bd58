"""pulsar-lite, the embedded broker, started by the service's own launcher
(adapters.embedded_pulsar) for a test or a benchmark."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.embedded_pulsar import EmbeddedPulsar


@contextmanager
def running_pulsar_lite(data: Path | None = None) -> Iterator[EmbeddedPulsar]:
    """pulsar-lite on a free loopback port, keeping its data in ``data`` (a temporary
    folder, removed at the end, when None), until the block ends. It can be killed and
    started again inside the block; it is stopped at the end whatever its state."""
    folder = data if data is not None else Path(tempfile.mkdtemp(prefix="alpes-pulsar-lite-"))
    lite = EmbeddedPulsar(folder)
    try:
        lite.start()
        yield lite
    finally:
        lite.stop()
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)
