"""`POST /api/ask` latency and serving memory, the trained reader beside the rules alone, in one run.

    .venv/bin/python benchmarks/ask_latency.py --index var/corpus-index [--questions ../shared/eval/dev.jsonl]

For each mode (``BRIEFQA_READER=trained`` and ``off``) a `briefqa serve --workers 1` is started on a
loopback port over the same index, warmed with one question, then asked every question of the set one
at a time over HTTP. Prints p50/p95 latency and the server's RSS after the run (psutil) per mode.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import Server  # noqa: E402


def run(index_dir: Path, questions: list[str], mode: str) -> dict:
    env = {"BRIEFQA_READER": mode, "BRIEFQA_EMBED_THREADS": "0"}
    with Server(index_dir, workers=1, env=env) as server:
        url = f"{server.base_url}/api/ask"
        httpx.post(url, json={"question": questions[0]}, timeout=120).raise_for_status()
        times = []
        for q in questions:
            started = time.perf_counter()
            r = httpx.post(url, json={"question": q}, timeout=60)
            times.append(1000 * (time.perf_counter() - started))
            r.raise_for_status()
        rss = server.rss_mb()
    times.sort()
    return {"mode": mode, "n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "rss_mb": round(rss)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "corpus-index")
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    rows = [run(args.index, questions, mode) for mode in ("trained", "off")]
    print("| mode | n | p50 ms | p95 ms | server RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mode']} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} | {r['rss_mb']} |")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
