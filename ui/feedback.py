"""Citizens' verdicts on answers (도움이 됨 / 도움이 안 됨), kept in a small SQLite file beside the index.

>>> store = FeedbackStore(Path("var/index/feedback.sqlite"))
>>> store.record(question="…", answer="4,366억원", sources=["000_5a375b227c424bcf.txt"], verdict="helpful")

The file lives in the index folder itself, not in a version folder, which ``briefqa ingest``
replaces; one connection per call, so the store is safe to use from Gradio's worker threads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Verdict = Literal["helpful", "not_helpful"]
VERDICTS: tuple[Verdict, ...] = ("helpful", "not_helpful")
FEEDBACK_FILE = "feedback.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,      -- ISO 8601, UTC
    question TEXT NOT NULL,
    answer TEXT,                   -- NULL when briefqa abstained
    sources TEXT NOT NULL,         -- JSON list of doc_ids, first = the cited release
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'not_helpful'))
)
"""


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    created_at: str
    question: str
    answer: str | None
    sources: list[str]
    verdict: Verdict


class FeedbackStore:
    """Appends verdicts to ``path`` (created with its table on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.execute(_SCHEMA)
        return conn

    def record(self, question: str, answer: str | None, sources: Sequence[str], verdict: str) -> int:
        """Store one verdict; returns its row id. ``verdict`` must be one of ``VERDICTS``."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as conn, conn:
            cursor = conn.execute(
                "INSERT INTO feedback (created_at, question, answer, sources, verdict) VALUES (?, ?, ?, ?, ?)",
                (created_at, question, answer, json.dumps(list(sources), ensure_ascii=False), verdict),
            )
            return int(cursor.lastrowid or 0)

    def rows(self) -> list[FeedbackRow]:
        """Every stored verdict, oldest first."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            cursor = conn.execute(
                "SELECT id, created_at, question, answer, sources, verdict FROM feedback ORDER BY id"
            )
            return [FeedbackRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in cursor.fetchall()]
