"""Korean BM25: the question tokeniser's cache and the memory-mapped keyword index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.text import nfkc
from index.keyword import KeywordIndex, tokenize, top_rows
from index.store import Store, current_version


def test_tokenize_gives_each_caller_its_own_list() -> None:
    first = tokenize("내년 스마트공장 지원 예산은 얼마인가요?")
    first.append("덧붙인말")
    again = tokenize("내년 스마트공장 지원 예산은 얼마인가요?")
    assert "덧붙인말" not in again
    assert again == first[:-1]
    assert "스마트공장" in again and "예산" in again


def test_tokenize_treats_a_question_and_its_nfkc_form_alike() -> None:
    question = "ＡＩ 바우처 사업의 지원 규모는？"  # full-width letters and question mark
    assert tokenize(question) == tokenize(nfkc(question))
    assert "ai" in tokenize(question)


def _chunk_tokens(built_index: Path) -> list[list[str]]:
    store = Store(current_version(built_index) / "store.sqlite")
    try:
        return [tokens for _, _, tokens in store.chunk_rows()]
    finally:
        store.close()


def test_loaded_keyword_index_is_memory_mapped_and_ranks_like_the_built_one(built_index: Path, tmp_path: Path) -> None:
    corpus = _chunk_tokens(built_index)
    built = KeywordIndex.build(corpus)
    built.save(tmp_path / "bm25")
    loaded = KeywordIndex.load(tmp_path / "bm25", len(corpus))
    assert isinstance(loaded._retriever.scores["data"], np.memmap)
    for query in ("스마트공장 예산", "산업재해 예방", "없는낱말"):
        assert loaded.search(tokenize(query), 5) == built.search(tokenize(query), 5)
    hits = loaded.search(tokenize("스마트공장 예산"), 5)
    assert hits and any("스마트공장" in corpus[row] for row, _ in hits)


def test_scores_equal_bm25s_get_scores_and_search_ranks_by_them(built_index: Path) -> None:
    corpus = _chunk_tokens(built_index)
    index = KeywordIndex.build(corpus)
    for query in ("스마트공장 지원 예산 예산", "산업재해 사망 사고", "없는낱말 예산"):
        tokens = tokenize(query)
        known = [t for t in tokens if t in index._retriever.vocab_dict]
        reference = index._retriever.get_scores(known)
        np.testing.assert_array_equal(index.scores(tokens), reference)
        hits = index.search(tokens, 7)
        order = sorted(np.flatnonzero(reference), key=lambda r: (-reference[r], r))[:7]
        assert [row for row, _ in hits] == order
        assert [score for _, score in hits] == [float(reference[r]) for r in order]
    assert index.search(tokenize("없는낱말"), 5) == []


@pytest.mark.parametrize("n", [50, 5_000, 200_000])
def test_top_rows_equals_a_stable_full_sort(n: int) -> None:
    rng = np.random.default_rng(n)
    scores = np.zeros(n, dtype=np.float32)
    filled = rng.choice(n, n // 2, replace=False)
    scores[filled] = rng.integers(1, 40, len(filled)).astype(np.float32) / 4  # many ties
    for k in (1, 10, 100, n):
        expected = sorted(np.flatnonzero(scores), key=lambda r: (-scores[r], r))[:k]
        assert top_rows(scores, k).tolist() == expected
    assert top_rows(np.zeros(n, dtype=np.float32), 10).tolist() == []


def test_search_restricted_to_allowed_rows_ranks_only_those(built_index: Path) -> None:
    corpus = _chunk_tokens(built_index)
    index = KeywordIndex.build(corpus)
    allowed = np.arange(len(corpus)) % 2 == 0
    tokens = tokenize("스마트공장 지원 예산")
    reference = index.scores(tokens)
    expected = sorted((r for r in np.flatnonzero(reference) if allowed[r]), key=lambda r: (-reference[r], r))[:5]
    hits = index.search(tokens, 5, allowed=allowed)
    assert hits and [row for row, _ in hits] == expected


def test_bm25s_logs_at_the_application_level() -> None:
    # bm25s sets its own logger to DEBUG on import, which printed "Building index from tokens" on every ingest.
    import logging

    import index.keyword  # noqa: F401

    assert logging.getLogger("bm25s").getEffectiveLevel() == logging.getLogger().getEffectiveLevel()
