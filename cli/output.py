"""Printing for the CLI: JSON with Korean kept readable, and progress bars on a terminal only."""

from __future__ import annotations

import json
import sys
from typing import Any

import click


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def progress(total: int, desc: str, quiet: bool):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr, silent when not a terminal or with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="", file=sys.stderr, disable=quiet or not sys.stderr.isatty(), leave=False)
