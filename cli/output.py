"""Printing for the CLI: JSON with Korean kept readable, and progress bars on a terminal only."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def progress(total: int, desc: str, quiet: bool, unit: str = "", position: int = 0):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr, silent when not a terminal or with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=quiet or not sys.stderr.isatty(),
                leave=False, position=position)


def set_total(bar: Any) -> Callable[[int], None]:
    """A callback that gives a bar its total once it is known (files found, chunks to embed)."""

    def update(total: int) -> None:
        bar.reset(total=total)

    return update


def format_table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns, e.g. the summary at the end of ``briefqa ingest``.

    >>> print(format_table([("files", "3"), ("seconds", "1.2")]))
    files    3
    seconds  1.2
    """
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)
