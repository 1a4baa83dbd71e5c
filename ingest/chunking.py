"""Structure-aware chunking with exact character offsets.

A chunk is a run of whole lines (a table row is never split) of about ``target_chars``;
a line longer than the limit is split at Korean sentence ends. ``text[c.start:c.end] == c.text``
always holds, so citations quote the release exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.records import Chunk

# A table row: markdown/pipe rows, HTML rows, or a `<table>` line.
_TABLE_LINE = re.compile(r"^\s*(\||<t[rdh]|</?table|<tr)|\s\|\s|\|\s*$")
# Sentence ends: "...다." "...함." "...음." or ?/! followed by space; also before a new bullet.
_SENTENCE_END = re.compile(r"(?<=[다함음됨임요]\.)\s+|(?<=[?!])\s+|\s+(?=[□ㅇ○◦▶◇\-※*] )")
_HEADING = re.compile(r"^\s*(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\.|\d{1,2}\.\s|[□■◇◆▶]|<\s*[^<>]{2,40}\s*>|【)")
_ATTACHMENT = re.compile(r"^\s*(?:\[?\s*)?(붙임|별첨|참고)\s*\d*\s*[\]:：|]?")


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int
    end: int
    is_table: bool


def is_table_line(line: str) -> bool:
    return bool(_TABLE_LINE.search(line))


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Split one long prose line at sentence ends, then hard at ``limit`` as a last resort."""
    seg_start = start
    cut = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.start() - seg_start > limit and cut > seg_start:
            yield seg_start, cut
            seg_start = cut
        cut = match.end()
    while end - seg_start > limit * 2:
        yield seg_start, seg_start + limit
        seg_start += limit
    yield seg_start, end


def _units(text: str, limit: int) -> list[_Unit]:
    units = []
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            continue
        lead = len(line) - len(line.lstrip())
        start += lead
        end = start + len(line.strip())
        if is_table_line(line):
            units.append(_Unit(start, end, True))
        elif end - start > limit:
            units.extend(_Unit(s, e, False) for s, e in _split_long(text, start, end, limit))
        else:
            units.append(_Unit(start, end, False))
    return units


def chunk_text(doc_id: str, text: str, target_chars: int = 400) -> list[Chunk]:
    """Cut a briefing into chunks of whole lines, about ``target_chars`` each.

    >>> [c.text for c in chunk_text("a.txt", "첫 문단이다.\\n\\n둘째 문단이다.", 10)]
    ['첫 문단이다.', '둘째 문단이다.']
    """
    units = _units(text, target_chars)
    chunks: list[Chunk] = []
    group: list[_Unit] = []
    heading = ""
    table_header: _Unit | None = None
    in_attachment = False

    def flush() -> None:
        nonlocal group
        if group:
            start, end = group[0].start, group[-1].end
            context = heading
            # A table chunk that starts below the table's first row carries that row as context.
            if group[0].is_table and table_header is not None and table_header.start < start:
                context = text[table_header.start:table_header.end][:160]
            chunks.append(Chunk(f"{doc_id}#{start}", doc_id, text[start:end], start, end, context, in_attachment))
        group = []

    for i, unit in enumerate(units):
        size = unit.end - group[0].start if group else 0
        starts_table = unit.is_table and (i == 0 or not units[i - 1].is_table)
        line = text[unit.start:unit.end]
        if starts_table:
            table_header = unit
        if group and (size > target_chars or (starts_table and size > target_chars // 2)):
            flush()
        if not unit.is_table and _HEADING.match(line) and len(line) < 80:
            if group and group[-1].end - group[0].start > target_chars // 3:
                flush()
            heading = line.strip()
        if not unit.is_table and _ATTACHMENT.match(line) and len(line) < 120:
            flush()
            in_attachment = True
        group.append(unit)
    flush()
    return chunks
