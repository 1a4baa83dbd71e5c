"""Dense vectors in FAISS (inner product over L2-normalised vectors = cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from core.errors import IndexCorrupt


class VectorIndex:
    """Exact inner-product search; row ``i`` is the chunk at row ``i`` of the store."""

    kind = "flat-ip"

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @classmethod
    def build(cls, vectors: np.ndarray) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        if not path.is_file():
            raise IndexCorrupt(path, "vector file is missing")
        try:
            return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY))
        except RuntimeError as exc:
            raise IndexCorrupt(path, f"FAISS cannot read it ({str(exc).splitlines()[0]})") from exc

    def vectors(self) -> np.ndarray:
        """All stored vectors, in row order (used to carry unchanged documents into a new version)."""
        if self.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, self.size)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.size == 0:
            return []
        k = min(k, self.size)
        scores, rows = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
