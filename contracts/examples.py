"""The example body of each v1 command, as shipped in contracts/v1/examples/."""

from pathlib import Path

EXAMPLES = Path(__file__).parent / "v1" / "examples"


def example(command: str) -> bytes:
    return (EXAMPLES / f"{command}.json").read_bytes()
