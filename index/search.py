"""An opened index version and hybrid search over it (dense FAISS + Korean BM25, fused by RRF).

>>> index = open_index(Path("var/index"))
>>> [h.chunk.doc_id for h in index.search("스마트공장 예산", k=3)]
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import overload

import numpy as np

from core.errors import IndexCorrupt
from index.embedders import Embedder, load_embedder
from index.fusion import reciprocal_rank_fusion
from index.keyword import TOKENIZER_NAME, KeywordIndex, tokenize
from index.records import Hit, SearchFilters
from index.store import IndexManifest, Store, check_embedder, current_version, read_manifest
from index.vector import VectorIndex
from ingest.records import Briefing, Chunk, Fact

logger = logging.getLogger(__name__)

_TEXT_CACHE_DOCS = 256  # document texts kept per process (answers quote the few retrieved releases)


class ChunkTable(Sequence[Chunk]):
    """The index's chunks by row, read from SQLite on demand: nothing but the count is held in memory.

    ``table[row]`` is one query; ``table.at(rows)`` fetches several at once; iterating streams them.
    """

    def __init__(self, store: Store, size: int) -> None:
        self._store = store
        self._size = size

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            rows = list(range(self._size))[row]
            found = self._store.chunks_at(rows)
            return [found[r] for r in rows]
        if row < 0:
            row += self._size
        if not 0 <= row < self._size:
            # IndexError is the Sequence contract (it ends iteration by index), not a briefqa error.
            raise IndexError(f"chunk row {row} out of range (0..{self._size - 1})")
        return self._store.chunks_at([row])[row]

    def __iter__(self) -> Iterator[Chunk]:
        return self._store.chunk_texts()

    def at(self, rows: list[int]) -> dict[int, Chunk]:
        return self._store.chunks_at(rows)


class BriefingIndex:
    """One live version of the index, loaded for reading. Safe to share between threads.

    Memory: document metadata (no texts), one int32 per chunk naming its document, the FAISS index
    memory-mapped; chunk texts, document texts and keyword frequencies are read from SQLite by key.
    """

    def __init__(self, folder: Path, manifest: IndexManifest, store: Store, vectors: VectorIndex,
                 keywords: KeywordIndex, embedder: Embedder) -> None:
        self.folder = folder
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.keywords = keywords
        self.embedder = embedder
        self.documents: dict[str, Briefing] = {d.doc_id: d for d in store.documents()}
        self._doc_ids: list[str] = list(self.documents)
        position = {doc_id: i for i, doc_id in enumerate(self._doc_ids)}
        pairs = store.chunk_docs()
        self._row_doc = np.fromiter((position.get(doc_id, -1) for _, doc_id in pairs), dtype=np.int32, count=len(pairs))
        if len(pairs) != vectors.size or (pairs and pairs[-1][0] != len(pairs) - 1):
            raise IndexCorrupt(folder / "vectors.faiss", f"{vectors.size} vectors for {len(pairs)} chunks")
        del pairs, position
        self.chunks = ChunkTable(store, vectors.size)
        self._doc_freq: dict[str, int] | None = None if store.has_doc_freqs else _count_doc_freqs(store)
        self._idf_cache: dict[str, float] = {}
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.folder.name

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None,
               pool: int = 100) -> list[Hit]:
        """The ``k`` best chunks for ``query``, fusing dense and keyword rankings."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        filters = filters or SearchFilters()
        size = len(self.chunks)
        if size == 0:
            return []
        pool = min(size, max(pool, k * 5))
        allowed: np.ndarray | None = None
        if not filters.is_empty():
            allowed = self._doc_mask(filters)[self._row_doc]
            rows = np.flatnonzero(allowed).astype(np.int64)
            if not len(rows):
                return []
            # Small indexes rank every accepted chunk; large ones the accepted top ``pool`` of a wide
            # BM25 pool (BM25 cannot be restricted to rows, and listing 1M scores costs ~100 ms).
            is_small = size <= 50_000
            dense = self.vectors.search(self.embedder.embed_query(query), size if is_small else pool, rows=rows)
            keyword = self.keywords.search(tokenize(query), size if is_small else pool * 50)
            keyword = [(r, s) for r, s in keyword if allowed[r]]
            if not is_small:
                keyword = keyword[:pool]
        else:
            dense = self.vectors.search(self.embedder.embed_query(query), pool)
            keyword = self.keywords.search(tokenize(query), pool)
        dense_scores = dict(dense)
        keyword_scores = dict(keyword)
        fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in keyword]])[:k]
        chunks = self.chunks.at([row for row, _ in fused])
        hits = []
        for row, score in fused:
            chunk = chunks[row]
            hits.append(Hit(chunk, self.documents[chunk.doc_id], score, dense_scores.get(row), keyword_scores.get(row)))
        return hits

    def count_chunks(self, filters: SearchFilters | None = None) -> int:
        """How many chunks belong to documents ``filters`` accepts (all of them without filters)."""
        if filters is None or filters.is_empty():
            return len(self.chunks)
        return int(np.count_nonzero(self._doc_mask(filters)[self._row_doc]))

    def _doc_mask(self, filters: SearchFilters) -> np.ndarray:
        # One slot more than there are documents: row_doc is -1 for a chunk with no document row.
        mask = np.zeros(len(self._doc_ids) + 1, dtype=bool)
        mask[: len(self._doc_ids)] = [filters.accepts(self.documents[d]) for d in self._doc_ids]
        return mask

    def hit_at(self, doc_id: str, offset: int) -> Hit | None:
        """The chunk of ``doc_id`` that holds character ``offset``, as an unscored hit."""
        chunk = self.store.chunk_containing(doc_id, offset)
        return Hit(chunk, self.documents[doc_id], 0.0) if chunk is not None else None

    def idf(self, term: str) -> float:
        """Inverse chunk frequency of a keyword-index term (rare terms say more about relevance)."""
        cached = self._idf_cache.get(term)
        if cached is not None:
            return cached
        if self._doc_freq is not None:
            freq = self._doc_freq.get(term, 0)
        else:
            freq = (self.store.doc_freqs([term]) or {}).get(term, 0)
        n = max(len(self.chunks), 1)
        value = math.log(1 + (n - freq + 0.5) / (freq + 0.5))
        if len(self._idf_cache) < 100_000:  # question terms; the bound only guards a long-lived worker
            self._idf_cache[term] = value
        return value

    def document_text(self, doc_id: str) -> str:
        with self._lock:
            text = self._texts.get(doc_id)
            if text is not None:
                self._texts.move_to_end(doc_id)
                return text
        doc = self.store.document(doc_id)
        text = doc.text if doc else ""
        with self._lock:
            self._texts[doc_id] = text
            if len(self._texts) > _TEXT_CACHE_DOCS:
                self._texts.popitem(last=False)
        return text

    def document(self, doc_id: str) -> Briefing | None:
        return self.store.document(doc_id)

    def facts(self, doc_id: str | None = None, kind: str | None = None) -> list[Fact]:
        return self.store.facts(doc_id=doc_id, kind=kind)

    def close(self) -> None:
        self.store.close()


@lru_cache(maxsize=4)
def cached_embedder(spec: str, threads: int = 0) -> Embedder:
    """One embedder per process and spec: loading a model is the slow part of opening an index."""
    return load_embedder(spec, threads)


def open_index(index_dir: Path, embedder: Embedder | None = None, threads: int = 0) -> BriefingIndex:
    """Open the live version; raises ``IndexNotFound``, ``IndexCorrupt`` or ``IndexMismatch``."""
    folder = current_version(index_dir)
    manifest = read_manifest(folder)
    if manifest.tokenizer != TOKENIZER_NAME:
        raise IndexCorrupt(folder / "manifest.json", f"built with tokenizer {manifest.tokenizer!r}, this briefqa uses {TOKENIZER_NAME!r}")
    if embedder is None:
        embedder = cached_embedder(manifest.embedder, threads)
    check_embedder(manifest, embedder.name, embedder.dim)
    store = Store(folder / "store.sqlite")
    vectors = VectorIndex.load(folder / "vectors.faiss")
    if manifest.vector_index != vectors.kind:
        raise IndexCorrupt(folder / "vectors.faiss", f"holds a {vectors.kind!r} index, the manifest says {manifest.vector_index!r}")
    bm25_dir = folder / "bm25"
    if not bm25_dir.is_dir():
        raise IndexCorrupt(bm25_dir, "keyword index folder is missing")
    try:
        keywords = KeywordIndex.load(bm25_dir, manifest.chunk_count)
    except Exception as exc:
        raise IndexCorrupt(bm25_dir, f"keyword index is unreadable ({exc})") from exc
    return BriefingIndex(folder, manifest, store, vectors, keywords, embedder)


def _count_doc_freqs(store: Store) -> dict[str, int]:
    """Chunk frequency of every term, from the stored tokens (stores written before the ``terms`` table)."""
    counts: Counter[str] = Counter()
    for _, _, tokens in store.chunk_rows():
        counts.update(set(tokens))
    return dict(counts)
