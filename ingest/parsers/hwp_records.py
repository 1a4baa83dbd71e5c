"""Our own HWP 5.0 reader: the compound file's header and the BodyText record streams.

``read_file_header`` runs on every ``.hwp``; ``body_lines`` is the fallback text walker, used
when python-hwpx cannot convert a file. Each ``BodyText/SectionN`` stream is raw-deflate
compressed (when the header says so) and holds records whose 32-bit header packs the tag
(10 bits), the nesting level (10 bits) and the size (12 bits; 0xFFF means a 32-bit size follows).
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import olefile

from core.errors import ParseError
from ingest.parsers.layout import cell_text, format_rows

HWPTAG_BEGIN = 16
HWPTAG_PARA_HEADER = HWPTAG_BEGIN + 50
HWPTAG_PARA_TEXT = HWPTAG_BEGIN + 51  # 67
HWPTAG_CTRL_HEADER = HWPTAG_BEGIN + 55
HWPTAG_LIST_HEADER = HWPTAG_BEGIN + 56

SIGNATURE = b"HWP Document File"
MAX_SECTION_BYTES = 200 * 1024 * 1024

# FileHeader property bits that leave the body unreadable without a key.
_LOCKED = (
    (1, "the document is password-protected (encrypted); save it without a password in Hancom Office"),
    (
        2,
        "the document is distribution-locked (배포용 문서) and its body is encrypted; "
        "ask the ministry for an unlocked copy or a PDF",
    ),
    (4, "the document is DRM-protected; its body is encrypted"),
)
# Control characters that take one UTF-16 unit; every other code below 32 is an inline or
# extended control taking 8 units (the code, 6 units of parameters, the code again).
_CHAR_CONTROLS = {
    0: "",
    10: "\n",
    13: "",
    24: "-",
    25: " ",
    26: " ",
    27: " ",
    28: " ",
    29: " ",
    30: " ",
    31: " ",
}
_TAB = 9
_SECTION = re.compile(r"^BodyText/Section(\d+)$")
_TABLE_CTRL = b" lbt"  # 'tbl ' stored as a little-endian 32-bit id


@dataclass(frozen=True, slots=True)
class HwpHeader:
    """Version and property bits of an HWP 5.0 ``FileHeader`` stream."""

    version: tuple[int, int, int, int]
    properties: int

    @property
    def is_compressed(self) -> bool:
        return bool(self.properties & 1)


def open_compound(path: Path, data: bytes) -> olefile.OleFileIO:
    try:
        return olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError, struct.error, IndexError ... on damage
        raise ParseError(path, f"not a readable HWP 5.0 compound file: {exc}") from exc


def read_file_header(path: Path, ole: olefile.OleFileIO) -> HwpHeader:
    """Check the signature and refuse encrypted, distribution-locked and DRM documents."""
    if not ole.exists("FileHeader"):
        raise ParseError(path, "compound file has no FileHeader stream (not an HWP 5.0 document)")
    raw = ole.openstream("FileHeader").read()
    if len(raw) < 40 or not raw.startswith(SIGNATURE):
        raise ParseError(path, "FileHeader lacks the 'HWP Document File' signature (not HWP 5.0)")
    word, properties = struct.unpack_from("<II", raw, 32)
    version = ((word >> 24) & 0xFF, (word >> 16) & 0xFF, (word >> 8) & 0xFF, word & 0xFF)
    if version[0] != 5:
        raise ParseError(path, f"HWP version {'.'.join(map(str, version))} is not 5.x")
    for bit, reason in _LOCKED:
        if properties & (1 << bit):
            raise ParseError(path, reason)
    return HwpHeader(version, properties)


def _inflate(path: Path, name: str, raw: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(raw, MAX_SECTION_BYTES)
    except zlib.error as exc:
        raise ParseError(path, f"{name} is not valid deflate data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise ParseError(path, f"{name} inflates past {MAX_SECTION_BYTES:,} bytes")
    return out


def _records(path: Path, name: str, data: bytes) -> Iterator[tuple[int, int, bytes]]:
    pos = 0
    while pos + 4 <= len(data):
        (head,) = struct.unpack_from("<I", data, pos)
        tag, level, size = head & 0x3FF, (head >> 10) & 0x3FF, head >> 20
        pos += 4
        if size == 0xFFF:
            if pos + 4 > len(data):
                raise ParseError(path, f"{name}: record at byte {pos - 4} is cut off")
            (size,) = struct.unpack_from("<I", data, pos)
            pos += 4
        if pos + size > len(data):
            raise ParseError(path, f"{name}: record at byte {pos} runs past the end of the stream")
        yield tag, level, data[pos : pos + size]
        pos += size


def para_text(payload: bytes) -> str:
    """Decode an HWPTAG_PARA_TEXT payload, skipping the 8-unit inline and extended controls."""
    units = struct.unpack(f"<{len(payload) // 2}H", payload[: len(payload) // 2 * 2])
    out: list[str] = []
    i = 0
    while i < len(units):
        code = units[i]
        if code >= 32:
            out.append(chr(code))
            i += 1
        elif code in _CHAR_CONTROLS:
            out.append(_CHAR_CONTROLS[code])
            i += 1
        else:
            if code == _TAB:
                out.append("\t")
            i += 8
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass
class _Table:
    level: int
    rows: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    cell: list[str] | None = None
    cell_at: tuple[int, int] = (0, 0)

    def close_cell(self) -> None:
        if self.cell is not None:
            row, col = self.cell_at
            self.rows.setdefault(row, []).append((col, cell_text(self.cell)))
        self.cell = None

    def lines(self) -> list[str]:
        self.close_cell()
        return format_rows([[text for _, text in sorted(cells)] for _, cells in sorted(self.rows.items())])


def _section_lines(path: Path, name: str, data: bytes) -> list[str]:
    lines: list[str] = []
    tables: list[_Table] = []
    for tag, level, payload in _records(path, name, data):
        while tables and level <= tables[-1].level:
            finished = tables.pop()
            target = tables[-1].cell if tables and tables[-1].cell is not None else lines
            target.extend(finished.lines())
        if tag == HWPTAG_CTRL_HEADER and payload[:4] == _TABLE_CTRL:
            tables.append(_Table(level))
        elif tag == HWPTAG_LIST_HEADER and tables and level == tables[-1].level + 1 and len(payload) >= 12:
            tables[-1].close_cell()
            col, row = struct.unpack_from("<HH", payload, 8)
            tables[-1].cell, tables[-1].cell_at = [], (row, col)
        elif tag == HWPTAG_PARA_TEXT:
            target = tables[-1].cell if tables and tables[-1].cell is not None else lines
            target.append(para_text(payload))
        elif tag == HWPTAG_PARA_HEADER and not tables and len(payload) >= 4:
            if struct.unpack_from("<I", payload)[0] & 0x7FFFFFFF <= 1:
                lines.append("")  # an empty paragraph has no PARA_TEXT record
    while tables:
        finished = tables.pop()
        (tables[-1].cell if tables and tables[-1].cell is not None else lines).extend(finished.lines())
    return lines


def body_lines(path: Path, ole: olefile.OleFileIO, header: HwpHeader) -> list[str]:
    """Lines of every ``BodyText/SectionN`` stream, in section order."""
    names = sorted(
        (int(m.group(1)), n) for n in ("/".join(e) for e in ole.listdir()) if (m := _SECTION.match(n))
    )
    if not names:
        raise ParseError(path, "compound file has no BodyText/Section0 stream")
    lines: list[str] = []
    for _, name in names:
        raw = ole.openstream(name).read()
        data = _inflate(path, name, raw) if header.is_compressed else raw
        lines.extend(_section_lines(path, name, data))
    return lines
