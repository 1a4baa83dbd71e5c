"""DOCX through python-docx: paragraphs and tables in body order, tables a row per line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument
from ingest.parsers.hwpx import check_archive
from ingest.parsers.layout import cell_text, finish_text, format_rows, meaningful_title


def _table_lines(table: Table) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # python-docx repeats a horizontally merged cell once per grid column it spans
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(cell_text(p.text for p in cell.paragraphs))
        rows.append(cells)
    return format_rows(rows)


def _body_lines(document: Document) -> list[str]:
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return lines


def parse_docx(path: Path, data: bytes) -> ParsedDocument:
    """Read a Word briefing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_archive(path, archive)
    except zipfile.BadZipFile as exc:
        raise ParseError(path, f"not a readable DOCX zip: {exc}") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises PackageNotFoundError, KeyError, XMLSyntaxError ...
        raise ParseError(path, f"not a readable DOCX document: {type(exc).__name__}: {exc}") from exc
    title = document.core_properties.title or ""
    return ParsedDocument(
        text=finish_text("\n".join(_body_lines(document))), format="docx", title=meaningful_title(title)
    )
