"""Plain text and Markdown in UTF-8, UTF-16 or CP949/EUC-KR."""

from __future__ import annotations

import codecs
from pathlib import Path

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, path: str | Path) -> str:
    """Decode bytes as UTF-8 (BOM or not), UTF-16 with a BOM, else CP949 (a superset of EUC-KR)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(path, f"not valid {encoding} despite its byte-order mark: {exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError as exc:
        raise ParseError(path, "text is neither UTF-8, UTF-16 nor CP949/EUC-KR") from exc


def parse_txt(path: Path, data: bytes) -> ParsedDocument:
    """Read a text or Markdown briefing; line endings become ``\\n``."""
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ParseError(path, "binary data (NUL bytes) in a text file")
    text = decode_text(data, path).replace("\r\n", "\n").replace("\r", "\n")
    fmt = "md" if path.suffix.lower() == ".md" else "txt"
    return ParsedDocument(text=text, format=fmt)
