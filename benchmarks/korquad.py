"""General Korean reading: KorQuAD 1.0 questions answered by briefqa given their paragraph.

    .venv/bin/python benchmarks/korquad.py [--articles val|all] [--reader trained|bare|off] [--out FILE]

Each paragraph of the chosen articles becomes one document of a fresh index (``var/bench/korquad-*``),
and each question is asked through ``Answerer.ask`` with ``sources`` = its paragraph, as the project is
judged. ``val`` (the default) is the 10 articles that ``training.train_reader`` holds out by article —
the only honest KorQuAD figure, since the other 90 trained the reader. Scored with KorQuAD's official
metrics (EM after removing punctuation, character F1); an abstention scores 0. Reads
``../shared/external/korquad-v1/train100.json`` in place. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from training import data  # noqa: E402
from training.korquad_metrics import best_of, exact_match, f1_score  # noqa: E402
from training.train_reader import SEED  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", choices=["val", "all"], default="val")
    ap.add_argument("--reader", choices=["trained", "bare", "off"], default="trained")
    ap.add_argument("--limit", type=int, default=0, help="first N questions only")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    os.environ["BRIEFQA_READER"] = args.reader

    from answer.answerer import Answerer
    from index.build import ingest_paths
    from index.records import SearchFilters
    from index.search import open_index

    titles = data.korquad_titles()
    _train, val = data.split_docs(titles, 10, SEED)
    chosen = val if args.articles == "val" else set(titles)
    raw = json.loads(data.KORQUAD.read_text(encoding="utf-8"))["data"]
    folder = ROOT / "var" / "bench" / f"korquad-{args.articles}"
    index_dir = folder.with_name(folder.name + "-index")
    questions = []
    if not (index_dir / "CURRENT").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for a, art in enumerate(raw):
        if art["title"] not in chosen:
            continue
        for p, para in enumerate(art["paragraphs"]):
            name = f"k{a:03d}_{p:02d}.txt"
            if not (folder / name).exists():
                (folder / name).write_text(para["context"], encoding="utf-8")
            for qa in para["qas"]:
                questions.append((name, qa["question"], [x["text"] for x in qa["answers"]]))
    if not (index_dir / "CURRENT").is_file():
        from core.settings import Settings
        from index.embedders import load_embedder

        ingest_paths([folder], index_dir, load_embedder(Settings().embedder))
    answerer = Answerer(open_index(index_dir))
    if args.limit:
        questions = questions[: args.limit]
    em = f1 = abstained = 0.0
    times = []
    for name, question, golds in questions:
        started = time.perf_counter()
        answer = answerer.ask(question, SearchFilters(sources=(name,)))
        times.append(time.perf_counter() - started)
        abstained += answer.text is None
        em += best_of(exact_match, answer.text, golds)
        f1 += best_of(f1_score, answer.text, golds)
    n = len(questions)
    times.sort()
    result = {"articles": args.articles, "reader": args.reader, "questions": n,
              "exact_match": round(100 * em / n, 2), "f1": round(100 * f1 / n, 2),
              "abstained": int(abstained), "p50_ms": round(1000 * times[n // 2], 1),
              "p95_ms": round(1000 * times[int(n * 0.95)], 1)}
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
