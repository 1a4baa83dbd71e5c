"""Killed ingests, a full disk and corrupt index folders: the last good index keeps serving, errors are clear.

The long version is ``benchmarks/faults.py`` (``make reliability``); these reuse its helpers on the
session's index with a one-document batch.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import cli
from core.errors import IndexCorrupt
from core.settings import Settings
from index.build import ingest_paths
from index.store import current_version, writer_lock

ROOT = Path(__file__).resolve().parent.parent.parent
BRIEFQA = ROOT / ".venv" / "bin" / "briefqa"


def _kill_while_building(index_dir: Path, batch: Path) -> bool:
    """Start `briefqa ingest` and SIGKILL it once its new version folder exists; True if it was killed."""
    child = subprocess.Popen([str(BRIEFQA), "ingest", str(batch), "--index", str(index_dir), "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline and not list(index_dir.glob(".building-*")):
        time.sleep(0.01)
    killed = child.poll() is None
    if killed:
        child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    return killed


# Killed before the folder rename, at 1 s and 3 s: benchmarks/faults.py (the long run).
@pytest.mark.parametrize("point", ["while building", "publish:1:after", "publish:2:after"])
def test_killed_ingest_leaves_the_last_good_index_and_a_rerun_completes(
    point: str, index_dir: Path, tiny_batch: Path, faults: ModuleType, embedder  # type: ignore[no-untyped-def]
) -> None:
    before = faults.snapshot(index_dir)
    if point == "while building":
        assert _kill_while_building(index_dir, tiny_batch)
    else:
        _, call, when = point.split(":")
        done = subprocess.run([sys.executable, "-c", faults._KILL_AT_PUBLISH, str(index_dir), call, when,
                               str(tiny_batch)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    lost, state = faults.verify_live(index_dir, before)
    assert lost == 0, state
    # Killed after the CURRENT swap, the new version is complete and live; before it, the old one is.
    expected = {*before, "reliability_tiny.txt"} if point == "publish:2:after" else set(before)
    assert set(faults.snapshot(index_dir)) == expected

    report = ingest_paths([tiny_batch], index_dir, embedder)
    assert report.ok
    assert set(faults.snapshot(index_dir)) == {*before, "reliability_tiny.txt"}
    assert not list(index_dir.glob(".building-*"))


def test_a_half_built_version_is_dropped_before_the_next_write(index_dir: Path) -> None:
    stale = index_dir / ".building-v-20000101T000000-dead00"
    (stale / "bm25").mkdir(parents=True)
    (stale / "store.sqlite").write_bytes(b"\0" * 4096)
    with writer_lock(index_dir):
        assert not stale.exists()


def _ingest_with_file_size_limit(index_dir: Path, batch: Path, limit_bytes: int) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([str(BRIEFQA), "ingest", str(batch), "--index", str(index_dir), "-q"],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit)


def test_full_disk_is_one_clear_line_and_the_live_index_stays(
    index_dir: Path, tiny_batch: Path, faults: ModuleType
) -> None:
    before = faults.snapshot(index_dir)
    done = _ingest_with_file_size_limit(index_dir, tiny_batch, 64 * 1024)  # the store alone is larger
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("briefqa: could not write a new index version in")
    assert "previous version is still live" in done.stderr
    assert faults.verify_live(index_dir, before)[0] == 0
    assert set(faults.snapshot(index_dir)) == set(before)
    assert not list(index_dir.glob(".building-*"))


def test_full_tmpfs_disk_is_a_clear_error(built_index: Path, tmp_path: Path, tiny_batch: Path,
                                          faults: ModuleType) -> None:
    result = faults.full_disk(built_index, tmp_path / "fault", batch=tiny_batch)
    if "RLIMIT_FSIZE" in result.name:
        pytest.skip("cannot mount a tmpfs here (needs root); covered by the RLIMIT_FSIZE test")
    assert result.survived, result.detail


@pytest.mark.parametrize("corruption", ["truncated vectors.faiss", "missing SQLite table",
                                        "manifest from another embedder", "garbled manifest.json"])
def test_serve_refuses_a_corrupt_index_naming_the_file(corruption: str, index_dir: Path, faults: ModuleType) -> None:
    corrupt, file_name = faults.CORRUPTIONS[corruption]
    corrupt(current_version(index_dir))
    result = CliRunner().invoke(cli, ["serve", "--index", str(index_dir), "--port", "1", "--workers", "2"])
    assert result.exit_code == 1
    assert file_name in result.output and "briefqa ingest" in result.output
    assert "Traceback" not in result.output


def test_app_refuses_to_start_on_a_corrupt_index(index_dir: Path) -> None:
    (current_version(index_dir) / "vectors.faiss").write_bytes(b"not faiss")
    with pytest.raises(IndexCorrupt, match="vectors.faiss"):
        with TestClient(create_app(Settings(index_dir=index_dir), with_ui=False)):
            pass


def test_app_without_an_index_starts_in_no_index_mode(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"), with_ui=False)) as client:
        assert client.get("/api/health").json()["status"] == "no_index"


def _swap_in(index_dir: Path, damage: str) -> None:
    """Publish a damaged copy of the live version under a running app, as a bad writer would."""
    live = current_version(index_dir)
    broken = index_dir / "v-99999999T999999-bad000"
    shutil.copytree(live, broken)
    if damage == "vectors":
        (broken / "vectors.faiss").write_bytes(b"\x00" * 100)
    elif damage == "bm25":
        for path in (broken / "bm25").iterdir():
            path.write_bytes(b"{not json")
    elif damage == "manifest":
        manifest = json.loads((broken / "manifest.json").read_text(encoding="utf-8"))
        (broken / "manifest.json").write_text(json.dumps({**manifest, "dim": 1024}), encoding="utf-8")
    (index_dir / "CURRENT").write_text(broken.name if damage != "pointer" else "v-missing", encoding="utf-8")


@pytest.mark.parametrize("damage", ["vectors", "bm25", "manifest", "pointer"])
def test_index_broken_under_a_running_app_is_a_json_503_without_a_traceback(index_dir: Path, damage: str) -> None:
    with TestClient(create_app(Settings(index_dir=index_dir, ask_rate_per_minute=0), with_ui=False),
                    raise_server_exceptions=False) as client:
        assert client.post("/api/ask", json={"question": "예산은?"}).status_code == 200
        _swap_in(index_dir, damage)
        for response in (client.post("/api/ask", json={"question": "예산은?"}),
                         client.get("/api/search", params={"q": "예산"}),
                         client.get("/api/documents")):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()["error"]["code"].startswith("index_")
            assert "Traceback" not in response.text and 'File "' not in response.text
        assert client.get("/api/health").json()["status"] == "no_index"
