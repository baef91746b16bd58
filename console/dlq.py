"""`alpes dlq`: the dead letters the workers parked: list, show, redrive, purge.

Operators read the DLQ topics through their own subscription (alpes-dlq-admin): a
message stays until it is redriven or purged. Exit codes: 0 done, 1 error, 2 usage, 3
nothing matched (nothing was changed).
"""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from adapters.pulsar import PulsarSecurity
from workers.dead_letters import (
    WORKER_SUBSCRIPTIONS,
    DeadLetter,
    NothingMatched,
    Redriven,
    find_dead_letters,
    list_dead_letters,
    purge,
    redrive,
    topics_of,
)
from workers.dead_letters import DeadLetterTopic as Topic

from .common import NOT_FOUND, USAGE, broker_access, emit_json, fail, run
from .tables import print_table

T = TypeVar("T")

app = typer.Typer(
    help="Dead letters: messages the workers gave up on (list, show, redrive, purge).",
    no_args_is_help=True,
)

_SUBSCRIPTION = typer.Option(
    None,
    "--subscription",
    help=f"Only the DLQ topics of this worker subscription ({', '.join(WORKER_SUBSCRIPTIONS)}).",
)
_RECEIVE_TIMEOUT = typer.Option(
    1.0, "--receive-timeout", min=0.05, help="Seconds to wait for each topic's next message."
)
_IDS = typer.Option([], "--id", help="A message id as `alpes dlq list` shows it (repeatable).")
_ALL = typer.Option(False, "--all", help="Every dead letter (of --subscription, if given).")
_DRY_RUN = typer.Option(False, "--dry-run", help="Show what would be done; change nothing.")


def _topics(subscription: str | None) -> list[Topic]:
    try:
        return topics_of(subscription)
    except ValueError as error:
        fail(str(error), USAGE)


def _run(make: Callable[[str, PulsarSecurity], Coroutine[Any, Any, T]]) -> T:
    """Resolve the broker, run the operation; NothingMatched exits 3."""
    try:
        url, security = broker_access()
    except LookupError as error:
        fail(str(error))
    try:
        return run(make(url, security))
    except NothingMatched as error:
        fail(str(error), NOT_FOUND)


def _selection(ids: list[str], everything: bool, verb: str) -> None:
    if everything and ids:
        fail(f"{verb}: give --id or --all, not both", USAGE)
    if not everything and not ids:
        fail(f"{verb} needs a selection: --id MESSAGE_ID (repeatable) or --all", USAGE)


def _where(letter: DeadLetter) -> str:
    return f"{letter.where.short_name}@{letter.message_id}"


def _row(letter: DeadLetter) -> tuple[str, ...]:
    return (
        letter.where.short_name,
        letter.message_id,
        letter.reason or "-",
        letter.exception_type or "-",
        letter.attempts or "-",
        letter.at or "-",
        letter.key or "-",
        letter.preview(),
    )


@app.command("list")
def list_(
    subscription: str | None = _SUBSCRIPTION,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of lines."),
    receive_timeout: float = _RECEIVE_TIMEOUT,
) -> None:
    """A table of the dead letters, then the count per DLQ topic. Nothing is removed.

    A row: DLQ topic, message id, DLQ_REASON, DLQ_EXCEPTION_TYPE, DLQ_ATTEMPTS, DLQ_AT,
    key, the body's first 80 characters.
    """
    topics = _topics(subscription)
    listing = _run(
        lambda url, security: list_dead_letters(
            url, security=security, topics=topics, receive_timeout=receive_timeout
        )
    )
    per_topic = listing.counts()
    counts = {t.short_name: per_topic[t.topic] for t in topics}
    if as_json:
        emit_json(
            {
                "total": len(listing.letters),
                "counts": counts,
                "messages": [letter.summary() for letter in listing.letters],
            }
        )
        return
    if listing.letters:
        print_table(
            ("dlq", "message id", "reason", "exception", "attempts", "parked at", "key", "body"),
            [_row(letter) for letter in listing.letters],
        )
        print_table(("dead letters", "dlq topic"), [(c, n) for n, c in counts.items() if c])
    used = sum(1 for count in counts.values() if count)
    typer.echo(f"{len(listing.letters)} dead letter(s) in {used} of {len(topics)} DLQ topic(s)")


@app.command("show")
def show(
    message_id: str = typer.Argument(..., help="The message id as `alpes dlq list` shows it."),
    subscription: str | None = _SUBSCRIPTION,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of text."),
    receive_timeout: float = _RECEIVE_TIMEOUT,
) -> None:
    """The whole dead letter: every property and the full body. Nothing is removed."""
    topics = _topics(subscription)
    found = _run(
        lambda url, security: find_dead_letters(
            url, message_id, security=security, topics=topics, receive_timeout=receive_timeout
        )
    )
    if len(found) > 1:
        where = ", ".join(letter.where.short_name for letter in found)
        fail(f"ambiguous id {message_id}: it is on {where}; narrow it with --subscription", USAGE)
    [letter] = found
    full = letter.full()
    if as_json:
        emit_json(full)
        return
    properties = full.pop("properties")
    body = full.pop("body")
    full.pop("body_preview")
    for name, value in full.items():
        typer.echo(f"{name}: {value if value is not None else '-'}")
    typer.echo("properties:")
    for name, value in properties.items():
        typer.echo(f"  {name}: {value}")
    typer.echo("body:")
    typer.echo(body)


@app.command("redrive")
def redrive_(
    ids: list[str] = _IDS,
    everything: bool = _ALL,
    subscription: str | None = _SUBSCRIPTION,
    dry_run: bool = _DRY_RUN,
    receive_timeout: float = _RECEIVE_TIMEOUT,
) -> None:
    """Send dead letters back to their real topic, then remove them from the DLQ.

    Payload, key and properties go as they were, without the DLQ_* ones, plus
    redriven_from and redriven_at. Each copy is stored before its dead letter is removed.
    """
    _selection(ids, everything, "redrive")
    topics = _topics(subscription)

    def report(done: Redriven) -> None:
        target = done.topic.rsplit("/", 1)[-1]
        if done.new_message_id is None:
            typer.echo(f"would redrive {_where(done.letter)} -> {target}")
        else:
            typer.echo(f"redriven {_where(done.letter)} -> {target} as {done.new_message_id}")

    done = _run(
        lambda url, security: redrive(
            url,
            ids=ids,
            everything=everything,
            dry_run=dry_run,
            security=security,
            topics=topics,
            receive_timeout=receive_timeout,
            on_each=report,
        )
    )
    if dry_run:
        typer.echo(f"dry run: {len(done)} dead letter(s) would be redriven; nothing changed")
    else:
        typer.echo(f"{len(done)} dead letter(s) redriven")


@app.command("purge")
def purge_(
    ids: list[str] = _IDS,
    everything: bool = _ALL,
    subscription: str | None = _SUBSCRIPTION,
    dry_run: bool = _DRY_RUN,
    receive_timeout: float = _RECEIVE_TIMEOUT,
) -> None:
    """Drop dead letters for good (acknowledge them on the admin subscription)."""
    _selection(ids, everything, "purge")
    topics = _topics(subscription)
    dropped = _run(
        lambda url, security: purge(
            url,
            ids=ids,
            everything=everything,
            dry_run=dry_run,
            security=security,
            topics=topics,
            receive_timeout=receive_timeout,
        )
    )
    verb = "would purge" if dry_run else "purged"
    for letter in dropped:
        typer.echo(f"{verb} {_where(letter)}")
    if dry_run:
        typer.echo(f"dry run: {len(dropped)} dead letter(s) would be purged; nothing changed")
    else:
        typer.echo(f"{len(dropped)} dead letter(s) purged")
