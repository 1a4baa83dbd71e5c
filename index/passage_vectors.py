"""Vectors and keyword tokens of the passages an ingest adds.

A passage already in the live version (same text, same embedder) copies its vector. The
others are embedded ahead, on one background thread, while the ingest goes on parsing files and
running Kiwi: the embedder's own threads release the GIL, so parsing and embedding share the cores.

>>> ahead = EmbedAhead(embedder, known={})
>>> ahead.add(["제목\\n본문"]); ahead.flush(); ahead.vector(passage_key("제목\\n본문")).shape
(384,)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from index.embedders import Embedder
from index.keyword import tokenize
from index.store import Store
from ingest.records import Chunk

# Passages per embedder call, taken across documents: enough for the embedder's threads to share
# without idling at the end of each call, few enough that the first vectors come soon.
EMBED_BATCH = 64


def passage_text(title: str, chunk: Chunk) -> str:
    """What gets embedded and keyword-indexed: the chunk with its release title and heading as context."""
    parts = [title]
    if chunk.heading and chunk.heading not in chunk.text:
        parts.append(chunk.heading)
    parts.append(chunk.text)
    return "\n".join(p for p in parts if p)


def passage_key(text: str) -> str:
    """The vector cache's key: a passage embeds the same as long as its text (and the embedder) is the same."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def known_passages(store: Store) -> dict[str, int]:
    """The row of every passage of a stored version, by key (the caller checks the embedder is the same).

    Only keys and rows are held (~120 bytes a chunk), and the chunks are streamed without their tokens.
    """
    titles = {doc.doc_id: doc.title for doc in store.documents()}
    known: dict[str, int] = {}
    for (row, doc_id), chunk in zip(store.chunk_docs(), store.chunk_texts(), strict=True):
        known.setdefault(passage_key(passage_text(titles.get(doc_id, ""), chunk)), row)
    return known


class EmbedAhead:
    """Embeds passages on one background thread, in slices of ``EMBED_BATCH`` taken across documents.

    Args:
        embedder: the index's embedder.
        known: passages whose vectors are copied (``known_passages``); ``add`` skips them.
    """

    def __init__(self, embedder: Embedder, known: dict[str, int]) -> None:
        self._embedder = embedder
        self.dim = embedder.dim
        self._known = known
        self._runner = ThreadPoolExecutor(1, thread_name_prefix="embed-ahead")
        self._pending: list[tuple[str, str]] = []  # (key, text) not yet submitted
        self._slots: dict[str, tuple[Future[np.ndarray], int]] = {}  # key -> (its slice, its index there)
        self.embed_seconds = 0.0  # wall time inside the embedder, summed over calls

    def add(self, texts: list[str]) -> None:
        """Queue the passages that are neither known nor queued; a full slice starts embedding."""
        for text in texts:
            key = passage_key(text)
            if key not in self._known and key not in self._slots and all(k != key for k, _ in self._pending):
                self._pending.append((key, text))
                if len(self._pending) >= EMBED_BATCH:
                    self.flush()

    def flush(self) -> None:
        """Start embedding whatever is queued."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        future = self._runner.submit(self._embed, [text for _, text in batch])
        for i, (key, _) in enumerate(batch):
            self._slots[key] = (future, i)

    def vector(self, key: str) -> np.ndarray | None:
        """The passage's vector, waiting for its slice; None if it was never added."""
        slot = self._slots.get(key)
        return None if slot is None else slot[0].result()[slot[1]]

    def close(self) -> None:
        """Drop slices not started (an ingest that failed) and wait for the running one."""
        self._runner.shutdown(wait=True, cancel_futures=True)

    def _embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self._embedder.embed_passages(texts)
        self.embed_seconds += time.perf_counter() - started
        return vectors


def vectors_and_tokens(
    passages: list[str],
    ahead: EmbedAhead,
    known: dict[str, int],
    old_matrix: np.ndarray | None,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, list[list[str]], int]:
    """Vectors, keyword tokens and the number of passages embedded (not copied) for ``passages``, in order.

    Kiwi runs here, on the calling thread, while the slices queued in ``ahead`` embed.
    """
    ahead.add(passages)  # those the ingest did not queue ahead (it guessed a duplicate)
    ahead.flush()
    matrix = np.zeros((len(passages), ahead.dim), dtype=np.float32)
    tokens: list[list[str]] = []
    embedded = 0
    for i, text in enumerate(passages):
        key = passage_key(text)
        tokens.append(tokenize(text))
        row = known.get(key)
        if row is not None and old_matrix is not None:
            matrix[i] = old_matrix[row]
        else:
            vector = ahead.vector(key)
            assert vector is not None, "every passage was added above"
            matrix[i] = vector
            embedded += 1
        if on_chunk:
            on_chunk(1)
    return matrix, tokens, embedded
