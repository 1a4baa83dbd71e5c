"""The answering layer: retrieve, find the figure, name or date that answers, cite it — or abstain.

>>> answerer = Answerer(open_index(Path("var/index")))
>>> answer = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?")
>>> answer.text, answer.citations[0].source
("'26년 4,366억원", '000_5a375b227c424bcf.txt')
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from answer.contacts import best_contact
from answer.evidence import Segment, key_weights, segments_of
from answer.question import Question, parse_question
from answer.records import Answer, Citation, Passage
from answer.spans import Span, find_spans, widen_with_year, year_before
from index.records import Hit, SearchFilters
from index.search import BriefingIndex

logger = logging.getLogger(__name__)

NO_ANSWER = "보도자료에서 이 질문에 대한 근거를 찾지 못했습니다."
NO_YEAR = "보도자료에 질문한 연도({year}년)의 수치가 없습니다."

_KINDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "budget": ("money",),
    "target": ("percent", "count", "money", "arrow"),
    "date": ("date",),
}


@dataclass(frozen=True, slots=True)
class Candidate:
    hit: Hit
    start: int  # document offsets of the short answer
    end: int
    cite_start: int  # document offsets of the cited sentence or table row that holds it
    cite_end: int
    score: float

    @classmethod
    def in_segment(cls, seg: Segment, start: int, end: int, score: float) -> Candidate:
        return cls(seg.hit, start, end, seg.start, seg.end, score)


class Answerer:
    """Answers questions over one opened index. Thread-safe: it keeps no per-question state."""

    def __init__(self, index: BriefingIndex, top_k: int = 10, min_confidence: float = 0.45,
                 evidence_depth: int = 5) -> None:
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        self.index = index
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.evidence_depth = evidence_depth

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> list[Passage]:
        return [self._passage(h) for h in self.index.search(query, k or self.top_k, filters)]

    def ask(self, question: str, filters: SearchFilters | None = None, top_k: int | None = None) -> Answer:
        parsed = parse_question(question)
        hits = self.index.search(question, top_k or self.top_k, filters)
        passages = [self._passage(h) for h in hits]
        if not hits:
            return Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER)
        weights = key_weights(self.index, parsed)
        segments = segments_of(self.index, parsed, hits[: self.evidence_depth], weights)
        if parsed.question_type == "contact":
            found = best_contact(self.index, parsed, hits[: self.evidence_depth], segments)
            candidate = Candidate(*found) if found else None
        elif parsed.question_type in _KINDS_BY_TYPE:
            candidate = self._best_figure(parsed, segments)
        else:
            candidate = self._best_clause(parsed, segments)
        if candidate is None or candidate.score < self.min_confidence:
            return Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER,
                          confidence=candidate.score if candidate else 0.0)
        year_problem = self._missing_year(parsed, candidate)
        if year_problem:
            return Answer(question, None, parsed.question_type, passages=passages, reason=year_problem,
                          confidence=candidate.score)
        doc_text = self.index.document_text(candidate.hit.chunk.doc_id)
        text = doc_text[candidate.start:candidate.end].strip()
        citations = [self._citation(candidate.hit, candidate.cite_start, candidate.cite_end, doc_text)]
        citations += [self._citation(h, h.chunk.start, h.chunk.end) for h in hits
                      if h.chunk.chunk_id != candidate.hit.chunk.chunk_id][:4]
        return Answer(question, text, parsed.question_type, citations, passages, confidence=round(candidate.score, 4))

    # -- figures: budgets, targets, dates --------------------------------------------------
    def _best_figure(self, question: Question, segments: list[Segment]) -> Candidate | None:
        kinds = _KINDS_BY_TYPE[question.question_type]
        if question.asks_percent:
            kinds = ("percent", *kinds)
        best: Candidate | None = None
        for seg in segments:
            doc_text = self.index.document_text(seg.hit.chunk.doc_id)
            spans = find_spans(doc_text, kinds, seg.start, seg.end)
            for span in spans:
                score = self._figure_score(question, seg, span, doc_text)
                if best is None or score > best.score:
                    wide = widen_with_year(doc_text, span) if question.question_type != "date" else span
                    best = Candidate.in_segment(seg, wide.start, wide.end, score)
        return best

    def _figure_score(self, question: Question, seg: Segment, span: Span, doc_text: str) -> float:
        score = seg.coverage - 0.03 * seg.rank
        if seg.matched:
            distance = min(abs(span.start - m[0]) for m in seg.matched)
            score += 0.15 / (1 + distance / 20)
        if question.asks_percent and span.kind == "percent":
            score += 0.1
        if question.question_type == "target":
            after = doc_text[span.end:span.end + 12]
            before = doc_text[max(0, span.start - 12):span.start]
            if re.match(r"\s*(?:까지|로|으로|이상|달성|수준으로)", after) or span.text_of(doc_text).endswith("까지"):
                score += 0.08  # a goal: "'30년 40%까지", "500개로 확대"
            if "현재" in before and "현재" not in question.text:
                score -= 0.1  # a baseline: "현재('25년) 5% 미만"
        if question.asks_deadline and year_before(doc_text, span.start) is not None:
            score += 0.05
        if span.kind == "money" and question.question_type == "target":
            score -= 0.05
        wanted = self._wanted_years(question, seg.hit)
        if wanted:
            year = year_before(doc_text, span.start)
            if year in wanted:
                score += 0.15
            elif year is not None:
                score -= 0.15
        return score

    def _wanted_years(self, question: Question, hit: Hit) -> set[int]:
        years = set(question.years)
        published = hit.document.published_on[:4]
        if question.relative_year is not None and published.isdigit():
            years.add(int(published) + question.relative_year)
        return years

    def _missing_year(self, question: Question, candidate: Candidate) -> str:
        """An explicit year asked about must appear in the cited release, or the figure is for another year."""
        doc_text = self.index.document_text(candidate.hit.chunk.doc_id)
        for year in question.years:
            short = f"{year % 100:02d}"
            if not re.search(rf"{year}|['’`‘]\s?{short}\s*년|['’`‘]{short}\.", doc_text):
                return NO_YEAR.format(year=year)
            if question.question_type in ("budget", "target"):
                hit = candidate.hit
                context = doc_text[max(0, hit.chunk.start - 200):hit.chunk.end]
                if not re.search(rf"{year}|['’`‘]\s?{short}\s*년|['’`‘]{short}\.", context):
                    return NO_YEAR.format(year=year)
        return ""

    # -- general and list questions: the clause that covers the question -------------------
    def _best_clause(self, question: Question, segments: list[Segment]) -> Candidate | None:
        best: Candidate | None = None
        limit = 110 if question.question_type == "list" else 80
        for seg in segments:
            score = seg.coverage - 0.03 * seg.rank
            if best is not None and score <= best.score:
                continue
            start, end = _window(seg, limit)
            best = Candidate.in_segment(seg, start, end, score)
        return best

    # -- records --------------------------------------------------------------------------
    def _passage(self, hit: Hit) -> Passage:
        return Passage(hit.chunk.doc_id, hit.chunk.chunk_id, round(hit.score, 6), hit.chunk.text,
                       hit.chunk.start, hit.chunk.end, hit.document.title)

    def _citation(self, hit: Hit, start: int, end: int, doc_text: str | None = None) -> Citation:
        text = doc_text if doc_text is not None else self.index.document_text(hit.chunk.doc_id)
        doc = hit.document
        return Citation(doc.doc_id, doc.title, doc.published_on, doc.ministry, hit.chunk.chunk_id,
                        start, end, text[start:end])


def _window(seg: Segment, limit: int) -> tuple[int, int]:
    """The part of a segment around its matched terms, at most ``limit`` characters, cut at spaces."""
    if seg.end - seg.start <= limit or not seg.matched:
        return seg.start, min(seg.end, seg.start + max(limit, 0)) if seg.end - seg.start > limit else seg.end
    first, last = seg.matched[0][0], seg.matched[-1][1]
    centre = (first + last) // 2
    start = max(seg.start, centre - limit // 2)
    end = min(seg.end, start + limit)
    start = max(seg.start, end - limit)
    text = seg.text
    rel_start, rel_end = start - seg.start, end - seg.start
    space = text.find(" ", rel_start)
    if 0 <= space < rel_start + 10 and rel_start > 0:
        rel_start = space + 1
    space = text.rfind(" ", rel_start, rel_end)
    if space > rel_end - 10 and rel_end < len(text):
        rel_end = space
    return seg.start + rel_start, seg.start + rel_end
