"""Fusing the dense and keyword rankings: reciprocal rank fusion, and the convex fusion of scores
that ``BriefingIndex.search`` uses (``hybrid_fusion``)."""

from __future__ import annotations


def reciprocal_rank_fusion(
    rankings: list[list[int]], weights: list[float] | None = None, k: int = 60
) -> list[tuple[int, float]]:
    """Fuse ranked lists of row ids: score(row) = sum_i w_i / (k + rank_i), best first.

    >>> reciprocal_rank_fusion([[1, 2], [2, 3]])[0][0]
    2
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, row in enumerate(ranking, 1):
            scores[row] = scores.get(row, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def convex_fusion(rankings: list[list[tuple[int, float]]], weights: list[float]) -> list[tuple[int, float]]:
    """Fuse scored lists of (row, score): score(row) = sum_i w_i * minmax_i(score), a row missing from a
    list counting that list's minimum; best first.

    >>> convex_fusion([[(1, 0.9), (2, 0.5)], [(2, 9.0), (3, 1.0)]], [0.4, 0.6])[0][0]
    2
    """
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        low, span = min(values), (max(values) - min(values)) or 1.0
        for row, value in ranking:
            scores[row] = scores.get(row, 0.0) + weight * (value - low) / span
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


# The keyword side's weight, chosen by ``training.tune_fusion`` on the team's 1,263 answerable training
# questions (release R@1 0.884 / MRR@10 0.920 against RRF k=60's 0.833 / 0.882 and BM25 alone's
# 0.875 / 0.912); the public AutoRAG set measures it afterwards (``benchmarks/autorag.py``).
KEYWORD_WEIGHT = 0.6


def hybrid_fusion(dense: list[tuple[int, float]], keyword: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The dense and keyword (row, score) lists fused as search ranks them, best first.

    >>> [row for row, _ in hybrid_fusion([(1, 0.90), (2, 0.89)], [(2, 12.0), (3, 4.0)])]
    [2, 1, 3]
    """
    return convex_fusion([dense, keyword], [1 - KEYWORD_WEIGHT, KEYWORD_WEIGHT])
