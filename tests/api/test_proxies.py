"""The ask rate limit keys on the real client: X-Forwarded-For counts only from a trusted proxy
(BRIEFQA_TRUSTED_PROXIES), over real HTTP against `briefqa serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(index_dir: Path, log_path: Path, **env: str) -> Iterator[str]:
    port = _free_port()
    script = Path(sys.executable).with_name("briefqa")
    command = [str(script)] if script.is_file() else [sys.executable, "-c", "from cli.main import cli; cli()"]
    settings = {**os.environ, "BRIEFQA_READER": "off", "BRIEFQA_ASK_RATE_PER_MINUTE": "2", **env}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*command, "serve", "--index", str(index_dir), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=settings)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _ask(base: str, forwarded_for: str) -> int:
    body = json.dumps({"question": "중기부 추경 규모는?"}).encode()
    request = urllib.request.Request(f"{base}/api/ask", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("trusted", "expected"), [("", [200, 200, 429]), ("127.0.0.1", [200, 200, 200])])
def test_forwarded_for_counts_only_from_a_trusted_proxy(built_index: Path, tmp_path: Path, trusted: str,
                                                         expected: list[int]) -> None:
    with _serve(built_index, tmp_path / "serve.log", BRIEFQA_TRUSTED_PROXIES=trusted) as base:
        # one local caller posing as three clients: limited unless 127.0.0.1 is a trusted proxy
        assert [_ask(base, f"203.0.113.{n}") for n in (1, 2, 3)] == expected
