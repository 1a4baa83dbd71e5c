"""Load test: concurrent /api/ask and /api/search against `briefqa serve --workers N` on 127.0.0.1, with
uploads during the load. Nothing may fail, and no query may see a half-built or shrunken index.

    .venv/bin/python benchmarks/load.py --index /tmp/rel-index --seconds 60 [--clients 50] [--json]
    .venv/bin/python benchmarks/load.py --index var/rel-index --seconds 20 --clients 1,10,50 \
        --workers 1,2 --reader trained,off --uploads 0      # one table: every combination, same run

The server runs over a private copy of ``--index`` (the uploads change it), with the ask rate limit off
and an admin token of its own. Only loopback is ever contacted; the run stops by itself after
``--seconds`` (and at most ``--max-requests``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BRIEFQA = ROOT / ".venv" / "bin" / "briefqa"
HOST = "127.0.0.1"
QUESTIONS = [
    "내년 스마트공장 지원 예산은 얼마인가요?", "추경 예산은 얼마인가요?", "담당자 연락처는?",
    "국민연금 기금운용위원회는 언제 열렸나요?", "펫푸드 수출 목표는?", "산업재해 담당 부서는 어디인가요?",
    "고용안정 지원 예산은?", "방글라데시 CEPA 협상은 언제인가요?", "택시 차령 기준은?", "없는 내용에 대한 질문",
]
QUERIES = ["스마트공장 예산", "추경", "국민연금", "펫푸드 수출", "산업재해", "고용노동부", "CEPA", "택시", "AI", "연락처"]
UPLOADS = [
    "moel_20260410_supplementary_budget.hwpx", "mohw_20260414_nps_fund_committee.hwpx",
    "molit_20240520_taxi_vehicle_age.hwpx", "unikorea_20240624_nk_lecture.hwpx",
]


@dataclass
class LoadResult:
    seconds: float
    clients: int
    workers: int
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    uploads_ok: int = 0
    uploads_failed: int = 0
    documents_before: int = 0
    documents_after: int = 0
    documents_lost: int = 0
    min_documents_seen: int = 0
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    worker_restarts: int = 0  # workers uvicorn's supervisor replaced (each drops its requests in flight)

    @property
    def held(self) -> bool:
        return self.errors == 0 and self.documents_lost == 0 and self.uploads_failed == 0 and self.requests > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """`briefqa serve` in its own process group on a free loopback port; stopped on exit."""

    def __init__(self, index_dir: Path, workers: int = 2, env: dict[str, str] | None = None,
                 log_path: Path | None = None) -> None:
        self.index_dir = index_dir
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.env = {**os.environ, "BRIEFQA_ASK_RATE_PER_MINUTE": "0", "BRIEFQA_EMBED_THREADS": "1", **(env or {})}
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="briefqa-serve-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 240.0) -> None:
        cmd = [str(BRIEFQA), "serve", "--index", str(self.index_dir), "--host", HOST, "--port", str(self.port),
               "--workers", str(self.workers)]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                body = httpx.get(f"{self.base_url}/api/health", timeout=2).json()
                if body.get("status") in ("ok", "no_index") and self._workers_ready():
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout_s:.0f} s: {self.log()[-2000:]}")

    def _workers_ready(self) -> bool:
        # Each uvicorn worker logs "Application startup complete." once its lifespan has loaded the index.
        return self.log().count("Application startup complete.") >= self.workers

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            import psutil

            parent = psutil.Process(self.proc.pid)
            return [parent.pid] + [c.pid for c in parent.children(recursive=True)]
        except ImportError:
            return [self.proc.pid] + _children_from_proc(self.proc.pid)
        except Exception:
            return []

    def rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (psutil if installed, else /proc)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 1e6
    except ImportError:
        pass
    except Exception:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1e3
    except OSError:
        pass
    return 0.0


def _children_from_proc(pid: int) -> list[int]:
    found: list[int] = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(int(ln.split()[1]) for ln in status.read_text().splitlines() if ln.startswith("PPid:"))
        except (OSError, StopIteration, ValueError):
            continue
        if ppid == pid:
            child = int(status.parent.name)
            found += [child, *_children_from_proc(child)]
    return found


def document_ids(base_url: str) -> set[str]:
    """Every indexed document id, through the paged /api/documents."""
    ids: set[str] = set()
    offset = 0
    while True:
        body = httpx.get(f"{base_url}/api/documents", params={"limit": 100, "offset": offset}, timeout=30).json()
        ids.update(d["id"] for d in body["documents"])
        offset += 100
        if offset >= body["total"]:
            return ids


async def _client(n: int, http: httpx.AsyncClient, deadline: float, budget: list[int], latencies: list[float],
                  errors: list[str], seen_documents: list[int]) -> None:
    i = n
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        i += 1
        started = time.perf_counter()
        try:
            if i % 2:
                response = await http.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                ok = response.status_code == 200 and "answer" in response.json()
            elif i % 10 == 0:
                response = await http.get("/api/health")
                body = response.json()
                ok = response.status_code == 200 and body["status"] == "ok"
                seen_documents.append(int(body.get("documents", 0)))
            else:
                response = await http.get("/api/search", params={"q": QUERIES[i % len(QUERIES)], "limit": 5})
                ok = response.status_code == 200 and "passages" in response.json()
            if not ok:
                errors.append(f"{response.request.method} {response.request.url.path} -> {response.status_code} "
                              f"{response.text[:200]}")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        latencies.append((time.perf_counter() - started) * 1000)


async def _uploader(http: httpx.AsyncClient, deadline: float, token: str, files: list[Path],
                    results: dict[str, str]) -> None:
    """One upload at a time, spread over the run, while the clients keep querying."""
    for n, path in enumerate(files):
        if n and time.monotonic() > deadline - 5:
            break
        try:
            response = await http.post("/api/documents", headers={"Authorization": f"Bearer {token}"},
                                       files={"files": (path.name, path.read_bytes())}, timeout=300)
            statuses = [f["status"] for f in response.json().get("files", [])]
            results[path.name] = "ok" if response.status_code in (200, 201) and statuses[0] != "failed" \
                else f"{response.status_code} {response.text[:200]}"
        except (httpx.HTTPError, ValueError, IndexError) as exc:
            results[path.name] = f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(1.0)


async def _drive(base_url: str, seconds: float, clients: int, max_requests: int, token: str | None,
                 upload_files: list[Path]) -> tuple[list[float], list[str], list[int], dict[str, str]]:
    latencies: list[float] = []
    errors: list[str] = []
    seen: list[int] = []
    uploads: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        tasks = [_client(n, http, deadline, budget, latencies, errors, seen) for n in range(clients)]
        if token and upload_files:
            tasks.append(_uploader(http, deadline, token, upload_files, uploads))
        await asyncio.gather(*tasks)
    return latencies, errors, seen, uploads


def run_load(index_dir: Path, seconds: float = 60, clients: int = 50, workers: int = 1, uploads: int = 2,
             max_requests: int = 1_000_000, upload_files: list[Path] | None = None,
             env: dict[str, str] | None = None) -> LoadResult:
    """Serve a copy of ``index_dir``, drive it for ``seconds``, upload ``uploads`` files meanwhile
    (real briefings from tests/data/originals, unless ``upload_files`` names others); ``env`` adds
    settings of the server (e.g. ``BRIEFQA_READER``)."""
    result = LoadResult(seconds=seconds, clients=clients, workers=workers)
    token = secrets.token_urlsafe(16)
    if upload_files is None:
        upload_files = [ROOT / "tests" / "data" / "originals" / name for name in UPLOADS[:uploads]]
    with tempfile.TemporaryDirectory(prefix="briefqa-load-") as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index_dir, copy, ignore=shutil.ignore_patterns(".lock"))
        with Server(copy, workers=workers, env={**(env or {}), "BRIEFQA_ADMIN_TOKEN": token},
                    log_path=Path(tmp) / "serve.log") as server:
            before = document_ids(server.base_url)
            result.documents_before = len(before)
            result.rss_start_mb = round(server.rss_mb(), 1)
            latencies, errors, seen, uploaded = asyncio.run(
                _drive(server.base_url, seconds, clients, max_requests, token, upload_files))
            after = document_ids(server.base_url)
            result.rss_end_mb = round(server.rss_mb(), 1)
            log = server.log()
            result.worker_restarts = max(0, log.count("Started server process") - workers)
            if "Traceback" in log:
                errors.append("server log has a Traceback")
    result.requests = len(latencies)
    result.errors = len(errors)
    result.error_samples = errors[:5]
    if latencies:
        result.p50_ms = round(statistics.median(latencies), 1)
        result.p95_ms = round(statistics.quantiles(latencies, n=20)[-1], 1) if len(latencies) > 1 else result.p50_ms
    result.uploads_ok = sum(1 for v in uploaded.values() if v == "ok")
    result.uploads_failed = len(uploaded) - result.uploads_ok
    result.error_samples += [f"upload {k}: {v}" for k, v in uploaded.items() if v != "ok"]
    result.documents_after = len(after)
    result.documents_lost = len(before - after)
    result.min_documents_seen = min(seen) if seen else 0
    if seen and min(seen) < len(before):
        result.errors += 1
        result.error_samples.append(f"health saw {min(seen)} documents, fewer than the {len(before)} at start")
    return result


def format_result(r: LoadResult) -> str:
    rows = [
        ("load held", "yes" if r.held else "NO"),
        ("requests", f"{r.requests:,} in {r.seconds:.0f} s ({r.requests / max(r.seconds, 1e-9):.1f}/s), "
                     f"{r.clients} clients, {r.workers} workers"),
        ("errors", str(r.errors)),
        ("latency", f"p50 {r.p50_ms:.0f} ms, p95 {r.p95_ms:.0f} ms"),
        ("uploads during load", f"{r.uploads_ok} ok, {r.uploads_failed} failed"),
        ("documents", f"{r.documents_before} before, {r.documents_after} after, lowest seen {r.min_documents_seen}, "
                      f"{r.documents_lost} lost"),
        ("server RSS", f"{r.rss_start_mb:.0f} MB at start, {r.rss_end_mb:.0f} MB at end"),
        ("worker restarts", str(r.worker_restarts)),
    ] + [("error sample", s) for s in r.error_samples]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def matrix_table(rows: list[tuple[str, LoadResult]]) -> str:
    """One line per configuration: the throughput and latency figures side by side."""
    head = f"{'reader':<8} {'workers':>7} {'clients':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} {'RSS MB':>13}"
    lines = [head]
    for reader, r in rows:
        lines.append(f"{reader:<8} {r.workers:>7} {r.clients:>7} {r.requests / max(r.seconds, 1e-9):>7.1f} "
                     f"{r.p50_ms:>8.0f} {r.p95_ms:>8.0f} {r.errors:>6} {r.rss_start_mb:>6.0f}->{r.rss_end_mb:<6.0f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder to serve (a copy is used)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=_ints, default=[50], help="concurrent clients; a list runs each")
    parser.add_argument("--workers", type=_ints, default=[1], help="serve --workers (default 1, as serve); a list runs each")
    parser.add_argument("--reader", default="", help="BRIEFQA_READER values to run (default: the server's)")
    parser.add_argument("--uploads", type=int, default=2, help="files uploaded during the load (0 = none)")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of the table")
    args = parser.parse_args()
    readers = [r for r in args.reader.split(",") if r] or [""]
    rows: list[tuple[str, LoadResult]] = []
    for reader in readers:
        for workers in args.workers:
            for clients in args.clients:
                result = run_load(args.index, args.seconds, clients, workers, args.uploads, args.max_requests,
                                  env={"BRIEFQA_READER": reader} if reader else None)
                rows.append((reader or "default", result))
                if args.json:
                    print(json.dumps({**asdict(result), "reader": reader or "default", "held": result.held},
                                     ensure_ascii=False), flush=True)
                elif len(readers) * len(args.workers) * len(args.clients) == 1:
                    print(format_result(result))
                else:
                    print(f"{reader or 'default'} workers={workers} clients={clients}: "
                          f"{'held' if result.held else 'NOT held'} {result.error_samples[:2]}", file=sys.stderr, flush=True)
    if not args.json and len(rows) > 1:
        print(matrix_table(rows))
    return 0 if all(r.held for _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
