"""PDF through PyMuPDF: text in reading order, tables as rows, page furniture dropped.

A line wrapped at the right margin is joined to the next one (Korean wraps inside words, so
no space is added; a space the PDF kept at the line end stays). Lines repeated at the top or
bottom of most pages (running headers/footers) and page markers like ``- 1 -`` are dropped.
Tables found by ``page.find_tables()`` come out a row per line, cells `` | ``; cell text is
rebuilt from the words inside each cell, as the table extractor misplaces hyphens.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument
from ingest.parsers.layout import cell_text, finish_text, format_rows, meaningful_title

logger = logging.getLogger(__name__)

_PAGE_MARKER = re.compile(r"^\s*(?:[-–—]\s*\d+\s*[-–—]|\d+\s*/\s*\d+|\(?\d+\)?)\s*$")
_EDGE_LINES = 2  # how many lines at the top and bottom of a page may be running headers/footers
_WRAP_SLACK_PT = 20.0
Rect = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    bbox: Rect


def _inside(bbox: Rect, area: Rect) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


def _table_rows(page: pymupdf.Page, table: object, words: list[tuple]) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            if cell is None:  # covered by a merged cell
                cells.append("")
                continue
            inside = [w for w in words if _inside(tuple(w[:4]), tuple(cell))]
            cells.append(cell_text([" ".join(w[4] for w in inside)]))
        rows.append(cells)
    return rows


def _page_items(page: pymupdf.Page) -> tuple[list[_Line], list[tuple[Rect, list[str]]]]:
    """Text lines outside tables, and each table's bbox with its row lines."""
    try:
        tables = page.find_tables().tables
    except Exception as exc:  # table detection is best effort; text still comes out without it
        logger.warning("page %d: table detection failed (%s)", page.number + 1, exc)
        tables = []
    words = page.get_text("words", sort=True)
    table_items = [(tuple(t.bbox), format_rows(_table_rows(page, t, words))) for t in tables]
    lines: list[_Line] = []
    for block in page.get_text("dict", sort=True)["blocks"]:
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            text = "".join(span["text"] for span in line["spans"])
            bbox = tuple(line["bbox"])
            if text.strip() and not any(_inside(bbox, area) for area, _ in table_items):
                lines.append(_Line(text, bbox))
    return lines, table_items


def _furniture(pages: list[list[_Line]]) -> set[str]:
    """Line texts (digits masked) that open or close at least 60% of the pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_mask(line.text) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]}
        counts.update(edge)
    return {text for text, n in counts.items() if n >= max(2, 0.6 * len(pages))}


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", "".join(text.split()))


def _page_text(lines: list[_Line], tables: list[tuple[Rect, list[str]]], furniture: set[str]) -> str:
    kept = [ln for ln in lines if not _PAGE_MARKER.match(ln.text) and _mask(ln.text) not in furniture]
    items: list[tuple[float, float, list[str]]] = [(ln.bbox[1], ln.bbox[0], [ln.text]) for ln in kept]
    items += [(area[1], area[0], rows) for area, rows in tables]
    items.sort(key=lambda item: (round(item[0]), item[1]))
    right_edge = max((ln.bbox[2] for ln in kept), default=0.0)
    out: list[str] = []
    previous: _Line | None = None
    line_of = {id(ln.text): ln for ln in kept}
    for _, _, texts in items:
        is_table = len(texts) != 1 or id(texts[0]) not in line_of
        if is_table:
            out.extend(["", *texts, ""])
            previous = None
            continue
        line = line_of[id(texts[0])]
        wraps = previous is not None and previous.bbox[2] >= right_edge - _WRAP_SLACK_PT
        near = previous is not None and 0 <= line.bbox[1] - previous.bbox[3] < (line.bbox[3] - line.bbox[1])
        if wraps and near and out:
            out[-1] += line.text
        else:
            out.append(line.text)
        previous = line
    return "\n".join(out)


MAX_PAGES = 1000


def parse_pdf(path: Path, data: bytes) -> ParsedDocument:
    """Read a PDF briefing; ``page_starts`` holds where each page begins in the text."""
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises FileDataError/RuntimeError/ValueError for bad bytes
        raise ParseError(path, f"not a readable PDF: {exc}") from exc
    with doc:
        if doc.needs_pass:
            raise ParseError(path, "PDF is password-protected (encrypted); ask for an unlocked copy")
        if doc.page_count == 0:
            raise ParseError(path, "PDF has no pages")
        if doc.page_count > MAX_PAGES:  # a release runs to tens of pages; thousands cost minutes each
            raise ParseError(path, f"PDF has {doc.page_count:,} pages, over the {MAX_PAGES:,}-page limit")
        pages = [_page_items(page) for page in doc]
        furniture = _furniture([lines for lines, _ in pages])
        text = ""
        starts: list[int] = []
        for lines, tables in pages:
            page_text = finish_text(_page_text(lines, tables, furniture))
            if text:
                text += "\n\n"
            starts.append(len(text))
            text += page_text
        title = (doc.metadata or {}).get("title") or ""
    return ParsedDocument(text=text, format="pdf", title=meaningful_title(title), page_starts=tuple(starts))
