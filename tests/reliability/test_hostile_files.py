"""Hostile files for the HWP, HWPX, PDF and text readers: ParseError (or a document) and nothing else,
within a time and memory bound. The long fuzz run is ``benchmarks/faults.py --fuzz-seconds N``;
``BRIEFQA_FUZZ_EXAMPLES`` raises the example count here."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ParseError
from ingest.parsers import parse_file

DATA = Path(__file__).resolve().parent.parent / "data"
BROKEN = DATA / "broken"
ORIGINALS = DATA / "originals"
EXAMPLES = int(os.environ.get("BRIEFQA_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS_PER_FILE = 10.0
MEMORY_LIMIT_BYTES = 2 * 1024**3
CRAFTED = ["deep_nesting.hwpx", "billion_laughs.hwpx", "external_entity.hwpx", "ole_directory_cycle.hwp",
           "ole_fat_cycle.hwp", "ole_huge_fat_count.hwp", "page_tree_cycle.pdf", "xref_prev_loop.pdf",
           "huge_page_count.pdf", "nul_bytes.txt", "bad_utf16.txt"]
# Parses every file it is given under a memory limit and prints one JSON outcome per file.
_PROBE = """
import json, resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from core.errors import ParseError
from ingest.parsers import parse_file
for name in sys.argv[2:]:
    started = time.perf_counter()
    try:
        doc = parse_file(Path(name))
        outcome = "parsed:" + doc.text[:200]
    except ParseError as exc:
        outcome = "ParseError:" + exc.reason
    except BaseException as exc:
        outcome = f"{type(exc).__name__}:{exc}"
    print(json.dumps({"name": Path(name).name, "outcome": outcome, "seconds": time.perf_counter() - started}),
          flush=True)
"""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    """Every file of tests/data/broken parsed once, in a child under a 2 GB address-space limit."""
    files = sorted(str(p) for p in BROKEN.iterdir() if p.is_file())
    done = subprocess.run([sys.executable, "-c", _PROBE, str(MEMORY_LIMIT_BYTES), *files], capture_output=True,
                          text=True, timeout=SECONDS_PER_FILE * len(files), cwd=Path(__file__).parents[2])
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {row["name"]: row for row in rows}


@pytest.mark.parametrize("name", CRAFTED + ["zip_bomb.hwpx", "xml_entities.hwpx", "path_trick.hwpx", "truncated.hwp"])
def test_hostile_file_is_refused_within_time_and_memory(outcomes: dict[str, dict], name: str) -> None:
    assert name in outcomes, f"{name}: the parser child died (memory limit or crash) before reporting it"
    row = outcomes[name]
    assert row["outcome"].startswith(("ParseError:", "parsed:")), row
    assert row["seconds"] < SECONDS_PER_FILE, row
    assert "root:" not in row["outcome"]  # nothing of /etc/passwd made it into a text


def _seed(name: str) -> bytes:
    return (ORIGINALS / name).read_bytes()


SEEDS = {
    ".hwp": _seed("motie_20260412_korea_bangladesh_cepa.hwp"),
    ".hwpx": _seed("unikorea_20240624_nk_lecture.hwpx"),
    ".pdf": _seed("motie_20260412_korea_bangladesh_cepa.pdf"),
    ".txt": (DATA / "briefings" / "0002.txt").read_bytes(),
}
_edit = st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=0, max_size=64), st.integers(0, 64))


def _damage(data: bytes, edits: list[tuple[float, bytes, int]], cut: float) -> bytes:
    """Replace ``n`` bytes at relative positions with the given bytes, then cut the tail."""
    buf = bytearray(data)
    for where, new, n in edits:
        at = int(where * len(buf))
        buf[at : at + n] = new
    return bytes(buf[: max(1, int(len(buf) * cut))])


def _parse_or_parse_error(name: str, data: bytes) -> None:
    started = time.perf_counter()
    try:
        doc = parse_file(Path(name), data)
        assert doc.text.strip() and "\r" not in doc.text
    except ParseError as exc:
        assert exc.reason and exc.path == name
    assert time.perf_counter() - started < SECONDS_PER_FILE


@pytest.mark.parametrize("suffix", list(SEEDS))
@FUZZ
@given(edits=st.lists(_edit, min_size=1, max_size=6), cut=st.floats(0.05, 1.0))
def test_damaged_real_file_parses_or_raises_parse_error(suffix: str, edits: list, cut: float) -> None:
    _parse_or_parse_error(f"fuzz{suffix}", _damage(SEEDS[suffix], edits, cut))


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # duplicate names are part of the point
        for name, data in entries:
            archive.writestr(name, data)
    return buf.getvalue()


_xml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
_entry_name = st.one_of(st.sampled_from(["Contents/section0.xml", "Contents/section1.xml", "Contents/content.hpf",
                                         "../Contents/section0.xml", "/Contents/section0.xml", "C:/x.xml",
                                         "Contents\\section0.xml", "Contents/section0.xml\x00.txt"]),
                        st.text(min_size=1, max_size=30))


@FUZZ
@given(entries=st.lists(st.tuples(_entry_name, _xml_text.map(str.encode)), min_size=1, max_size=4))
def test_hwpx_with_arbitrary_parts_parses_or_raises_parse_error(entries: list[tuple[str, bytes]]) -> None:
    try:
        data = _zip(entries)
    except (ValueError, UnicodeEncodeError, IndexError):
        return  # zipfile itself refuses some names (a name of only "\x00" is an IndexError in 3.11)
    _parse_or_parse_error("fuzz.hwpx", data)


@FUZZ
@given(body=_xml_text, wrap=st.integers(0, 400))
def test_hwpx_section_xml_of_any_shape_parses_or_raises_parse_error(body: str, wrap: int) -> None:
    ns = ('xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
          'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph"')
    xml = f"<hs:sec {ns}>" + "<hp:p>" * wrap + f"<hp:run><hp:t>{body}</hp:t></hp:run>" + "</hp:p>" * wrap + "</hs:sec>"
    _parse_or_parse_error("fuzz.hwpx", _zip([("Contents/section0.xml", xml.encode())]))


@FUZZ
@given(text=st.text(max_size=500), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp949"]))
def test_text_in_any_encoding_parses_or_raises_parse_error(text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    if data:
        _parse_or_parse_error("fuzz.txt", data)
