"""One parser per format, picked by file suffix (and, for look-alike formats, by the bytes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import ParseError, UnsupportedFormat
from ingest.parsers.base import ParsedDocument
from ingest.parsers.docx import parse_docx
from ingest.parsers.html import parse_html
from ingest.parsers.hwp import parse_hwp
from ingest.parsers.hwpx import parse_hwpx
from ingest.parsers.pdf import parse_pdf
from ingest.parsers.txt import parse_txt

Parser = Callable[[Path, bytes], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".txt": parse_txt,
    ".md": parse_txt,
    ".hwp": parse_hwp,
    ".hwpx": parse_hwpx,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
    ".html": parse_html,
    ".htm": parse_html,
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
# Hangul files are often misnamed: an HWP 5.0 saved as .hwpx, an HWPX as .hwp, a PDF as either.
_HANGUL_BY_MAGIC: tuple[tuple[bytes, Parser], ...] = (
    (OLE_MAGIC, parse_hwp),
    (ZIP_MAGIC, parse_hwpx),
    (PDF_MAGIC, parse_pdf),
)


def sniff_parser(suffix: str, data: bytes) -> Parser | None:
    """The parser the bytes call for, for a Hangul suffix; else the suffix's own parser."""
    if suffix in (".hwp", ".hwpx"):
        for magic, parser in _HANGUL_BY_MAGIC:
            if data.startswith(magic):
                return parser
    return PARSERS.get(suffix)


MAX_FILE_BYTES = 100 * 1024 * 1024


def supported_suffixes() -> list[str]:
    return sorted(PARSERS)


def parse_file(path: Path, data: bytes | None = None) -> ParsedDocument:
    """Parse one file into text; raises ``ParseError`` (naming the file and the reason) and nothing else."""
    suffix = path.suffix.lower()
    parser = PARSERS.get(suffix)
    if parser is None:
        raise UnsupportedFormat(path, suffix, supported_suffixes())
    if data is None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ParseError(path, f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
            data = path.read_bytes()
        except OSError as exc:
            raise ParseError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise ParseError(path, "file is empty (0 bytes)")
    parser = sniff_parser(suffix, data) or parser
    try:
        doc = parser(path, data)
    except ParseError:
        raise
    except Exception as exc:  # a parser library's own error becomes ours, naming the file
        raise ParseError(path, f"{type(exc).__name__}: {exc}") from exc
    if not doc.text.strip():
        raise ParseError(path, "no text could be extracted")
    return doc
