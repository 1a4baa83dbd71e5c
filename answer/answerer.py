"""The answering layer: retrieve, find the figure, name or date that answers, cite it — or abstain.

>>> answerer = Answerer(open_index(Path("var/index")))
>>> answer = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?")
>>> answer.text, answer.citations[0].source
("'26년 4,366억원", '000_5a375b227c424bcf.txt')
"""

from __future__ import annotations

import logging
import re

from answer.contacts import best_contact
from answer.evidence import Candidate, Segment, key_weights, proximity, segments_of
from answer.figures import KINDS_BY_TYPE, best_figure
from answer.general import WHERE, WHO, head_noun, named_spans, person_spans, place_spans
from answer.question import Question, parse_question
from answer.records import Answer, Citation, Passage
from core.text import fold
from index.records import Hit, SearchFilters
from index.search import BriefingIndex

logger = logging.getLogger(__name__)

NO_ANSWER = "보도자료에서 이 질문에 대한 근거를 찾지 못했습니다."
NO_YEAR = "보도자료에 질문한 연도({year}년)의 수치가 없습니다."



class Answerer:
    """Answers questions over one opened index. Thread-safe: it keeps no per-question state."""

    def __init__(self, index: BriefingIndex, top_k: int = 10, min_confidence: float = 0.25,
                 evidence_depth: int = 8) -> None:
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
        elif parsed.question_type in KINDS_BY_TYPE:
            candidate = self._best_figure(parsed, segments, weights)
        else:
            candidate = self._best_clause(parsed, segments)
        if candidate is None:
            return Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER)
        # A missing year is the more useful reason to give, so it is checked first.
        reason = self._missing_year(parsed, candidate) or (NO_ANSWER if candidate.score < self.min_confidence else "")
        if reason:
            return Answer(question, None, parsed.question_type, passages=passages, reason=reason,
                          confidence=candidate.score)
        doc_text = self.index.document_text(candidate.hit.chunk.doc_id)
        text = doc_text[candidate.start:candidate.end].strip()
        citations = [self._citation(candidate.hit, candidate.cite_start, candidate.cite_end, doc_text)]
        citations += [self._citation(h, h.chunk.start, h.chunk.end) for h in hits
                      if h.chunk.chunk_id != candidate.hit.chunk.chunk_id][:4]
        items = _list_items(text) if parsed.question_type == "list" else []
        return Answer(question, text, parsed.question_type, citations, passages, confidence=round(candidate.score, 4),
                      items=items)

    def _best_figure(self, question: Question, segments: list[Segment], weights: dict[str, float]) -> Candidate | None:
        texts = {seg.hit.chunk.doc_id: self.index.document_text(seg.hit.chunk.doc_id) for seg in segments}
        return best_figure(question, segments, texts, weights)

    def _missing_year(self, question: Question, candidate: Candidate) -> str:
        """An explicit year asked about must appear in the cited release, or the figure is for another year."""
        doc_text = self.index.document_text(candidate.hit.chunk.doc_id)
        published = candidate.hit.document.published_on[:4]
        if question.relative_year and published.isdigit():
            # "내년 예산" in a 2026 release asks about 2027: the release must say something about 2027.
            year = int(published) + question.relative_year
            if not _mentions_year(doc_text, year):
                return NO_YEAR.format(year=year)
        for year in question.years:
            if not _mentions_year(doc_text, year):
                return NO_YEAR.format(year=year)
            if question.question_type in ("budget", "target") and not _names_an_edition(question, year):
                hit = candidate.hit
                context = " ".join((hit.document.title, hit.chunk.heading,
                                    doc_text[max(0, hit.chunk.start - 200):hit.chunk.end]))
                if not _mentions_year(context, year):
                    return NO_YEAR.format(year=year)
        return ""

    # -- general and list questions -------------------------------------------------------
    def _best_clause(self, question: Question, segments: list[Segment]) -> Candidate | None:
        """A person, place or named thing when the question asks for one, else the covering clause."""
        best: Candidate | None = None
        is_list = question.question_type == "list"
        limit = 110 if is_list else 80
        q = question.text
        q_folded = fold(q).replace(" ", "")
        head = head_noun(q)
        asks_who, asks_where = bool(WHO.search(q)), bool(WHERE.search(q))
        for seg in segments:
            base = seg.coverage - 0.03 * seg.rank
            doc_text = self.index.document_text(seg.hit.chunk.doc_id)
            spans: list[tuple[int, int]] = []
            if asks_who:
                spans += person_spans(doc_text, seg.start, seg.end)
            if asks_where:
                spans += place_spans(doc_text, seg.start, seg.end)
            spans += named_spans(doc_text, head, seg.start, seg.end)
            for start, end in spans:
                if fold(doc_text[start:end]).replace(" ", "") in q_folded:
                    continue  # a span that only repeats the question answers nothing
                score = base + 0.1 + proximity(seg, start)
                if best is None or score > best.score:
                    best = Candidate.in_segment(seg, start, end, score)
            if is_list and len(re.findall(r"[,·ㆍ]", seg.text)) >= 3:
                base += 0.15  # an enumeration is what a list question wants
            if asks_who or asks_where:
                base -= 0.15  # a who/where question wants a name; a clause is the weaker fallback
            if best is None or base > best.score:
                start, end = _window(seg, limit)
                best = Candidate.in_segment(seg, start, end, base)
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


_EDITION = r"\s*[가-힣A-Za-z·\s]{2,30}?(?:사업|조사|계획|공모|대회|박람회|축제|제도|인증제|캠프|프로젝트|위원회|포럼)"


def _mentions_year(text: str, year: int) -> bool:
    """Whether ``text`` names ``year``: "2027", "'27년" or "'27." (as in '27.12.31)."""
    short = f"{year % 100:02d}"
    return bool(re.search(rf"{year}|['’`‘]\s?{short}\s*년|['’`‘]{short}\.", text))


def _names_an_edition(question: Question, year: int) -> bool:
    """'2026년 전국 공공도서관 통계조사': the year names a programme, not the year of the figure asked."""
    if any(str(year) in q for q in question.quoted):
        return True
    return bool(re.search(rf"{year}\s*년{_EDITION}", question.text))


def _list_items(text: str) -> list[str]:
    """The items of an enumeration: "* 산업재해, 자살, 자연재난" → ["산업재해", "자살", "자연재난"]."""
    parts = [p.strip(" *-·ㆍ()[]") for p in re.split(r"[,·ㆍ]|\s및\s", text)]
    return [p for p in parts if p] if len(parts) >= 2 else []


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
