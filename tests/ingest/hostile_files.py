"""Hostile files, generated (nothing binary is committed): run as a script to write them to a folder.

    .venv/bin/python tests/ingest/hostile_files.py OUT_DIR [--scale 1.0]

Each builder returns the bytes of one file meant to cost a parser memory or time: a PDF whose content
stream inflates a thousandfold (a flate bomb), a PDF of thousands of pages, a PDF of objects nested
thousands deep, a PDF whose cross-reference table points nowhere. ``scale`` grows the bombs.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Callable
from pathlib import Path


def _pdf(objects: list[bytes], broken_xref: bool = False) -> bytes:
    """A PDF of the given objects (object 1 is the catalog), with a correct or a bogus xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % (off * 7 + 13 if broken_xref else off)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, compress: bool = True) -> bytes:
    body = zlib.compress(data, 9) if compress else data
    head = b"<< /Length %d /Filter /FlateDecode >>" % len(body) if compress else b"<< /Length %d >>" % len(body)
    return head + b"\nstream\n" + body + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def flate_bomb(inflated_mb: float = 64.0) -> bytes:
    """One page whose content stream is ``inflated_mb`` MB of text operators, compressed ~1000:1."""
    op = b"BT /F1 1 Tf 10 10 Td (AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj ET\n"
    content = op * int(inflated_mb * 1024 * 1024 / len(op))
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
                 b" /Resources << /Font << /F1 5 0 R >> >> >>",
                 _stream(content), _FONT])


def many_pages(pages: int = 5000) -> bytes:
    """``pages`` pages that all share one small content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
            b" /Resources << /Font << /F1 4 0 R >> >> >>")
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
                 _stream(b"BT /F1 12 Tf 72 720 Td (page) Tj ET\n", compress=False), _FONT] + [page] * pages)


def deep_nesting(depth: int = 20000) -> bytes:
    """A page dictionary holding arrays nested ``depth`` deep."""
    nested = b"[" * depth + b"]" * depth
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Junk " + nested + b" >>"])


def broken_xref() -> bytes:
    """A one-page PDF whose cross-reference offsets are all wrong."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
                 b" /Resources << /Font << /F1 5 0 R >> >> >>",
                 _stream(b"BT /F1 12 Tf 72 720 Td (broken xref) Tj ET\n"), _FONT], broken_xref=True)


def builders(scale: float = 1.0) -> dict[str, Callable[[], bytes]]:
    """File name → builder, the bombs grown by ``scale``."""
    return {
        "flate-bomb.pdf": lambda: flate_bomb(64.0 * scale),
        "many-pages.pdf": lambda: many_pages(int(5000 * scale)),
        "deep-nesting.pdf": lambda: deep_nesting(int(20000 * scale)),
        "broken-xref.pdf": broken_xref,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in builders(args.scale).items():
        data = build()
        (args.out / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
