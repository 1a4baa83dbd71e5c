"""Parse files in a separate process with a memory cap and a time limit.

A hostile file (a PDF whose content stream inflates to gigabytes, a parser stuck on a loop) must never
cost the process that serves or ingests the good files beside it. :class:`BoundedLoader` runs
:func:`ingest.pipeline.load_briefing` in one worker process started clean (``forkserver``: it does not
inherit the server's models or index), whose address space is capped with ``RLIMIT_AS``. A file that
breaches the cap or the time limit becomes a ``ParseError`` naming the limit; the worker is replaced and
the next file goes on. With ``memory_mb=0`` files are parsed in this process (no isolation).

>>> with BoundedLoader(memory_mb=1536, timeout_s=60) as loader:
...     loaded = loader.load(source)
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from core.errors import ParseError
from ingest.pipeline import LoadedBriefing, SourceFile, load_briefing

logger = logging.getLogger(__name__)
_ALLOC_FAILED = re.compile(r"\b(?:m|c|re)alloc\b.*\bfailed\b|out of memory|cannot allocate memory", re.IGNORECASE)

MEMORY_MESSAGE = "문서를 읽는 데 메모리 한도({mb:,} MB)를 넘었습니다 (압축이 풀리며 커지는 파일일 수 있습니다)"
TIME_MESSAGE = "문서를 읽는 데 시간 한도({s:g}초)를 넘었습니다"
DIED_MESSAGE = "문서를 읽던 프로세스가 비정상 종료되었습니다 (종료 코드 {code})"


def _limit_memory(memory_mb: int) -> None:
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _load(source: SourceFile, chunk_chars: int, data: bytes | None) -> tuple[str, object]:
    """In the worker: the loaded briefing, or the reason it could not be read (exceptions with custom
    constructors do not survive pickling, so a reason travels as a string)."""
    try:
        return "ok", load_briefing(source, chunk_chars, data)
    except ParseError as exc:
        # MuPDF reports its allocator refusing ("calloc (4104 x 1 bytes) failed") as an error of the file
        return ("memory", "") if _ALLOC_FAILED.search(exc.reason) else ("error", exc.reason)
    except MemoryError:
        return "memory", ""


class BoundedLoader:
    """``load_briefing`` in a capped worker process; a context manager (the worker stops on exit)."""

    def __init__(self, memory_mb: int = 1536, timeout_s: float = 60.0) -> None:
        if memory_mb < 0 or timeout_s <= 0:
            raise ValueError(f"memory_mb must be >= 0 and timeout_s > 0, got {memory_mb} and {timeout_s}")
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                             initializer=_limit_memory, initargs=(self.memory_mb,))
        return self._pool

    def load(self, source: SourceFile, chunk_chars: int = 400, data: bytes | None = None) -> LoadedBriefing:
        """Parse one file; raises ``ParseError`` naming the file and, for a breach, the limit."""
        if self.memory_mb == 0:
            return load_briefing(source, chunk_chars, data)
        future = self._executor().submit(_load, source, chunk_chars, data)
        try:
            status, value = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            self._kill()
            raise ParseError(source.path, TIME_MESSAGE.format(s=self.timeout_s)) from None
        except BrokenProcessPool:
            code = self._kill()
            # at its address-space cap a parser often dies in C code (abort, segfault) instead of raising
            at_cap = code in (-6, -11)
            reason = MEMORY_MESSAGE.format(mb=self.memory_mb) if at_cap else DIED_MESSAGE.format(code=code)
            raise ParseError(source.path, reason) from None
        if status == "ok":
            return value  # type: ignore[return-value]
        if status == "memory":
            self._kill()  # a worker that hit its cap may hold fragmented memory: start a fresh one
            raise ParseError(source.path, MEMORY_MESSAGE.format(mb=self.memory_mb))
        raise ParseError(source.path, str(value))

    def worker_pids(self) -> list[int]:
        """The worker process's id while one runs (for measuring its memory)."""
        return [p.pid for p in getattr(self._pool, "_processes", {}).values() if p.pid] if self._pool else []

    def _kill(self) -> int | None:
        """Stop the worker now (the next file gets a new one); its exit code when it had already died."""
        pool, self._pool = self._pool, None
        if pool is None:
            return None
        code = None
        for proc in list(getattr(pool, "_processes", {}).values()):
            if proc.exitcode is not None:
                code = proc.exitcode
            else:
                proc.kill()
                proc.join(5)
        pool.shutdown(wait=False, cancel_futures=True)
        return code

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BoundedLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
