"""Tables for people, as every command prints them: a header, aligned columns, text printed
as it is; times and ages written one way, and reading `--since`."""

import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

# Where output is not a terminal (a pipe, a file), tables get this width unless COLUMNS
# says otherwise: wide enough for a topic name and an event id side by side.
PIPE_WIDTH = 200

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def stdout() -> Console:
    """The console tables go to. Text is printed as it is: what looks like Rich markup or
    an emoji code in a message or a body (``[/x]``, ``:smile:``) is data, not style."""
    plain: dict[str, Any] = {"markup": False, "emoji": False, "highlight": False}
    terminal = Console(**plain)
    if terminal.is_terminal:
        return terminal
    width = os.environ.get("COLUMNS", "")
    return Console(width=int(width) if width.isdigit() else PIPE_WIDTH, **plain)


def show(renderable: RenderableType) -> None:
    """Print to stdout: as Rich draws it on a terminal; elsewhere (a pipe, a file) without
    the spaces Rich pads each line with, so that the text greps and diffs cleanly."""
    console = stdout()
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    lines = captured.get().splitlines()
    sys.stdout.write("".join(line.rstrip() + "\n" for line in lines))
    sys.stdout.flush()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain listing that is never cut: however narrow the terminal, or in a file."""
    grid = Table(*headers, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    for row in texts:
        grid.add_row(*(Text(cell) for cell in row))
    widths = [max([len(h), *(len(row[i]) for row in texts)]) for i, h in enumerate(headers)]
    # Wide enough for every cell (each column also takes a separator and padding either
    # side): a table is never wrapped or cut with an ellipsis; it takes only what it needs.
    console = Console(
        width=max(80, sum(widths) + 4 * len(widths)), markup=False, emoji=False, highlight=False
    )
    with console.capture() as captured:
        console.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    sys.stdout.flush()


def table(title: str, *columns: str, no_wrap: tuple[str, ...] = ()) -> Table:
    """A table with a title and a header; the ``no_wrap`` columns are never folded (the
    others are, when the terminal is narrow)."""
    grid = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        header_style="bold",
        pad_edge=False,
        min_width=len(title),
    )
    for column in columns:
        grid.add_column(column, overflow="fold", no_wrap=column in no_wrap)
    return grid


def sections(*parts: RenderableType) -> Group:
    """Parts one under the other, a blank line between them."""
    spaced: list[RenderableType] = []
    for part in parts:
        if spaced:
            spaced.append(Text(""))
        spaced.append(part)
    return Group(*spaced)


def when(moment: datetime | None, missing: str = "-") -> str:
    """UTC, to the millisecond: 2026-12-06T10:00:01.123Z."""
    if moment is None:
        return missing
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ago(seconds: float | None, missing: str = "-") -> str:
    """A duration for people: 0.4s, 12s, 4m05s, 2h03m, 3d04h."""
    if seconds is None:
        return missing
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def short_topic(topic: str) -> str:
    """persistent://public/default/alpes.campanas.eventos.v2 -> alpes.campanas.eventos.v2"""
    return topic.rsplit("/", 1)[-1]


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A moment: ISO-8601 (UTC unless it names an offset), or a duration back from now
    (``90s``, ``10m``, ``2h``, ``1d``, or combined: ``1h30m``). Raises ValueError saying
    what is accepted."""
    value = text.strip()
    moment = now or datetime.now(UTC)
    if value and _DURATION.sub("", value) == "" and _DURATION.match(value):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(value))
        return moment - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = (
            f"{text!r} is neither a duration (e.g. 90s, 10m, 2h, 1d, 1h30m) nor an ISO-8601 "
            "time (e.g. 2026-12-06T10:00:00Z)"
        )
        raise ValueError(msg) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
