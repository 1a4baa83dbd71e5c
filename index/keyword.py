"""Korean keyword search: BM25 (bm25s, sparse matrices) over Kiwi morphemes.

Morphemes make "스마트공장을" match "스마트공장"; adjacent nouns are also joined
("스마트"+"공장" → "스마트공장") so compounds score as a unit.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from core.text import nfkc

TOKENIZER_NAME = "kiwi-morph-v1"

_CONTENT_TAGS = ("NNG", "NNP", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "W_SERIAL", "W_EMAIL", "W_URL")
_NOUN_TAGS = ("NNG", "NNP", "SL", "XR", "SH")


@lru_cache(maxsize=1)
def _kiwi():  # type: ignore[no-untyped-def]
    from kiwipiepy import Kiwi

    return Kiwi()


def tokenize(text: str) -> list[str]:
    """Content morphemes (nouns, numbers, foreign words, verb/adjective stems) plus joined noun compounds.

    >>> tokenize("스마트공장을 확산한다")
    ['스마트', '공장', '스마트공장', '확산']
    """
    tokens: list[str] = []
    run: list[str] = []
    for token in _kiwi().tokenize(nfkc(text).lower()):
        tag = str(token.tag)
        if tag.startswith(_CONTENT_TAGS) and not (tag in ("VV", "VA") and len(token.form) < 2):
            tokens.append(token.form)
        if tag in _NOUN_TAGS:
            run.append(token.form)
            if len(run) >= 2:
                tokens.append(run[-2] + run[-1])
        else:
            run = []
    return tokens


def tokenize_many(texts: list[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


class KeywordIndex:
    """BM25 over pre-tokenised chunks; row ``i`` is the chunk at vector row ``i``."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, corpus_tokens: list[list[str]]) -> KeywordIndex:
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        # An empty document still needs a token, or bm25s drops it and rows shift.
        retriever.index([t or ["<empty>"] for t in corpus_tokens], show_progress=False)
        return cls(retriever, len(corpus_tokens))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> KeywordIndex:
        return cls(bm25s.BM25.load(str(folder), mmap=False), size)

    def search(self, query_tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Rows and BM25 scores, best first; only rows with a positive score."""
        vocab = self._retriever.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known or self.size == 0:
            return []
        k = min(k, self.size)
        scores = self._retriever.get_scores(known)
        # argpartition picks the k best in linear time; only those k are sorted (a full sort of 1M scores costs ~80 ms).
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
