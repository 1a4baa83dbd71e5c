"""Bombs cost only themselves: parsed in a capped worker process (ingest.sandbox), each is refused with a
named reason within the limits, and the good release beside them is indexed (files from crafted.BOMBS)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from index.build import ingest_paths
from index.search import open_index
from ingest.pipeline import SourceFile
from ingest.sandbox import BoundedLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crafted  # noqa: E402

MEMORY_MB = 1024
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, briefings_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, build in crafted.BOMBS.items():
        (folder / name).write_bytes(build())
    shutil.copy(briefings_dir / "0016.txt", folder / "0016.txt")
    return folder


def test_a_batch_with_bombs_indexes_the_good_release_and_names_each_refusal(hostile: Path, tmp_path: Path,
                                                                            embedder) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    report = ingest_paths([hostile], tmp_path / "index", embedder, parse_memory_mb=MEMORY_MB,
                          parse_timeout_s=TIMEOUT_S)
    assert time.perf_counter() - started < 4 * TIMEOUT_S
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    # without the worker's memory cap the bomb is read (gigabytes later) as a document
    assert "메모리 한도(1,024 MB)" in reasons["flate_bomb.pdf"]
    assert "over the 1,000-page limit" in reasons["many_pages.pdf"]
    assert reasons["deep_nesting.pdf"]
    assert "no text could be extracted" in reasons["huge_image.pdf"]  # the image is never decoded
    assert "password-protected" in reasons["encrypted.pdf"]
    ids = {d.doc_id for d in open_index(tmp_path / "index").store.documents()}
    # MuPDF rebuilds a scrambled xref from the objects themselves: that file is read, not refused
    assert ids == {"0016.txt", "broken_xref.pdf"}
    assert "broken xref" in open_index(tmp_path / "index").document_text("broken_xref.pdf")


def test_a_stuck_parse_is_stopped_at_the_time_limit_and_the_worker_replaced(hostile: Path) -> None:
    with BoundedLoader(memory_mb=MEMORY_MB, timeout_s=0.5) as loader:
        with pytest.raises(Exception) as caught:
            loader.load(SourceFile(hostile / "flate_bomb.pdf", "flate_bomb.pdf"))
        assert "시간 한도(0.5초)" in str(caught.value)
        loader.timeout_s = TIMEOUT_S
        good = loader.load(SourceFile(hostile / "0016.txt", "0016.txt"))
    assert "1조 6,903억원" in good.briefing.text and good.chunks
