"""The domain imports only the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import domain

PAQUETE = Path(domain.__file__).parent
PERMITIDOS = set(sys.stdlib_module_names) | {"domain"}


def _raices_importadas(modulo: Path) -> set[str]:
    raices: set[str] = set()
    for nodo in ast.walk(ast.parse(modulo.read_text(encoding="utf-8"), filename=str(modulo))):
        if isinstance(nodo, ast.Import):
            raices.update(alias.name.split(".")[0] for alias in nodo.names)
        elif isinstance(nodo, ast.ImportFrom) and nodo.level == 0 and nodo.module:
            raices.add(nodo.module.split(".")[0])
    return raices


def test_the_domain_package_has_modules_to_check() -> None:
    assert len(list(PAQUETE.rglob("*.py"))) >= 7


def test_every_domain_module_imports_only_the_standard_library_and_domain() -> None:
    ajenos = {
        str(modulo.relative_to(PAQUETE.parent)): sorted(_raices_importadas(modulo) - PERMITIDOS)
        for modulo in sorted(PAQUETE.rglob("*.py"))
    }
    assert {m: r for m, r in ajenos.items() if r} == {}


def test_the_checker_would_notice_a_third_party_import(tmp_path: Path) -> None:
    modulo = tmp_path / "m.py"
    modulo.write_text("import os\nfrom pydantic import BaseModel\nfrom . import x\n")
    assert _raices_importadas(modulo) - PERMITIDOS == {"pydantic"}
