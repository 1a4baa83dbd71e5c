"""Structure-aware chunking with exact character offsets.

A chunk is a run of whole lines (a table row is never split) of about ``target_chars``;
a line longer than the limit is split at Korean sentence ends (Kiwi). ``text[c.start:c.end] == c.text``
always holds, so citations quote the release exactly. Each chunk carries the path of headings and
bullets above it (``"Ⅱ. 주요 내용 > □ 스마트공장 확산"``) and whether it lies in the attachments
(붙임/별첨/참고) after the release body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.records import Chunk
from ingest.sentences import sentence_spans

# A table row: markdown/pipe rows, HTML rows, or a `<table>` line.
_TABLE_LINE = re.compile(r"^\s*(\||<t[rdh]|</?table|<tr)|\s\|\s|\|\s*$")
# Bullet kinds of Korean government documents. Their nesting differs between ministries, so the
# depth comes from the document: a kind already open closes everything below it, a new kind opens a
# level under the current one. Section titles (Ⅰ., < ... >, 【 】) start a fresh path.
_SECTIONS = re.compile(r"^\s*(?:#{1,3}\s|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\s*\.|[IVX]{1,4}\.\s|<\s*[^<>]{2,60}\s*>\s*$|【)")
_BULLETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"^\s*\d{1,2}\.\s")),
    ("square", re.compile(r"^\s*[□■]")),
    ("diamond", re.compile(r"^\s*[◇◆◈]")),
    ("arrow", re.compile(r"^\s*[▶►]")),
    ("circle", re.compile(r"^\s*(?:[○ㅇ◦●]|o\s)")),
    ("circled", re.compile(r"^\s*[①-⑳]")),
    ("dark-circled", re.compile(r"^\s*[❶-❿]")),
    ("paren-number", re.compile(r"^\s*(?:\(\d{1,2}\)|\d{1,2}\))\s")),
    ("small-square", re.compile(r"^\s*[▪▴✓]")),
)
# "-" items and `*`/※ notes are leaves: they never become part of a heading path.
_LEAF = re.compile(r"^\s*[-–※*·•]")
# "붙임 1", "[별첨]", "<참고 2>", "참 고 |  | 추경 사업 규모", "붙임3. ..." — but not "참고로 ..." in prose.
_ATTACHMENT = re.compile(r"^\s*[\[<【(]?\s*(?:붙\s*임|별\s*첨|참\s*고)\s*(?:\d{1,2}|[①-⑳])?\s*(?:[\]>】).:：|]|\s|$)")
_LABEL_CHARS = 32
_PATH_CHARS = 120


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int
    end: int
    is_table: bool
    starts_line: bool = True  # False for the second and later sentences of a split line
    after_blank: bool = False  # a blank line separates it from the unit before


def is_table_line(line: str) -> bool:
    return bool(_TABLE_LINE.search(line))


def bullet_kind(line: str) -> str | None:
    """"section" for Ⅰ./< >/【】 titles, a bullet kind ("square" for □ ...), or None for prose and leaves."""
    if _LEAF.match(line):
        return None
    if _SECTIONS.match(line):
        return "section"
    return next((kind for kind, pattern in _BULLETS if pattern.match(line)), None)


def is_attachment_start(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) < 120 and not stripped.endswith("다.") and bool(_ATTACHMENT.match(stripped))


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Split one long prose line at sentence ends, then hard at ``limit`` as a last resort."""
    seg_start = start
    cut = start
    for _, sent_end in sentence_spans(text, start, end):
        if sent_end - seg_start > limit and cut > seg_start:
            yield seg_start, cut
            seg_start = _skip_space(text, cut, end)
        cut = sent_end
    while end - seg_start > limit * 2:
        yield seg_start, seg_start + limit
        seg_start += limit
    if seg_start < end:
        yield seg_start, end


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def _units(text: str, limit: int) -> list[_Unit]:
    units = []
    blank = False
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            blank = True
            continue
        lead = len(line) - len(line.lstrip())
        start += lead
        end = start + len(line.strip())
        if is_table_line(line):
            units.append(_Unit(start, end, True, True, blank))
        elif end - start > limit:
            spans = [(s, e) for s, e in _split_long(text, start, end, limit) if e > s]
            units.extend(_Unit(s, e, False, i == 0, blank and i == 0) for i, (s, e) in enumerate(spans))
        else:
            units.append(_Unit(start, end, False, True, blank))
        blank = False
    return units


def _label(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= _LABEL_CHARS else line[: _LABEL_CHARS - 1] + "…"


def _path(stack: list[tuple[str, str]]) -> str:
    path = " > ".join(label for _, label in stack)
    return path if len(path) <= _PATH_CHARS else "…" + path[-(_PATH_CHARS - 1):]


def chunk_text(doc_id: str, text: str, target_chars: int = 400) -> list[Chunk]:
    """Cut a briefing into chunks of whole lines, about ``target_chars`` each.

    >>> [c.text for c in chunk_text("a.txt", "첫 문단이다.\\n\\n둘째 문단이다.", 10)]
    ['첫 문단이다.', '둘째 문단이다.']
    """
    units = _units(text, target_chars)
    chunks: list[Chunk] = []
    group: list[_Unit] = []
    group_heading = ""
    stack: list[tuple[str, str]] = []  # (bullet kind, label) of the headings above the current line
    table_header: _Unit | None = None
    in_attachment = False
    group_in_attachment = False

    def flush() -> None:
        nonlocal group
        if group:
            start, end = group[0].start, group[-1].end
            context = group_heading
            # A table chunk that starts below the table's first row carries that row as context.
            if group[0].is_table and table_header is not None and table_header.start < start:
                row = " ".join(text[table_header.start:table_header.end].split())[:_PATH_CHARS]
                context = f"{context} > {row}" if context else row
            chunks.append(Chunk(f"{doc_id}#{start}", doc_id, text[start:end], start, end, context, group_in_attachment))
        group = []

    for i, unit in enumerate(units):
        size = unit.end - group[0].start if group else 0
        starts_table = unit.is_table and (i == 0 or not units[i - 1].is_table or unit.after_blank)
        line = text[unit.start:unit.end]
        attachment = unit.starts_line and not in_attachment and is_attachment_start(line)
        if starts_table or (attachment and unit.is_table):
            table_header = unit
        elif unit.is_table and table_header is not None and units[i - 1] == table_header and _cells(table_header, text) < 2:
            table_header = unit  # the row under "(단위: 억원)" or a title row names the columns
        if group and (size > target_chars or (starts_table and size > target_chars // 2)):
            flush()
        kind = bullet_kind(line) if unit.starts_line and not unit.is_table else None
        if attachment:
            flush()
            in_attachment = True
            kind = "section"
        if kind is not None:
            if group and kind in ("section", "number", "square") and size > target_chars // 3:
                flush()
            stack = _close(stack, kind)
        if not group:
            group_heading = _path(stack)
            group_in_attachment = in_attachment
        if kind is not None:
            stack.append((kind, _label(line)))
        group.append(unit)
    flush()
    return chunks


def _cells(unit: _Unit, text: str) -> int:
    return sum(1 for cell in text[unit.start:unit.end].split("|") if cell.strip())


def _close(stack: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    """The path a new ``kind`` bullet hangs from: everything from the open bullet of that kind down is closed."""
    if kind == "section":
        return []
    for depth, (open_kind, _) in enumerate(stack):
        if open_kind == kind:
            return stack[:depth]
    return stack
