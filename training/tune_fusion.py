"""Choose how the dense and keyword rankings are fused, on the team's release questions only.

    .venv/bin/python -m training.tune_fusion --index var/corpus-index [--json var/fusion.json]

For every answerable question of ``data/qa/train`` (written over the training releases; none is an
evaluation question) both rankings are computed once over the corpus index (the 100-row pools that
``BriefingIndex.search`` fuses); then each fusion of a small grid ranks the releases (a release at the
rank of its first chunk) and is scored by the release's MRR@10 and R@1. Reciprocal rank fusion with a
weight on the keyword side and its constant ``k`` is compared with a convex combination of min-max
normalised scores. The public AutoRAG set (``benchmarks/autorag.py``) is never used here: it measures
the chosen fusion afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from index.fusion import convex_fusion, reciprocal_rank_fusion

Ranked = list[tuple[int, float]]
TRAIN = Path("data/qa/train")


def questions(folder: Path = TRAIN) -> list[dict]:
    rows = [json.loads(line) for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if q.get("answerable") and q.get("source")]


def doc_ranks(fused: list[int], row_doc: Callable[[int], str]) -> list[str]:
    seen: dict[str, None] = {}
    for row in fused:
        seen.setdefault(row_doc(row))
    return list(seen)


def score(rankings: list[list[str]], gold: list[str]) -> dict[str, float]:
    ranks = [r.index(g) + 1 if g in r[:10] else 0 for r, g in zip(rankings, gold, strict=True)]
    n = max(len(ranks), 1)
    return {"R@1": sum(r == 1 for r in ranks) / n, "MRR@10": sum(1 / r for r in ranks if r) / n}


def grid() -> dict[str, Callable[[Ranked, Ranked], list[int]]]:
    fusions: dict[str, Callable[[Ranked, Ranked], list[int]]] = {}
    for k in (5, 10, 20, 60):
        for w in (1.0, 1.5, 2.0, 3.0):
            fusions[f"rrf k={k} w_keyword={w:g}"] = (
                lambda d, kw, k=k, w=w: [r for r, _ in reciprocal_rank_fusion(
                    [[r for r, _ in d], [r for r, _ in kw]], [1.0, w], k=k)])
    for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        fusions[f"convex keyword={alpha:g}"] = (
            lambda d, kw, a=alpha: [r for r, _ in convex_fusion([d, kw], [1 - a, a])])
    return fusions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("var/corpus-index"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from index.keyword import tokenize
    from index.search import open_index

    index = open_index(args.index)
    asked = questions()
    pools: list[tuple[Ranked, Ranked]] = []
    for q in asked:
        tokens = tokenize(q["question"])
        dense = index.vectors.search(index.embedder.embed_query(q["question"]), 100)
        pools.append((dense, index.keywords.search(tokens, 100)))
    doc_of = index.chunks.at  # row -> chunk

    def row_doc(row: int, cache: dict[int, str] = {}) -> str:  # noqa: B006 - a cache for this run
        if row not in cache:
            cache[row] = doc_of([row])[row].doc_id
        return cache[row]

    gold = [q["source"] for q in asked]
    results = {"dense": score([doc_ranks([r for r, _ in d], row_doc) for d, _ in pools], gold),
               "keyword": score([doc_ranks([r for r, _ in kw], row_doc) for _, kw in pools], gold)}
    for name, fuse in grid().items():
        results[name] = score([doc_ranks(fuse(d, kw), row_doc) for d, kw in pools], gold)
    width = max(map(len, results))
    for name, s in sorted(results.items(), key=lambda item: -item[1]["MRR@10"]):
        print(f"{name:<{width}}  R@1 {s['R@1']:.4f}  MRR@10 {s['MRR@10']:.4f}")
    print(f"{len(asked)} questions over {len(set(gold))} releases", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"questions": len(asked), "results": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
