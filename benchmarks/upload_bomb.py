"""A PDF flate bomb uploaded to a running `briefqa serve`: the server's RSS before, at peak and after,
and whether /api/health answered throughout (loopback only; the index is a private copy).

    .venv/bin/python benchmarks/upload_bomb.py --index var/rel-index [--inflated-mb 150]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

import crafted  # noqa: E402
from load import Server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "rel-index")
    ap.add_argument("--inflated-mb", type=float, default=150.0)
    args = ap.parse_args()
    bomb = crafted.pdf_flate_bomb(args.inflated_mb)
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(args.index, copy)
        with Server(copy, workers=1, env={"BRIEFQA_ADMIN_TOKEN": token, "BRIEFQA_READER": "off"}) as server:
            before = server.rss_mb()
            peak, health, stop = [before], [], threading.Event()

            def watch() -> None:
                while not stop.is_set():
                    peak.append(server.rss_mb())
                    try:
                        health.append(httpx.get(f"{server.base_url}/api/health", timeout=5).status_code)
                    except httpx.HTTPError:
                        health.append(0)
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch)
            watcher.start()
            started = time.perf_counter()
            r = httpx.post(f"{server.base_url}/api/documents", headers={"Authorization": f"Bearer {token}"},
                           files={"files": ("bomb.pdf", bomb, "application/pdf")}, timeout=300)
            seconds = time.perf_counter() - started
            stop.set()
            watcher.join()
            time.sleep(1)
            after = server.rss_mb()
    print(f"bomb {len(bomb):,} bytes ({args.inflated_mb:g} MB inflated): HTTP {r.status_code} in {seconds:.1f} s; "
          f"{r.text[:300]}")
    print(f"server RSS MB before {before:.0f}, peak {max(peak):.0f}, after {after:.0f} (+{after - before:.0f}); "
          f"health checks {len(health)}, non-200 {sum(h != 200 for h in health)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
