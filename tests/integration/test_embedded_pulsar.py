"""The embedded broker: a leftover pulsar-lite on the same folder is replaced, not fought."""

from pathlib import Path

import pytest

from adapters.embedded_pulsar import EmbeddedPulsar

pytestmark = pytest.mark.pulsar_lite


def test_a_broker_left_running_by_a_killed_process_is_stopped_before_a_new_start(
    tmp_path: Path,
) -> None:
    # An orphan: started, then its owner "dies" without stopping it.
    orphan = EmbeddedPulsar(tmp_path)
    orphan.start()
    orphan_pid = orphan.pid
    assert orphan_pid is not None
    orphan._process = None  # forgotten, as by a SIGKILLed parent

    fresh = EmbeddedPulsar(tmp_path)
    try:
        fresh.start()
        assert fresh.running
        assert fresh.pid != orphan_pid
        status = Path(f"/proc/{orphan_pid}/status")
        assert not status.exists() or "zombie" in status.read_text()
    finally:
        fresh.stop()
    assert not (tmp_path / "pulsar-lite.pid").exists()
