"""Dense vectors in FAISS (inner product over L2-normalised vectors = cosine), exact or IVF by size.

>>> VectorIndex.build(vectors).kind   # "flat-ip" below 50,000 vectors, "ivf-flat" from there on
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from core.errors import IndexCorrupt

VectorKind = Literal["flat-ip", "ivf-flat", "hnsw-flat"]
KINDS: tuple[VectorKind, ...] = ("flat-ip", "ivf-flat", "hnsw-flat")
# Exact search over 50k x 384 floats is ~20M multiply-adds (a few ms on one core); above that IVF.
EXACT_BELOW = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
# Zero-copy mmap: the vectors (flat) or inverted lists (IVF) stay in the page cache, shared by every
# worker process. Plain IO_FLAG_MMAP copies an IndexFlat into the heap (measured: +307 MB for 200k).
_READ_FLAGS = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY


def choose_kind(size: int) -> VectorKind:
    """The index for ``size`` vectors: exact flat below ``EXACT_BELOW``, IVF-flat from there on.

    HNSW is not chosen automatically: on this 2-core machine it built 50k vectors in 76 s (1M would
    take ~25 min), while IVF-flat builds 1M in about a minute and its lists can be memory-mapped.
    """
    return "flat-ip" if size < EXACT_BELOW else "ivf-flat"


def ivf_params(size: int) -> tuple[int, int]:
    """(nlist, nprobe) for ``size`` vectors: ~sqrt(n) lists (a power of two), 1/16 of them probed."""
    nlist = 2 ** round(math.log2(max(math.sqrt(max(size, 1)), 64)))
    nlist = min(nlist, 4096)
    return nlist, max(16, nlist // 16)


class VectorIndex:
    """Inner-product search; row ``i`` is the chunk at row ``i`` of the store."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @property
    def kind(self) -> VectorKind:
        if isinstance(self._index, faiss.IndexIVF):
            return "ivf-flat"
        if isinstance(self._index, faiss.IndexHNSW):
            return "hnsw-flat"
        return "flat-ip"

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def params(self) -> dict[str, int]:
        """The search parameters worth recording in the manifest: IVF nlist/nprobe, HNSW M/efSearch."""
        if isinstance(self._index, faiss.IndexIVF):
            return {"nlist": int(self._index.nlist), "nprobe": int(self._index.nprobe)}
        if isinstance(self._index, faiss.IndexHNSW):
            return {"M": int(self._index.hnsw.nb_neighbors(1)), "ef_search": int(self._index.hnsw.efSearch)}
        return {}

    def set_search_params(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Override what the file says (a manifest tuned after the build); ignored for other kinds."""
        if nprobe is not None and isinstance(self._index, faiss.IndexIVF):
            if not 1 <= nprobe <= self._index.nlist:
                raise ValueError(f"nprobe must be in 1..{self._index.nlist}, got {nprobe}")
            self._index.nprobe = nprobe
        if ef_search is not None and isinstance(self._index, faiss.IndexHNSW):
            if ef_search < 1:
                raise ValueError(f"ef_search must be positive, got {ef_search}")
            self._index.hnsw.efSearch = ef_search

    @classmethod
    def build(cls, vectors: np.ndarray, kind: VectorKind | None = None, nlist: int | None = None,
              nprobe: int | None = None) -> VectorIndex:
        """Index ``vectors`` (rows L2-normalised); ``kind`` defaults to ``choose_kind(len(vectors))``,
        IVF ``nlist``/``nprobe`` to ``ivf_params(len(vectors))``."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        kind = kind or choose_kind(len(vectors))
        dim = vectors.shape[1]
        if kind == "flat-ip":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        elif kind == "ivf-flat":
            default_nlist, default_nprobe = ivf_params(len(vectors))
            nlist = nlist or default_nlist
            nprobe = min(nprobe or (default_nprobe if nlist == default_nlist else max(16, nlist // 16)), nlist)
            if len(vectors) < nlist:
                raise ValueError(f"ivf-flat needs at least {nlist} vectors to train, got {len(vectors)}")
            index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
            # 40 points per centroid is what k-means needs; more only slows the build.
            sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), nlist * 40), replace=False)
            index.train(vectors[np.sort(sample)])
            index.nprobe = nprobe
            index.make_direct_map()  # lets vectors() reconstruct rows, at 8 bytes per vector
        elif kind == "hnsw-flat":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            raise ValueError(f"unknown vector index kind {kind!r}; expected one of {', '.join(KINDS)}")
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Open ``path`` memory-mapped (read-only), so processes serving one index share its pages."""
        if not path.is_file():
            raise IndexCorrupt(path, "vector file is missing")
        try:
            return cls(faiss.read_index(str(path), _READ_FLAGS))
        except RuntimeError as exc:
            raise IndexCorrupt(path, f"FAISS cannot read it ({str(exc).splitlines()[0]})") from exc

    def vectors(self) -> np.ndarray:
        """All stored vectors, in row order (used to carry unchanged documents into a new version)."""
        return self.vectors_at(0, self.size)

    def vectors_at(self, first: int, count: int) -> np.ndarray:
        """``count`` stored vectors from row ``first`` (a block at a time keeps a 1M-row scan small)."""
        count = max(0, min(count, self.size - first))
        if count == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(first, count)

    def search(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (row, score) pairs, best first; ``rows`` (sorted int64) restricts the candidates."""
        if self.size == 0:
            return []
        k = min(k, self.size if rows is None else len(rows))
        if k <= 0:
            return []
        params = None
        if rows is not None:
            # A bitmap (n/8 bytes, built in ~1 ms at 1M) rather than IDSelectorBatch, which hashes every row
            # kept on each query (~250 ms for a date filter keeping 940k of 1M rows).
            bitmap = np.zeros(self.size, dtype=bool)
            bitmap[rows] = True
            bits = np.packbits(bitmap, bitorder="little")
            selector = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))
            if isinstance(self._index, faiss.IndexIVF):
                # A filter keeping a fraction f of the rows leaves ~f of each probed list; probing nprobe/f
                # lists scans about as many kept rows as an unfiltered search (all lists when f is small).
                nprobe = math.ceil(self._index.nprobe * self.size / len(rows))
                params = faiss.SearchParametersIVF(sel=selector, nprobe=min(self._index.nlist, nprobe))
            elif isinstance(self._index, faiss.IndexHNSW):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        elif isinstance(self._index, faiss.IndexHNSW) and k > self._index.hnsw.efSearch:
            params = faiss.SearchParametersHNSW(efSearch=k)
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        scores, found = self._index.search(query, k, params=params)
        return [(int(r), float(s)) for r, s in zip(found[0], scores[0], strict=True) if r >= 0]
