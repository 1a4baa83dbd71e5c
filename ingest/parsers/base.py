"""What every parser returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Extracted text of one file.

    Tables come out one row per line with cells joined by `` | ``, so the chunker can keep a
    row whole. ``page_starts`` holds the offset in ``text`` where each page begins (PDF only).
    """

    text: str
    format: str  # "txt", "hwp", "hwpx", "pdf", "docx", "html"
    title: str = ""  # a title the format itself carries, "" when none
    page_starts: tuple[int, ...] = ()
