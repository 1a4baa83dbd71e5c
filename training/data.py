"""Training examples for the reader: KorQuAD 1.0 paragraphs and the team's questions over the releases.

An example is (question, passage, answer character span or None). Splits are by document — a KorQuAD
article or a release — never by question: every question of a held-out document is held out.

- KorQuAD (``../shared/external/korquad-v1/train100.json``, read in place, never copied): each question
  with its own paragraph, and, for a share of them, with another paragraph of the same article that
  does not contain the answer (a no-answer example of the same topic).
- Releases (``data/qa/train/*.jsonl``, dev's format): the release is chunked exactly as ingest chunks
  it; an answerable question is paired with the chunk holding its answer span (and, for a share, with
  another chunk of the release as a no-answer example); an unanswerable near-miss is paired with the
  chunks of its release that share the most words with it, all as no-answer examples.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from core.text import norm
from ingest.chunking import chunk_text
from training.domain_check import find_span

KORQUAD = Path("../shared/external/korquad-v1/train100.json")
CORPUS = Path("../shared/corpus/briefings")
DOMAIN_GLOB = "data/qa/train/*.jsonl"


@dataclass(frozen=True)
class Example:
    qid: str
    question: str
    passage: str
    answer: tuple[int, int] | None  # character span in ``passage``; None: the passage does not answer
    answers: tuple[str, ...] = ()  # gold strings, for scoring
    doc: str = ""


def split_docs(docs: list[str], n_val: int, seed: int) -> tuple[set[str], set[str]]:
    """``n_val`` documents drawn with ``seed`` for validation, the rest for training."""
    order = sorted(docs)
    random.Random(seed).shuffle(order)
    return set(order[n_val:]), set(order[:n_val])


def korquad_examples(articles: set[str] | None, seed: int, negative_rate: float,
                     path: Path = KORQUAD) -> list[Example]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    rng = random.Random(seed)
    out: list[Example] = []
    for art in data:
        if articles is not None and art["title"] not in articles:
            continue
        paras = [p["context"] for p in art["paragraphs"]]
        for pi, para in enumerate(art["paragraphs"]):
            ctx = para["context"]
            for qa in para["qas"]:
                a = qa["answers"][0]
                s = a["answer_start"]
                golds = tuple(x["text"] for x in qa["answers"])
                out.append(Example(qa["id"], qa["question"], ctx, (s, s + len(a["text"])), golds, art["title"]))
                others = [i for i, p in enumerate(paras) if i != pi and a["text"] not in p]
                if others and rng.random() < negative_rate:
                    out.append(Example(qa["id"] + "/neg", qa["question"], paras[rng.choice(others)], None,
                                       (), art["title"]))
    return out


def korquad_titles(path: Path = KORQUAD) -> list[str]:
    return [a["title"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]]


_WORD = re.compile(r"[0-9A-Za-z가-힣]+")


def _overlap(question: str, passage: str) -> float:
    """Share of the question's 2-character pieces found in the passage: a cheap lexical similarity."""
    q = norm(question)
    grams = {q[i : i + 2] for i in range(len(q) - 1)}
    p = norm(passage)
    return sum(g in p for g in grams) / max(len(grams), 1)


def domain_rows(glob: str = DOMAIN_GLOB) -> list[dict]:
    rows = []
    for path in sorted(Path().glob(glob)):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def domain_examples(rows: list[dict], releases: set[str] | None, seed: int, negative_rate: float,
                    corpus: Path = CORPUS) -> list[Example]:
    rng = random.Random(seed)
    chunks_of: dict[str, list] = {}
    out: list[Example] = []
    for row in rows:
        src = row["source"]
        if src is None or (releases is not None and src not in releases):
            continue
        if src not in chunks_of:
            chunks_of[src] = chunk_text(src, (corpus / src).read_text(encoding="utf-8"))
        chunks = chunks_of[src]
        text_of = {c.chunk_id: c.text for c in chunks}
        if not row["answerable"]:
            ranked = sorted(chunks, key=lambda c: -_overlap(row["question"], c.text))
            for k, c in enumerate(ranked[:2]):
                out.append(Example(f"{row['id']}/near{k}", row["question"], c.text, None, (), src))
            continue
        release = (corpus / src).read_text(encoding="utf-8")
        span = find_span(release, row["answers"][0], row.get("evidence"))
        if span is None:
            continue
        golds = tuple(a if isinstance(a, str) else " ".join(a) for a in row["answers"])
        holder = next((c for c in chunks if c.start <= span[0] and span[1] <= c.end), None)
        if holder is None:  # the span crosses a chunk border: read the two chunks as one passage
            first = next(c for c in chunks if c.start <= span[0] < c.end)
            last = next(c for c in chunks if c.start < span[1] <= c.end)
            passage, base = release[first.start : last.end], first.start
        else:
            passage, base = holder.text, holder.start
        out.append(Example(row["id"], row["question"], passage, (span[0] - base, span[1] - base), golds, src))
        gold = norm(row["answers"][0])
        others = [c for c in chunks if gold not in norm(c.text)]
        if others and rng.random() < negative_rate:
            ranked = sorted(others, key=lambda c: -_overlap(row["question"], c.text))
            pick = ranked[0] if rng.random() < 0.5 else rng.choice(others)
            out.append(Example(row["id"] + "/neg", row["question"], text_of[pick.chunk_id], None, (), src))
    return out
