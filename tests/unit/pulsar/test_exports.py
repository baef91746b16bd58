"""Code outside the adapter takes what it needs from ``adapters.pulsar``, never from
``faststream._internal`` (which changes within FastStream's patch releases)."""

import ast
from collections.abc import Iterator
from pathlib import Path

from faststream._internal.context.repository import ContextRepo

import adapters.pulsar
from adapters.pulsar import PulsarBroker

ROOT = Path(__file__).resolve().parents[3]
OUTSIDE_THE_ADAPTER = (
    "workers",
    "console",
    "contracts",
    "domain",
    "migrations",
    "adapters",
    "bench",
    "cli.py",
)
ADAPTER = ROOT / "adapters" / "pulsar"


def internal_imports() -> Iterator[tuple[str, str]]:
    """(file, name) of each name imported from faststream._internal outside the adapter."""
    for folder in OUTSIDE_THE_ADAPTER:
        where_to_look = ROOT / folder
        paths = [where_to_look] if where_to_look.is_file() else where_to_look.rglob("*.py")
        for path in sorted(paths):
            if path.is_relative_to(ADAPTER):
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                where = str(path.relative_to(ROOT))
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "faststream._internal"
                ):
                    yield from ((where, alias.name) for alias in node.names)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("faststream._internal"):
                            yield where, alias.name


def test_every_exported_name_resolves() -> None:
    for name in adapters.pulsar.__all__:
        assert hasattr(adapters.pulsar, name), name


def test_the_context_repo_exported_is_faststreams_and_the_brokers() -> None:
    assert adapters.pulsar.ContextRepo is ContextRepo
    assert isinstance(PulsarBroker().context, adapters.pulsar.ContextRepo)


def test_whatever_is_taken_from_faststream_internal_is_exported_by_the_adapter() -> None:
    missing = [
        f"{where}: {name}"
        for where, name in internal_imports()
        if not hasattr(adapters.pulsar, name)
    ]
    assert missing == [], "import these from adapters.pulsar (export them there first)"
