"""HWPX: a zip of OWPML XML parts, the body in ``Contents/section0.xml``, ``section1.xml``, ...

The zip is checked before anything is inflated (total size, compression ratio, entry names)
and the XML is parsed without entity expansion, so a hostile file fails with a ``ParseError``
instead of exhausting memory.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from lxml import etree

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument
from ingest.parsers.layout import finish_text, meaningful_title
from ingest.parsers.owpml import safe_xml_parser, section_lines

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # deflated XML is ~5-30x; a zip bomb is thousands
RATIO_CHECK_ABOVE_BYTES = 1024 * 1024  # tiny parts may compress far better; harmless at that size

_SECTION = re.compile(r"^Contents/section(\d+)\.xml$")
_OPF_TITLE = "{http://www.idpf.org/2007/opf/}title"


def check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs and entry names that climb out of the archive."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ParseError(path, f"zip has {len(infos):,} entries, over the {MAX_ENTRIES:,} limit")
    total = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or "\x00" in name or re.match(r"^[A-Za-z]:", name):
            raise ParseError(path, f"zip entry has an unsafe path {name!r}")
        if name in seen:
            raise ParseError(path, f"zip entry {name!r} appears twice")
        seen.add(name)
        total += info.file_size
        if info.file_size > RATIO_CHECK_ABOVE_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ParseError(
                path,
                f"zip entry {name!r} inflates {info.compress_size:,} bytes to {info.file_size:,} "
                f"(ratio over {MAX_RATIO}); refusing a likely zip bomb",
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ParseError(
            path, f"zip inflates to {total:,} bytes, over the {MAX_UNCOMPRESSED_BYTES:,}-byte limit"
        )


def _read_xml_part(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one XML part, refusing a DTD (OWPML has none; entities are how XML bombs work)."""
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise ParseError(path, f"{name} cannot be inflated: {exc}") from exc
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise ParseError(path, f"{name} declares a DTD or entities, which OWPML never does")
    return data


def _title(path: Path, archive: zipfile.ZipFile) -> str:
    if "Contents/content.hpf" not in archive.namelist():
        return ""
    data = _read_xml_part(path, archive, "Contents/content.hpf")
    try:
        root = etree.fromstring(data, parser=safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(path, f"Contents/content.hpf is not well-formed XML: {exc}") from exc
    element = root.find(f".//{_OPF_TITLE}")
    return (element.text or "").strip() if element is not None else ""


def parse_hwpx_archive(path: Path, archive: zipfile.ZipFile, fmt: str) -> ParsedDocument:
    """Text of an opened OWPML package (shared with the HWP parser, which converts to one)."""
    check_archive(path, archive)
    sections = sorted((int(m.group(1)), name) for name in archive.namelist() if (m := _SECTION.match(name)))
    if not sections:
        raise ParseError(path, "Contents/section0.xml is missing (not an HWPX document)")
    lines: list[str] = []
    for _, name in sections:
        xml = _read_xml_part(path, archive, name)
        try:
            lines.extend(section_lines(xml))
        except etree.XMLSyntaxError as exc:
            raise ParseError(path, f"{name} is not well-formed XML: {exc}") from exc
    return ParsedDocument(
        text=finish_text("\n".join(lines)), format=fmt, title=meaningful_title(_title(path, archive))
    )


def parse_hwpx(path: Path, data: bytes) -> ParsedDocument:
    """Read an HWPX briefing: paragraphs, tables (a row per line, cells `` | ``), footnotes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ParseError(path, f"not a readable HWPX zip: {exc}") from exc
    with archive:
        return parse_hwpx_archive(path, archive, "hwpx")
