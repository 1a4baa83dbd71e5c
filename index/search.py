"""An opened index version and hybrid search over it (dense FAISS + Korean BM25, fused by RRF).

>>> index = open_index(Path("var/index"))
>>> [h.chunk.doc_id for h in index.search("스마트공장 예산", k=3)]
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

from core.errors import IndexCorrupt
from index.embedders import Embedder, load_embedder
from index.fusion import reciprocal_rank_fusion
from index.keyword import TOKENIZER_NAME, KeywordIndex, tokenize
from index.records import Hit, SearchFilters
from index.store import IndexManifest, Store, check_embedder, current_version, read_manifest
from index.vector import VectorIndex
from ingest.records import Briefing, Chunk, Fact

logger = logging.getLogger(__name__)


class BriefingIndex:
    """One live version of the index, loaded for reading. Safe to share between threads."""

    def __init__(self, folder: Path, manifest: IndexManifest, store: Store, vectors: VectorIndex,
                 keywords: KeywordIndex, embedder: Embedder) -> None:
        self.folder = folder
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.keywords = keywords
        self.embedder = embedder
        self.documents: dict[str, Briefing] = {d.doc_id: d for d in store.documents()}
        self.chunks: list[Chunk] = []
        self.doc_freq: Counter[str] = Counter()
        for _, chunk, tokens in store.chunk_rows():
            self.chunks.append(chunk)
            self.doc_freq.update(set(tokens))
        if len(self.chunks) != vectors.size:
            raise IndexCorrupt(folder / "vectors.faiss", f"{vectors.size} vectors for {len(self.chunks)} chunks")
        self._texts: dict[str, str] = {}
        self._by_doc: dict[str, list[Chunk]] | None = None

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
        pool = size if not filters.is_empty() else min(size, max(pool, k * 5))
        dense = self.vectors.search(self.embedder.embed_query(query), pool)
        keyword = self.keywords.search(tokenize(query), pool)
        if not filters.is_empty():
            dense = [(r, s) for r, s in dense if filters.accepts(self.documents[self.chunks[r].doc_id])]
            keyword = [(r, s) for r, s in keyword if filters.accepts(self.documents[self.chunks[r].doc_id])]
        dense_scores = dict(dense)
        keyword_scores = dict(keyword)
        fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in keyword]])
        hits = []
        for row, score in fused[:k]:
            chunk = self.chunks[row]
            hits.append(Hit(chunk, self.documents[chunk.doc_id], score, dense_scores.get(row), keyword_scores.get(row)))
        return hits

    def hit_at(self, doc_id: str, offset: int) -> Hit | None:
        """The chunk of ``doc_id`` that holds character ``offset``, as an unscored hit."""
        for chunk in self._chunks_by_doc().get(doc_id, []):
            if chunk.start <= offset < chunk.end:
                return Hit(chunk, self.documents[doc_id], 0.0)
        return None

    def _chunks_by_doc(self) -> dict[str, list[Chunk]]:
        if self._by_doc is None:
            by_doc: dict[str, list[Chunk]] = {}
            for chunk in self.chunks:
                by_doc.setdefault(chunk.doc_id, []).append(chunk)
            self._by_doc = by_doc
        return self._by_doc

    def idf(self, term: str) -> float:
        """Inverse chunk frequency of a keyword-index term (rare terms say more about relevance)."""
        n = max(len(self.chunks), 1)
        return math.log(1 + (n - self.doc_freq.get(term, 0) + 0.5) / (self.doc_freq.get(term, 0) + 0.5))

    def document_text(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            doc = self.store.document(doc_id)
            self._texts[doc_id] = doc.text if doc else ""
        return self._texts[doc_id]

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
    bm25_dir = folder / "bm25"
    if not bm25_dir.is_dir():
        raise IndexCorrupt(bm25_dir, "keyword index folder is missing")
    try:
        keywords = KeywordIndex.load(bm25_dir, manifest.chunk_count)
    except Exception as exc:
        raise IndexCorrupt(bm25_dir, f"keyword index is unreadable ({exc})") from exc
    return BriefingIndex(folder, manifest, store, vectors, keywords, embedder)
