"""The example body of each command, as shipped in contracts/v<N>/examples/."""

from pathlib import Path

ROOT = Path(__file__).parent
EXAMPLES = ROOT / "v1" / "examples"


def examples_dir(version: int) -> Path:
    return ROOT / f"v{version}" / "examples"


def example(command: str, version: int = 1) -> bytes:
    return (examples_dir(version) / f"{command}.json").read_bytes()
