"""Tables for people: a header, aligned columns, nothing cut (however narrow the terminal
or when the output goes to a file)."""

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(*headers, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    for row in texts:
        table.add_row(*row)
    widths = [max([len(h), *(len(row[i]) for row in texts)]) for i, h in enumerate(headers)]
    # Wide enough for every cell (each column also takes a separator and padding either
    # side): a table is never wrapped or cut with an ellipsis; it takes only what it needs.
    console = Console(width=max(80, sum(widths) + 4 * len(widths)), highlight=False)
    console.print(table)
