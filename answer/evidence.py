"""Sentences of the retrieved chunks, scored by how much of the question they cover."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from answer.question import Question
from answer.terms import DOT, credit_in, term_credit, undot
from core.text import fold
from index.records import Hit
from index.search import BriefingIndex

_SEGMENT_END = re.compile(r"\n+|(?<=[다함음됨임요]\.)\s+|(?<=[?!])\s+")


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence or table row of a retrieved chunk, with offsets into its document."""

    hit: Hit
    rank: int  # rank of its chunk in retrieval, from 0
    start: int
    end: int
    text: str
    coverage: float  # idf-weighted share of the question's key terms found here or in the title
    matched: tuple[tuple[int, int], ...]  # spans (document offsets) of matched key terms


def key_weights(index: BriefingIndex, question: Question) -> dict[str, float]:
    """idf weight of each key term. A joined compound that no release contains ("승인목표" from
    "승인 목표는") is an artefact of adjacent question words, not a missing fact, so it is dropped;
    an unknown single word ("화성") stays and lowers coverage, as it should."""
    tokens = question.tokens
    joined = {a + b for a, b in zip(tokens, tokens[1:], strict=False)} | {
        a + b for a, b in zip(tokens, tokens[2:], strict=False)}
    unseen = math.log(1 + (max(len(index.chunks), 1) + 0.5) / 0.5)  # the idf of a term no chunk holds
    weights = {t: index.idf(t) for t in question.key_terms}
    return {t: w for t, w in weights.items() if not (t in joined and w >= unseen - 1e-9)}


def segments_of(index: BriefingIndex, question: Question, hits: list[Hit], weights: dict[str, float]) -> list[Segment]:
    """Split the hits' chunks into segments and score each by key-term coverage (sentence + title)."""
    total = sum(weights.values()) or 1.0
    out: list[Segment] = []
    folded_docs: dict[str, str] = {}
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        title = fold(hit.document.title + " " + chunk.heading).replace(DOT, "")
        context = fold(chunk.text)
        bare_context = context.replace(DOT, "")
        pos = 0
        for piece in _SEGMENT_END.split(chunk.text):
            at = chunk.text.find(piece, pos)
            pos = at + len(piece)
            if not piece.strip():
                continue
            folded = context[at:pos]  # fold keeps one character per character: the piece, folded
            score = 0.0
            matched = []
            undotted = undot(folded)
            for term, weight in weights.items():
                credit, spans = term_credit(folded, term, undotted)
                matched.extend((chunk.start + at + s, chunk.start + at + e) for s, e in spans)
                if credit < 1.0:  # the title, the chunk or the rest of the release may name the term itself
                    credit = max(credit, 0.7 * credit_in(title, term), 0.4 * credit_in(bare_context, term))
                if credit < 0.2:
                    if chunk.doc_id not in folded_docs:
                        folded_docs[chunk.doc_id] = fold(index.document_text(chunk.doc_id)).replace(DOT, "")
                    credit = max(credit, 0.2 * credit_in(folded_docs[chunk.doc_id], term))
                score += credit * weight
            out.append(Segment(hit, rank, chunk.start + at, chunk.start + at + len(piece), piece,
                               score / total, tuple(sorted(matched))))
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """A short answer (document offsets) with the sentence or table row that cites it."""

    hit: Hit
    start: int
    end: int
    cite_start: int
    cite_end: int
    score: float

    @classmethod
    def in_segment(cls, seg: Segment, start: int, end: int, score: float) -> Candidate:
        return cls(seg.hit, start, end, seg.start, seg.end, score)


def proximity(seg: Segment, pos: int) -> float:
    """A bonus for a candidate close to where the question's terms matched."""
    if not seg.matched:
        return 0.0
    distance = min(abs(pos - m[0]) for m in seg.matched)
    return 0.15 / (1 + distance / 20)
