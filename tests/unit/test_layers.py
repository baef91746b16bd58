"""Imports point inward: entry points -> workers (subscribers and wiring) -> adapters ->
application -> domain and contracts. The application core imports only the domain, the
contracts, the standard library and pydantic; the contracts only the standard library
and pydantic."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"contracts", "domain", "application", "adapters", "workers", "console", "migrations", "cli"}
STDLIB = set(sys.stdlib_module_names)

# What each layer may import of ours (itself always), and of third parties.
ALLOWED: dict[str, tuple[set[str], set[str] | None]] = {
    "domain": (set(), set()),
    "contracts": (set(), {"pydantic"}),
    "application": ({"domain", "contracts"}, {"pydantic", "pydantic_core"}),
    "adapters": ({"application", "domain", "contracts"}, None),
    "workers": ({"adapters", "application", "domain", "contracts"}, None),
    "console": ({"workers", "adapters", "application", "domain", "contracts", "migrations"}, None),
}


def imported_roots(module: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"), filename=str(module))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def breaches(layer: str) -> dict[str, list[str]]:
    ours_allowed, third_allowed = ALLOWED[layer]
    found: dict[str, list[str]] = {}
    for module in sorted((ROOT / layer).rglob("*.py")):
        roots = imported_roots(module) - STDLIB - {layer}
        bad = {r for r in roots & OURS if r not in ours_allowed}
        if third_allowed is not None:
            bad |= {r for r in roots - OURS if r not in third_allowed}
        if bad:
            found[str(module.relative_to(ROOT))] = sorted(bad)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_is_inward_of_it(layer: str) -> None:
    assert list((ROOT / layer).rglob("*.py")), f"{layer} has no modules to check"
    assert breaches(layer) == {}


def test_the_checker_would_notice_an_outward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom adapters.database import engine\nimport sqlalchemy\n")
    assert imported_roots(module) - STDLIB == {"adapters", "sqlalchemy"}
