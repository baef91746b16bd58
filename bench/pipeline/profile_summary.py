"""A text summary of py-spy's raw stacks: busy samples per thread, self time by package,
the named stages of each worker, the top functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Leaf frames of a thread that waits (py-spy's idle detection misses some of them).
_IDLE_LEAVES = (
    "Condition.wait (threading.py",
    "Queue.get (queue.py",
    "EpollSelector.select (selectors.py",
    "Event.wait (threading.py",
    "sleep (",
)


# (label, frame prefix) of the stages worth naming, for each worker; inclusive shares.
COMMAND_STAGES = (
    (
        "FastStream per-message pipeline (process_message, incl. handler)",
        "SubscriberUsecase.process_message (faststream/",
    ),
    (
        "  Context() argument resolved in a thread pool (fast_depends)",
        "run_in_threadpool (fast_depends/",
    ),
    (
        "  the handler (workers/commands.py), awaiting its batch",
        "_handler.<locals>.handle (",
    ),
    ("receive loop: pulsar Consumer.receive (one per batch)", "Consumer.receive (pulsar/"),
    ("receive loop: the rest of the batch, prefetched", "take_ready (adapters/pulsar/native.py"),
    ("acknowledgement (grouped by the client)", "acknowledge (adapters/pulsar/native.py"),
    ("one batch transaction (_in_one_transaction)", "BatchingProcessor._in_one_transaction ("),
    ("  apply each command (decode, domain, events)", "apply_in (application/commands/handler.py"),
    ("    pydantic: validate the command body", "BaseModel.model_validate_json (pydantic/"),
    ("    pydantic: serialise the event", "BaseModel.model_dump_json (pydantic/"),
    ("    domain: Campana.crear", "Campana.crear (domain/"),
    ("  load: SELECTs of the batch", "load (adapters/database/batch.py"),
    ("  write: INSERTs of the batch", "write (adapters/database/"),
    ("SQLAlchemy, all statements (main thread)", "AsyncConnection.execute (sqlalchemy/"),
    ("commit", "AsyncTransaction.__aexit__ (sqlalchemy/"),
)


RELAY_STAGES = (
    ("relay_once: one relay batch", "OutboxRelay.relay_once (application/relay.py"),
    ("  fetch_pending: SELECT of pending rows", "fetch_pending (adapters/database/outbox_store.py"),
    ("  send: broker.send_many per round", "PulsarBroker.send_many (adapters/pulsar/"),
    ("    pulsar-client send_async calls", "send_all (adapters/pulsar/native.py"),
    ("  mark_published: UPDATE of the batch", "mark_published (adapters/database/outbox_store.py"),
    ("hold_lease: the relay lease", "hold_lease (adapters/database/outbox_store.py"),
    ("SQLAlchemy, all statements (main thread)", "AsyncConnection.execute (sqlalchemy/"),
)


_PACKAGES = (
    ("our code", ("workers/", "application/", "adapters/", "domain/", "contracts/", "console/")),
    ("FastStream + fast_depends", ("faststream/", "fast_depends/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("SQLite driver (aiosqlite, sqlite3 C inside)", ("aiosqlite/",)),
    ("PostgreSQL driver (asyncpg)", ("asyncpg/",)),
    ("pulsar-client (Python side, C++ calls inside)", ("pulsar/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("anyio (thread pool)", ("anyio/",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
    ("threading / queue", ("threading.py", "queue.py")),
)


def _frame_file(frame: str) -> str:
    start = frame.rfind(" (")
    return frame[start + 2 :] if start >= 0 else frame


def _package(frame: str) -> str:
    path = _frame_file(frame)
    for label, prefixes in _PACKAGES:
        if path.startswith(prefixes):
            return label
    return "other (stdlib: json, uuid, hashlib, dataclasses...)"


def _thread_role(head: str) -> str:
    name = head.split(":", 1)[1].strip() if ":" in head else head
    if name == "MainThread":
        return "event loop (main thread)"
    if "AnyIO worker thread" in name:
        return "anyio worker threads (fast_depends thread pool)"
    if "_connection_worker_thread" in name:
        return "aiosqlite connection thread"
    return "other threads"


def summarize_profile(path: Path, stages: Sequence[tuple[str, str]], top: int = 12) -> list[str]:
    """Text summary of a py-spy ``--format raw --threads`` file: busy samples per thread,
    self time by package, named stages (inclusive) and the top self-time functions."""
    threads: dict[str, int] = {}
    packages: dict[str, int] = {}
    stage_hits = dict.fromkeys((label for label, _ in stages), 0)
    leaves: dict[str, int] = {}
    busy = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        head, *frames = stack.split(";")
        if not frames:
            continue
        leaf = frames[-1]
        if leaf.startswith(_IDLE_LEAVES):
            idle += count
            continue
        busy += count
        role = _thread_role(head)
        threads[role] = threads.get(role, 0) + count
        packages[_package(leaf)] = packages.get(_package(leaf), 0) + count
        name = leaf.rsplit(":", 1)[0] + ")"
        leaves[name] = leaves.get(name, 0) + count
        for label, prefix in stages:
            if any(f.startswith(prefix) for f in frames):
                stage_hits[label] += count
    if not busy:
        return ["  (no busy samples)"]

    def pct(v: int) -> str:
        return f"{100 * v / busy:5.1f} %"

    out = [f"  {busy} busy samples ({idle} idle ones left out)", "  by thread:"]
    out += [f"    {pct(v)}  {k}" for k, v in sorted(threads.items(), key=lambda kv: -kv[1])]
    out.append("  self time by package (the frame on top of the stack):")
    out += [f"    {pct(v)}  {k}" for k, v in sorted(packages.items(), key=lambda kv: -kv[1])]
    out.append("  stages (inclusive: the stage's frame anywhere on the stack):")
    out += [f"    {pct(v)}  {k}" for k, v in stage_hits.items()]
    out.append(f"  top {top} functions by self time:")
    out += [f"    {pct(v)}  {k}" for k, v in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]]
    return out
