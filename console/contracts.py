"""`alpes topics` and `alpes schemas export`: the public contract, from the code itself."""

import json
from pathlib import Path

import typer

from contracts.asyncapi import document
from contracts.catalog import json_schemas, messages

from .tables import print_table

schemas = typer.Typer(
    help="JSON Schemas and the AsyncAPI document of the contract.", no_args_is_help=True
)

ASYNCAPI_FILE = "asyncapi.json"


def topics(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every topic of the contract, both versions, with direction and body type."""
    rows = [
        {
            "version": m.version,
            "kind": m.kind,
            "name": m.name,
            "topic": m.topic,
            "schema": m.body.__name__,
            "deprecated": m.deprecated,
        }
        for m in messages()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    print_table(
        ("version", "kind", "name", "topic", "schema"),
        [
            (
                f"v{r['version']}" + (" (deprecated)" if r["deprecated"] else ""),
                r["kind"],
                r["name"],
                r["topic"],
                r["schema"],
            )
            for r in rows
        ],
    )


@schemas.command("export")
def export(
    out: Path = typer.Option(Path("schemas"), "--out", "-o", help="Folder to write to."),
) -> None:
    """Write the JSON Schema of every message body and of every version's properties
    (v2/commands/crear-campana.json, v1/properties/event.json, ...) and the AsyncAPI
    document (asyncapi.json)."""
    files = {path: schema for path, schema in json_schemas().items()}
    files[ASYNCAPI_FILE] = document()
    for path, content in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        typer.echo(str(target))
