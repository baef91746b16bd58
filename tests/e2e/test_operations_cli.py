"""`alpes trace`, `alpes command list`, `alpes status` and `alpes top` as an operator uses
them: `alpes dev` runs the service, commands are sent with one correlation id (one
applied, one rejected, one not even JSON, which is also dead-lettered), and the CLI, run
as a subprocess, shows what happened to them."""

import asyncio
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.embedded_pulsar import free_port
from contracts.topics import COMMANDS_V2, EVENT_TOPICS, EVENTS_V2
from tests.support.cli import ALPES, alpes, env_for, running_dev
from tests.support.raw import raw_client
from workers.bootstrap import WORKERS
from workers.commands import SUBSCRIPTION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "contracts" / "v2" / "examples" / "crear-campana.json"
V2_DLQ = f"{COMMANDS_V2}-{SUBSCRIPTION}-DLQ".rsplit("/", 1)[-1]

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(300)]


@dataclass(frozen=True)
class Sent:
    folder: Path
    correlation_id: str
    created: str  # command ids
    rejected: str
    malformed: str


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from running_dev(tmp_path_factory.mktemp("operations"))


async def send_malformed(url: str, correlation_id: str, command_id: str) -> None:
    async with raw_client(url) as client:
        producer = await client.create_producer(COMMANDS_V2, batching_enabled=False)
        properties = {
            "command_type": "crear-campana",
            "command_id": command_id,
            "correlation_id": correlation_id,
        }
        await producer.send(b"not json {", properties=properties, partition_key="c-12345")
        await producer.close()


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def as_json(result: subprocess.CompletedProcess[str], code: int = 0) -> Any:
    assert result.returncode == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def trace_until(folder: Path, correlation_id: str, done: Any, *args: str) -> dict[str, Any]:
    """`alpes trace --json` again until ``done(trace)`` (the relay and the projector run
    behind the command log)."""
    deadline = time.monotonic() + 60
    while True:
        found: dict[str, Any] = as_json(alpes(folder, "trace", correlation_id, "--json", *args))
        if done(found):
            return found
        assert time.monotonic() < deadline, json.dumps(found, indent=2)
        time.sleep(0.5)


def settled(trace: dict[str, Any]) -> bool:
    events = [e for c in trace["commands"] for e in c["events"]]
    return (
        len(trace["commands"]) == 3
        and all(d["published_at"] for e in events for d in e["deliveries"])
        and all(c["view"] for c in trace["campaigns"] if c["id"] == "c-12345")
        and len(trace["dead_letters"]["messages"]) == 1
    )


@pytest.fixture(scope="module")
def sent(dev: Path) -> Sent:
    correlation_id = f"order-{uuid.uuid4().hex[:8]}"
    tagged = ("--wait", "--correlation-id", correlation_id)
    created = alpes(
        dev,
        "campaign",
        "create",
        "--file",
        str(EXAMPLE),
        *tagged,
        "--command-id",
        f"create-{correlation_id}",
    )
    assert created.returncode == 0, created.stderr
    rejected = alpes(
        dev, "campaign", "pause", "c-nope", *tagged, "--command-id", f"pause-{correlation_id}"
    )
    assert rejected.returncode == 4, rejected.stderr
    url = (dev / "pulsar-lite" / "url").read_text().strip()
    asyncio.run(send_malformed(url, correlation_id, f"bad-{correlation_id}"))
    trace_until(dev, correlation_id, settled)
    return Sent(
        dev,
        correlation_id,
        f"create-{correlation_id}",
        f"pause-{correlation_id}",
        f"bad-{correlation_id}",
    )


def test_trace_shows_the_commands_their_events_the_campaigns_and_the_dead_letter(
    sent: Sent,
) -> None:
    trace = trace_until(sent.folder, sent.correlation_id, settled)

    assert trace["correlation_id"] == sent.correlation_id
    assert [(c["command_id"], c["status"], c["reason"]) for c in trace["commands"]] == [
        (sent.created, "applied", None),
        (sent.rejected, "rejected", "UNKNOWN_CAMPAIGN"),
        (sent.malformed, "rejected", "MALFORMED_MESSAGE"),
    ]
    create, pause, bad = trace["commands"]
    [creada] = create["events"]
    assert creada["event_id"] == create["event_ids"][0]
    assert (creada["event_type"], creada["aggregate_version"]) == ("campana-creada", 1)
    # Once, with both topics it went to, each published.
    assert [d["topic"] for d in creada["deliveries"]] == [
        EVENTS_V2,
        EVENT_TOPICS["campana-creada"],
    ]
    assert all(d["published_at"] for d in creada["deliveries"])
    for rejected in (pause, bad):
        [event] = rejected["events"]
        assert (event["event_type"], event["aggregate_version"]) == ("comando-rechazado", None)
    assert bad["campana_id"] is None
    views = {c["id"]: c["view"] for c in trace["campaigns"]}
    assert set(views) == {"c-12345", "c-nope"}
    assert (views["c-12345"]["estado"], views["c-12345"]["version"]) == ("draft", 1)
    assert views["c-nope"] is None
    letters = trace["dead_letters"]
    assert (letters["read"], letters["error"]) == (True, None)
    [letter] = letters["messages"]
    assert (letter["dlq"], letter["reason"], letter["correlation_id"]) == (
        V2_DLQ,
        "malformed_message",
        sent.correlation_id,
    )
    assert letter["body_preview"] == "not json {"


def test_trace_as_tables_has_headers_and_each_event_once(sent: Sent) -> None:
    result = alpes(sent.folder, "trace", sent.correlation_id)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for header in (
        "Command id",
        "Outcome",
        "Event id",
        "Topic",
        "Published",
        "Estado",
        "DLQ topic",
    ):
        assert header in out
    trace = as_json(alpes(sent.folder, "trace", sent.correlation_id, "--json"))
    event_id = trace["commands"][0]["event_ids"][0]
    assert out.count(event_id) == 1
    # Each topic by its short name on its own line, its publication time beside it.
    assert re.search(
        rf"{event_id} +campana-creada +1 .* alpes\.campanas\.eventos\.v2 +20\d\d-", out
    )
    assert re.search(r"\n +alpes\.campanas\.eventos\.campana-creada\.v1 +20\d\d-", out)
    assert not re.search(r" +\n", out)  # no padding at the ends of lines in a pipe
    assert "UNKNOWN_CAMPAIGN" in out
    assert "not in the read store" in out


def test_trace_of_a_correlation_id_nobody_used_exits_3(sent: Sent) -> None:
    result = alpes(sent.folder, "trace", "nobody-used-this")
    assert result.returncode == 3
    assert "nobody-used-this" in one_line_error(result)
    assert result.stdout == ""


def test_trace_without_the_broker_says_so_in_one_line_shows_the_database_and_exits_1(
    sent: Sent,
) -> None:
    port = free_port()
    away = {"ALPES_PULSAR_URL": f"pulsar://127.0.0.1:{port}", "ALPES_PULSAR_FLAVOR": "lite"}

    result = alpes(sent.folder, "trace", sent.correlation_id, "--json", env=away)

    trace = as_json(result, code=1)
    assert len(trace["commands"]) == 3
    assert trace["dead_letters"]["read"] is False
    line = one_line_error(result)
    assert line.startswith("dead letters not read: ")
    assert f"127.0.0.1:{port}" in line
    human = alpes(sent.folder, "trace", sent.correlation_id, env=away)
    assert human.returncode == 1
    assert "Command id" in human.stdout
    assert "DLQ topic" not in human.stdout
    assert one_line_error(human) == line
    skipped = alpes(sent.folder, "trace", sent.correlation_id, "--no-dlq", "--json", env=away)
    assert as_json(skipped)["dead_letters"]["read"] is False


def test_command_list_filters_combine_newest_first(sent: Sent) -> None:
    def ids(*args: str) -> list[str]:
        found = as_json(alpes(sent.folder, "command", "list", "--json", *args))
        return [c["command_id"] for c in found]

    mine = ("--correlation-id", sent.correlation_id)
    assert ids(*mine) == [sent.malformed, sent.rejected, sent.created]
    assert ids(*mine, "--status", "rejected") == [sent.malformed, sent.rejected]
    assert ids(*mine, "--status", "applied", "--campaign", "c-12345") == [sent.created]
    assert ids(*mine, "--campaign", "c-nope") == [sent.rejected]
    assert ids(*mine, "--since", "1h") == [sent.malformed, sent.rejected, sent.created]
    assert ids(*mine, "--since", "2999-01-01T00:00:00Z") == []
    assert ids(*mine, "--limit", "1") == [sent.malformed]
    table = alpes(sent.folder, "command", "list", *mine)
    assert table.returncode == 0, table.stderr
    assert "Processed" in table.stdout
    assert "Correlation id" in table.stdout
    assert sent.created in table.stdout


def test_status_shows_rates_outbox_lag_dead_letters_and_the_dev_process(sent: Sent) -> None:
    status = as_json(alpes(sent.folder, "status", "--json", "--window", "3600"))

    counts = status["commands"]["counts"]
    assert counts["applied"] >= 1
    assert counts["rejected"] >= 2
    assert status["commands"]["per_second"]["rejected"] == round(counts["rejected"] / 3600, 3)
    assert status["outbox"]["pending"] == 0
    assert status["projection"]["behind"] == 0
    assert status["dead_letters"]["read"] is True
    assert status["dead_letters"]["depth"][V2_DLQ] >= 1
    assert all(count > 0 for count in status["dead_letters"]["depth"].values())
    [process] = status["workers"]["processes"]
    assert process["roles"] == list(WORKERS)
    assert process["seconds_since_seen"] < 30
    assert "password" not in json.dumps(status)

    human = alpes(sent.folder, "status")
    assert human.returncode == 0, human.stderr
    for header in ("Outcome", "Pending rows", "Not yet projected", "DLQ topic", "Roles"):
        assert header in human.stdout
    assert V2_DLQ in human.stdout


def test_top_prints_one_frame_after_another_when_not_on_a_terminal(sent: Sent) -> None:
    result = alpes(sent.folder, "top", "--iterations", "3", "--refresh", "0.2", "--no-dlq")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("alpes top at") == 3
    assert result.stdout.count("Pending rows") == 3
    assert "not read (--no-dlq)" in result.stdout


def test_top_on_a_terminal_refreshes_in_place_until_ctrl_c(sent: Sent) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 180, 0, 0))
    env = env_for(sent.folder) | {"TERM": "xterm-256color", "COLUMNS": "180", "LINES": "60"}
    process = subprocess.Popen(
        [*ALPES, "top", "--refresh", "0.2", "--dlq-every", "1"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=sent.folder,
    )
    os.close(terminal)
    screen = b""

    def read_for(seconds: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    screen += os.read(controller, 65536)
                except OSError:
                    return

    try:
        deadline = time.monotonic() + 60
        while screen.count(b"alpes top at") < 3 or V2_DLQ.encode() not in screen:
            assert process.poll() is None, screen.decode(errors="replace")
            assert time.monotonic() < deadline, screen.decode(errors="replace")
            read_for(0.5)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert process.wait(30) == 0, screen.decode(errors="replace")
        read_for(0.5)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    text = screen.decode(errors="replace")
    assert "\x1b[1A" in text  # the cursor goes back up: the frame is redrawn in place
    assert "Worker processes" in text
    assert "Traceback" not in text


def test_bad_options_are_one_line_errors_naming_the_option(tmp_path: Path) -> None:
    cases = [
        (["command", "list", "--status", "done"], "--status"),
        (["command", "list", "--since", "yesterday"], "--since"),
        (["command", "list", "--limit", "0"], "--limit"),
        (["trace", "x", "--limit", "0"], "--limit"),
        (["status", "--window", "0"], "--window"),
        (["top", "--refresh", "0"], "--refresh"),
        (["top", "--iterations", "-1"], "--iterations"),
    ]
    for args, option in cases:
        result = alpes(tmp_path, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert option in one_line_error(result), args


def test_each_worker_process_is_listed_while_it_runs_and_leaves_when_stopped(
    tmp_path: Path,
) -> None:
    service = running_dev(tmp_path)
    folder = next(service)

    def processes() -> list[dict[str, Any]]:
        status = as_json(alpes(folder, "status", "--json", "--no-dlq"))
        found: list[dict[str, Any]] = status["workers"]["processes"]
        return found

    def until(count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 30
        while len(seen := processes()) != count:  # the first beat comes as workers start
            assert time.monotonic() < deadline, seen
            time.sleep(0.2)
        return seen

    [dev_process] = until(1)
    assert dev_process["roles"] == list(WORKERS)
    # A second process, as `alpes worker run` starts it: a relay standing by.
    url = (folder / "pulsar-lite" / "url").read_text().strip()
    relay = subprocess.Popen(
        [*ALPES, "worker", "run", "relay"],
        env=env_for(folder) | {"ALPES_PULSAR_URL": url, "ALPES_PULSAR_FLAVOR": "lite"},
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        both = until(2)
        assert [p["roles"] for p in both] == [list(WORKERS), ["relay"]]  # oldest start first
        assert both[1]["pid"] == relay.pid
    finally:
        relay.send_signal(signal.SIGTERM)
        _, errors = relay.communicate(timeout=30)
    assert relay.returncode == 0, errors
    assert [p["id"] for p in processes()] == [dev_process["id"]]
    with pytest.raises(StopIteration):
        next(service)  # SIGTERM, exit 0
    assert processes() == []
