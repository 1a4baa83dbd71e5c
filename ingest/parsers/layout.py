"""Text layout shared by the parsers: table rows, line endings, blank lines, glyphs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ingest.parsers.glyphs import replace_private_glyphs

CELL_SEPARATOR = " | "

_INNER_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_BLANK_RUN = re.compile(r"\n{3,}")


def cell_text(parts: Iterable[str]) -> str:
    """One table cell on one line: its paragraphs joined by a space."""
    return _INNER_BREAKS.sub(" ", " ".join(p.strip() for p in parts if p.strip())).strip()


def format_rows(rows: Sequence[Sequence[str]]) -> list[str]:
    """Table rows as lines, cells joined by `` | ``; rows whose cells are all empty are dropped."""
    return [CELL_SEPARATOR.join(cells) for cells in rows if any(c.strip() for c in cells)]


def meaningful_title(title: str) -> str:
    """A title a file's metadata carries, or "" when it has no letters (templates often leave "3")."""
    title = " ".join(title.split())
    return title if re.search(r"[^\W\d_]", title) else ""


def finish_text(text: str) -> str:
    """Normalise line endings to ``\\n``, map private-use glyphs, trim line ends, squeeze blank runs."""
    text = replace_private_glyphs(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip("\n")
