"""Hostile files made on purpose, one function each; ``python tests/reliability/crafted.py`` rewrites
them into tests/data/broken/ (the tests read them from there)."""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
HWP = DATA / "originals" / "mafra_20240305_petfood_export.hwp"
SECTION_NS = ('xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
              'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph"')


def _hwpx(section: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/hwp+zip")
        archive.writestr("Contents/section0.xml", section)
    return buf.getvalue()


def deep_nesting_hwpx() -> bytes:
    """60,000 nested paragraphs (under the 1 MB zip-ratio check): a recursive walker would overflow the stack."""
    depth = 60_000
    body = b"<hp:p>" * depth + b"<hp:run><hp:t>x</hp:t></hp:run>" + b"</hp:p>" * depth
    return _hwpx(b"<hs:sec " + SECTION_NS.encode() + b">" + body + b"</hs:sec>")


def billion_laughs_hwpx() -> bytes:
    """Ten levels of entities, 10^9 'lol's, declared after 8 KB of comment (past a header-only check)."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!--{"x" * 8192}--><!DOCTYPE hs:sec [{entities}]>'
           f"<hs:sec {SECTION_NS}><hp:p><hp:run><hp:t>&l9;</hp:t></hp:run></hp:p></hs:sec>")
    return _hwpx(xml.encode())


def external_entity_hwpx() -> bytes:
    """XXE: an entity that reads /etc/passwd into the text."""
    xml = (f'<?xml version="1.0"?><!DOCTYPE hs:sec [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f"<hs:sec {SECTION_NS}><hp:p><hp:run><hp:t>&x;</hp:t></hp:run></hp:p></hs:sec>")
    return _hwpx(xml.encode())


def _ole_header(data: bytes) -> tuple[int, list[int]]:
    """Sector size and the FAT sector numbers of a compound file (first 109 DIFAT slots)."""
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    fat_count = struct.unpack_from("<I", data, 0x2C)[0]
    difat = list(struct.unpack_from("<109I", data, 0x4C))[:fat_count]
    return sector_size, difat


def _set_fat(data: bytearray, sector: int, value: int) -> None:
    sector_size, fat_sectors = _ole_header(bytes(data))
    per_sector = sector_size // 4
    fat_sector = fat_sectors[sector // per_sector]
    struct.pack_into("<I", data, 512 + fat_sector * sector_size + (sector % per_sector) * 4, value)


def ole_directory_cycle_hwp() -> bytes:
    """A real HWP whose directory chain points back at itself (an endless sector chain)."""
    data = bytearray(HWP.read_bytes())
    directory_start = struct.unpack_from("<I", data, 0x30)[0]
    _set_fat(data, directory_start, directory_start)
    return bytes(data)


def ole_fat_cycle_hwp() -> bytes:
    """A real HWP whose every FAT entry points at sector 1: all stream chains become cycles."""
    data = bytearray(HWP.read_bytes())
    sector_size, fat_sectors = _ole_header(bytes(data))
    directory_start = struct.unpack_from("<I", data, 0x30)[0]
    for n in range(len(fat_sectors) * sector_size // 4):
        if n != directory_start:
            _set_fat(data, n, 1)
    return bytes(data)


def ole_huge_fat_count_hwp() -> bytes:
    """A header that claims 2^31 FAT sectors (a huge allocation if trusted)."""
    data = bytearray(HWP.read_bytes())
    struct.pack_into("<I", data, 0x2C, 0x7FFFFFFF)
    return bytes(data)


def _pdf(objects: list[bytes], trailer: bytes) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_page_tree_cycle() -> bytes:
    """A page tree whose /Kids holds its own root: walking it never ends."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"],
                b"<< /Size 4 /Root 1 0 R >>")


def pdf_xref_prev_loop() -> bytes:
    """An xref table whose /Prev points at itself."""
    base = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"],
                b"<< /Size 3 /Root 1 0 R /Prev XREF >>")
    xref = base.rindex(b"xref\n")
    return base.replace(b"/Prev XREF", b"/Prev %d" % xref)


def pdf_huge_page_count() -> bytes:
    """A page tree that claims two billion pages and a stream with a 2 GB /Length."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                 b"<< /Length 2147483647 >>\nstream\nBT /F1 12 Tf (x) Tj ET\nendstream"],
                b"<< /Size 5 /Root 1 0 R >>")


def nul_bytes_txt() -> bytes:
    return "보도자료\n".encode() + b"\x00" * 64 + b"\xff\xfe"


def bad_utf16_txt() -> bytes:
    """A UTF-16 byte-order mark followed by an unpaired surrogate and an odd byte count."""
    return b"\xff\xfe" + "보도".encode("utf-16-le") + b"\x00\xd8" + b"\x41"


CRAFTED = {
    "deep_nesting.hwpx": deep_nesting_hwpx,
    "billion_laughs.hwpx": billion_laughs_hwpx,
    "external_entity.hwpx": external_entity_hwpx,
    "ole_directory_cycle.hwp": ole_directory_cycle_hwp,
    "ole_fat_cycle.hwp": ole_fat_cycle_hwp,
    "ole_huge_fat_count.hwp": ole_huge_fat_count_hwp,
    "page_tree_cycle.pdf": pdf_page_tree_cycle,
    "xref_prev_loop.pdf": pdf_xref_prev_loop,
    "huge_page_count.pdf": pdf_huge_page_count,
    "nul_bytes.txt": nul_bytes_txt,
    "bad_utf16.txt": bad_utf16_txt,
}


# Bombs: built when a test needs them, never written to tests/data (one is 200 KB that inflates to 64 MB).
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
         b" /Resources << /Font << /F1 %d 0 R >> >> >>")


def _stream(data: bytes) -> bytes:
    body = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"


def pdf_flate_bomb(inflated_mb: float = 64.0) -> bytes:
    """One page whose content stream is ``inflated_mb`` MB of text operators, compressed ~1000:1."""
    op = b"BT /F1 1 Tf 10 10 Td (AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj ET\n"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 _PAGE % (4, 5), _stream(op * int(inflated_mb * 1024 * 1024 / len(op))), _FONT],
                b"<< /Size 6 /Root 1 0 R >>")


def pdf_many_pages(pages: int = 5000) -> bytes:
    """``pages`` real pages sharing one small content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
                 _stream(b"BT /F1 12 Tf 72 720 Td (page) Tj ET\n"), _FONT] + [_PAGE % (3, 4)] * pages,
                b"<< /Size %d /Root 1 0 R >>" % (pages + 5))


def pdf_deep_nesting(depth: int = 20000) -> bytes:
    """A page dictionary holding arrays nested ``depth`` deep."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Junk " + b"[" * depth + b"]" * depth
                 + b" >>"], b"<< /Size 4 /Root 1 0 R >>")


def pdf_huge_image(side: int = 8000) -> bytes:
    """A page drawing one ``side`` x ``side`` grey image of zeros (64 MB decoded at 8,000, 62 KB stored)."""
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
             b" /BitsPerComponent 8 /Length %%d /Filter /FlateDecode >>\nstream\n" % (side, side))
    body = zlib.compress(bytes(side * side), 9)
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /XObject << /Im1 5 0 R >> >> >>")
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page,
                 _stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q\n"), image % len(body) + body + b"\nendstream"],
                b"<< /Size 6 /Root 1 0 R >>")


def pdf_broken_xref() -> bytes:
    """A one-page PDF with text whose xref offsets all point at the wrong bytes and whose startxref lies."""
    good = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 _PAGE % (4, 5), _stream(b"BT /F1 12 Tf 72 720 Td (broken xref) Tj ET\n"), _FONT],
                b"<< /Size 6 /Root 1 0 R >>")
    head, _, tail = good.partition(b"xref\n")
    table, _, trailer = tail.partition(b"trailer\n")
    lines = table.split(b"\n")
    scrambled = lines[:3] + [b"%010d 00000 n " % (7 * n + 3) for n in range(1, len(lines) - 3)] + [b""]
    return head + b"xref\n" + b"\n".join(scrambled) + b"trailer\n" + trailer.replace(b"startxref\n", b"startxref\n9")


def pdf_encrypted() -> bytes:
    """A real release sentence in a PDF locked with an AES-256 user password (written by PyMuPDF)."""
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "encrypted release")
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")


BOMBS = {
    "flate_bomb.pdf": pdf_flate_bomb,
    "many_pages.pdf": pdf_many_pages,
    "deep_nesting.pdf": pdf_deep_nesting,
    "huge_image.pdf": pdf_huge_image,
    "broken_xref.pdf": pdf_broken_xref,
    "encrypted.pdf": pdf_encrypted,
}

# The same files at full size, for ``make reliability`` (benchmarks/faults.py): the 440 KB flate bomb of
# issue 17, 20,000 pages, 200,000 levels of nesting and a 900 MB image.
FULL_SIZE = {
    "flate_bomb.pdf": lambda: pdf_flate_bomb(450.0),
    "many_pages.pdf": lambda: pdf_many_pages(20000),
    "deep_nesting.pdf": lambda: pdf_deep_nesting(200000),
    "huge_image.pdf": lambda: pdf_huge_image(30000),
}


if __name__ == "__main__":
    target = DATA / "broken"
    for name, make in CRAFTED.items():
        (target / name).write_bytes(make())
        sys.stdout.write(f"{target / name}\n")
