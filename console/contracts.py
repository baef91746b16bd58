"""`alpes topics` and `alpes schemas export`: the public contract, from the code itself."""

import json
from pathlib import Path

import typer

from contracts.topics import COMMAND_TOPICS, EVENT_TOPICS
from contracts.v1 import COMMANDS, EVENTS

schemas = typer.Typer(help="JSON Schemas of the v1 contracts.", no_args_is_help=True)


def topics(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every topic of the contract, with its direction and body type."""
    rows = [("command", n, t, COMMANDS[n].__name__) for n, t in COMMAND_TOPICS.items()]
    rows += [("event", n, t, EVENTS[n].__name__) for n, t in EVENT_TOPICS.items()]
    if as_json:
        typer.echo(json.dumps([dict(zip(("kind", "name", "topic", "schema"), r, strict=True))
                               for r in rows], indent=2))
        return
    for kind, _name, topic, schema in rows:
        typer.echo(f"{kind:<8} {topic}  ({schema})")


@schemas.command("export")
def export(
    out: Path = typer.Option(Path("schemas"), "--out", "-o", help="Folder to write to."),
) -> None:
    """Write one JSON Schema file per v1 command and event (e.g. crear-campana.v1.json)."""
    out.mkdir(parents=True, exist_ok=True)
    for kind, models in (("command", COMMANDS), ("event", EVENTS)):
        for name, model in models.items():
            schema = model.model_json_schema()
            schema["$id"] = f"alpes.campanas.{kind}s.{name}.v1"
            path = out / f"{name}.v1.json"
            path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
            typer.echo(str(path))
