"""Ingest throughput: files/s, chunks/s, CPU-ms per chunk, share of time in the embedder, peak RSS.

    .venv/bin/python benchmarks/ingest.py [--corpus ../shared/corpus/briefings] [--limit N]
        [--embedder e5-onnx] [--threads 2] [--reingest] [--profile]

``--limit N`` ingests the first N files (the whole corpus, ~2,000 chunks, takes a few minutes).
``--reingest`` then changes one paragraph of one file and ingests again, to time the vector cache.
``--profile`` prints the 25 costliest calls (cProfile, cumulative) of the first ingest.
``--out DIR`` also keeps the result in ``DIR/ingest.json`` (one row per embedder, threads and file count,
replaced when measured again) and rewrites ``DIR/ingest.md`` from it.
The machine may be shared: CPU-ms per chunk (this process, all threads) is the steadier figure, and
the load average is printed with it. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.build import IngestReport, ingest_paths  # noqa: E402
from index.embedders import Embedder, load_embedder  # noqa: E402


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def copy_corpus(corpus: Path, limit: int, tmp: Path) -> tuple[Path, int]:
    """The first ``limit`` files under ``tmp/<corpus name>``, with the manifest where it names them."""
    folder = tmp / corpus.name
    folder.mkdir()
    files = sorted(p for p in corpus.iterdir() if p.is_file() and p.name != "manifest.jsonl")[: limit or None]
    for path in files:
        shutil.copy(path, folder / path.name)
    for manifest in (corpus / "manifest.jsonl", corpus.parent / "manifest.jsonl"):
        if manifest.is_file():  # rows name files as "briefings/NAME": keep it where it was found
            shutil.copy(manifest, folder / "manifest.jsonl" if manifest.parent == corpus else tmp / "manifest.jsonl")
    return folder, len(files)


def timed_ingest(paths: list[Path], index_dir: Path, embedder: Embedder, profile: bool) -> tuple[IngestReport, float, float]:
    """The report, wall seconds and CPU seconds (this process, all threads) of one ingest."""
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    report = ingest_paths(paths, index_dir, embedder)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return report, time.perf_counter() - wall, time.process_time() - cpu


def change_one_paragraph(folder: Path) -> Path:
    """Append a sentence to the middle paragraph of the first text file; returns the file."""
    path = next(p for p in sorted(folder.iterdir()) if p.suffix == ".txt")
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    middle = len(paragraphs) // 2
    paragraphs[middle] += " 이 문단은 벤치마크가 바꾼 문장이다."
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus" / "briefings")
    parser.add_argument("--limit", type=int, default=0, help="ingest only the first N files (0: all)")
    parser.add_argument("--embedder", default="e5-onnx")
    parser.add_argument("--threads", type=int, default=0, help="embedder threads (0: its default)")
    parser.add_argument("--reingest", action="store_true", help="then change one paragraph and ingest again")
    parser.add_argument("--profile", action="store_true", help="cProfile the first ingest (to stderr)")
    parser.add_argument("--out", type=Path, help="folder for ingest.json and ingest.md (e.g. benchmarks/results)")
    args = parser.parse_args()
    load_started = time.perf_counter()
    embedder = load_embedder(args.embedder, args.threads)
    load_seconds = time.perf_counter() - load_started
    with tempfile.TemporaryDirectory() as tmp:
        folder, files = copy_corpus(args.corpus, args.limit, Path(tmp))
        load_before = os.getloadavg()[0]
        report, seconds, cpu = timed_ingest([folder], Path(tmp) / "index", embedder, args.profile)
        result = {
            "commit": _commit(), "embedder": embedder.name, "threads": args.threads, "files": files,
            "indexed": len(report.added), "failures": len(report.failures), "duplicates": len(report.duplicates),
            "chunks": report.chunks_embedded, "facts": report.fact_count, "model_load_s": round(load_seconds, 1),
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "files_per_s": round(files / seconds, 3),
            "chunks_per_s": round(report.chunks_embedded / seconds, 2),
            "cpu_ms_per_chunk": round(1000 * cpu / max(report.chunks_embedded, 1), 1),
            "embed_share": round(report.embed_seconds / seconds, 3),
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        if args.reingest:
            changed = change_one_paragraph(folder)
            again, again_seconds, _ = timed_ingest([folder], Path(tmp) / "index", embedder, False)
            result["reingest"] = {"file": changed.name, "updated": again.updated, "chunks_embedded": again.chunks_embedded,
                                  "chunks_reused": again.chunks_reused, "seconds": round(again_seconds, 2)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        write_results(result, args.out)


def write_results(result: dict, out: Path) -> None:
    """Keep ``result`` in ``out/ingest.json`` (replacing the row of the same setup) and rewrite ``ingest.md``."""
    out.mkdir(parents=True, exist_ok=True)
    store = out / "ingest.json"
    rows = json.loads(store.read_text(encoding="utf-8")) if store.is_file() else []
    setup = ("embedder", "threads", "files")
    rows = [r for r in rows if any(r.get(k) != result.get(k) for k in setup)] + [result]
    rows.sort(key=lambda r: (r["files"], -r["chunks_per_s"]))
    store.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# Ingest throughput", "",
        "`benchmarks/ingest.py`: parse + chunk + facts + Kiwi + embed + write the index, end to end, on the first N",
        "releases of `../shared/corpus/briefings`. CPU ms per chunk counts every thread of the process (the steadier",
        "figure on a shared machine); load = 1-minute load average before / after. Re-ingest = one paragraph of one",
        "release changed, then ingested again (vectors of unchanged passages reused).", "",
        "| embedder | threads | files | chunks | chunks/s | files/s | CPU ms/chunk | in embedder | peak RSS MB "
        "| re-ingest (embedded / reused, s) | load | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        again = r.get("reingest")
        again_cell = f"{again['chunks_embedded']} / {again['chunks_reused']}, {again['seconds']}" if again else "—"
        lines.append(f"| {r['embedder']} | {r['threads'] or 'default'} | {r['files']} | {r['chunks']} | {r['chunks_per_s']} "
                     f"| {r['files_per_s']} | {r['cpu_ms_per_chunk']} | {round(100 * r['embed_share'])}% "
                     f"| {r['peak_rss_mb']} | {again_cell} | {' / '.join(map(str, r['load_avg']))} "
                     f"| {r.get('measured_at', '—')} |")
    lines += ["", "Goal: ≥ 20 chunks/s end to end on 2 cores.", ""]
    (out / "ingest.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
