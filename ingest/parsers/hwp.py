"""HWP 5.0 binary: an OLE compound file whose BodyText/SectionN streams hold the text records.

python-hwpx (>= 6) converts an ``.hwp`` into HWPX parts, tables included, so the text goes
through the same OWPML walker as ``.hwpx``. If that conversion fails, our own record walker
(``hwp_records.body_lines``) reads the BodyText streams directly. Encrypted, distribution-locked
(배포용) and DRM documents are refused by our own FileHeader check before either runs.
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from pathlib import Path

from hwpx.hwp5.package import convert, to_hwpx_bytes

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument
from ingest.parsers.hwp_records import body_lines, open_compound, read_file_header
from ingest.parsers.hwpx import parse_hwpx_archive
from ingest.parsers.layout import finish_text, meaningful_title

logger = logging.getLogger(__name__)


def _parse_with_python_hwpx(path: Path, data: bytes) -> ParsedDocument:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted = convert(data)
    for warning in caught:
        logger.info("%s: python-hwpx: %s", path, warning.message)
    with zipfile.ZipFile(io.BytesIO(to_hwpx_bytes(converted.files))) as archive:
        return parse_hwpx_archive(path, archive, "hwp")


def _title(ole: object) -> str:
    try:
        meta = ole.get_metadata()  # type: ignore[attr-defined]
    except Exception:  # the summary stream is optional and often malformed; a title is a nicety
        return ""
    title = meta.title
    if isinstance(title, bytes):
        return title.decode("utf-16-le", "ignore").strip("\x00 ")
    return str(title or "").strip()


def parse_hwp(path: Path, data: bytes) -> ParsedDocument:
    """Read an HWP 5.0 briefing: paragraphs and tables (a row per line, cells `` | ``)."""
    ole = open_compound(path, data)
    with ole:
        header = read_file_header(path, ole)
        try:
            return _parse_with_python_hwpx(path, data)
        except ParseError:
            raise
        except Exception as exc:  # python-hwpx failed: fall back to our own record walker
            library_reason = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "%s: python-hwpx could not convert (%s); using the record walker", path, library_reason
            )
        try:
            lines = body_lines(path, ole, header)
        except ParseError as exc:
            raise ParseError(path, f"{exc.reason} (python-hwpx also failed: {library_reason})") from exc
        except Exception as exc:  # olefile errors on a damaged stream
            raise ParseError(
                path, f"{type(exc).__name__}: {exc} (python-hwpx also failed: {library_reason})"
            ) from exc
        return ParsedDocument(
            text=finish_text("\n".join(lines)), format="hwp", title=meaningful_title(_title(ole))
        )
