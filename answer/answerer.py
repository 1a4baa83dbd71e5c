"""The answering layer: retrieve, find the figure, name or date that answers, cite it — or abstain.

>>> answerer = Answerer(open_index(Path("var/index")))
>>> answer = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?")
>>> answer.text, answer.citations[0].source
("'26년 4,366억원", '000_5a375b227c424bcf.txt')
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re

from answer.contacts import best_contact
from answer.evidence import Candidate, Segment, key_weights, proximity, segments_of
from answer.fact_lists import FactList, find_fact_list, list_items
from answer.figures import KINDS_BY_TYPE, best_figure
from answer.general import (
    ROLE_WORDS,
    WHERE,
    WHO,
    head_noun,
    labelled_place_spans,
    named_spans,
    person_spans,
    place_spans,
)
from answer.question import Question, classify_question, parse_question
from answer.reader import Reader, ReadSpan, default_reader, rules_alone
from answer.records import NO_ANSWER, Answer, Citation, ListItem, Passage
from answer.rephrase import Rephraser
from answer.rerank import Reranker
from core.text import fold, nfkc
from index.records import Hit, SearchFilters
from index.search import BriefingIndex

logger = logging.getLogger(__name__)

NO_YEAR = "보도자료에 질문한 연도({year}년)의 수치가 없습니다."
NO_ORDINAL = "보도자료에 질문한 차수({ordinal})가 없습니다."



class Answerer:
    """Answers questions over one opened index. Thread-safe: it keeps no per-question state."""

    def __init__(self, index: BriefingIndex, top_k: int = 10, min_confidence: float = 0.25,
                 evidence_depth: int = 8, reranker: Reranker | None = None,
                 rephraser: Rephraser | None = None, reader: Reader | None | str = "default",
                 reader_depth: int = 5, reader_docs: int = 1, reader_checks: bool | None = None) -> None:
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        self.index = index
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.evidence_depth = evidence_depth
        self.reranker = reranker  # optional: reorders the retrieved hits (answer.rerank)
        self.rephraser = rephraser  # optional: a grounded LLM sentence beside the answer (answer.rephrase)
        # the trained reader (answer.reader) picks spans and abstains; None answers by the rules alone
        self.reader = default_reader() if reader == "default" else reader
        self.reader_depth = reader_depth
        # the reader reads the passages of the first ``reader_docs`` releases retrieved (0: every release
        # among the first ``reader_depth`` passages): its margins are against each passage's own
        # no-answer score, so they rank spans within a release better than across releases
        self.reader_docs = reader_docs
        if reader_checks is None:
            from core.settings import get_settings

            reader_checks = get_settings().reader != "bare"
        self.reader_checks = reader_checks  # the year/round checks and fact lists around the reader

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None, *,
               matching_only: bool = False) -> list[Passage]:
        hits = self.index.search(query, k or self.top_k, filters, matching_only=matching_only)
        return [self._passage(h) for h in hits]

    def ask(self, question: str, filters: SearchFilters | None = None, top_k: int | None = None) -> Answer:
        """A short cited answer or an abstention; with a rephraser, also its grounded sentence."""
        answer = self._answer(question, filters, top_k)
        return self.rephraser.rephrase(answer) if self.rephraser is not None else answer

    def _retrieve(self, question: str, k: int, filters: SearchFilters | None) -> list[Hit]:
        """The ``k`` best hits; with a reranker, the best ``k`` of its order over ``top_n`` retrieved."""
        if self.reranker is None:
            return self.index.search(question, k, filters)
        return self.reranker.rerank(question, self.index.search(question, max(k, self.reranker.top_n), filters))[:k]

    def _answer(self, question: str, filters: SearchFilters | None = None, top_k: int | None = None) -> Answer:
        parsed = parse_question(question)
        hits = self._retrieve(question, top_k or self.top_k, filters)
        passages = [self._passage(h) for h in hits]
        if not hits:
            return Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER)
        if self.reader is not None and not self.reader_checks:  # the reader alone (an ablation)
            read, margin = self._read(question, parsed, hits, passages)
            return read if margin >= self.reader.bare_threshold else self._abstain(read, passages)
        if parsed.lists:
            found = find_fact_list(self.index, parsed, hits[: self.evidence_depth], filters)
            if found is not None:
                return self._fact_list_answer(question, found, hits, passages)
            # No stored fact of that kind in scope: answer as the question reads without "모두".
            parsed = dataclasses.replace(parsed, question_type=classify_question(question))
        ruled = self._rules(question, parsed, hits, passages)
        if self.reader is None or parsed.question_type == "contact":
            # contacts are answered from the contact tables read at ingest (answer.contacts), which the
            # reader, trained on sentences, reads worse
            return ruled
        if self.reader.busy():  # shed load: the rules' answer, which the reader only refines
            return rules_alone(ruled)
        read, margin = self._read(question, parsed, hits, passages)
        return self.reader.combine(ruled, read, margin)

    def candidates(self, question: str) -> tuple[Answer, Answer, float]:
        """The rules' answer, the reader's best span (checked, before any threshold) and its margin:
        what :meth:`Reader.combine` decides between (``training.calibrate`` fits its thresholds)."""
        parsed = parse_question(question)
        hits = self._retrieve(question, self.top_k, None)
        passages = [self._passage(h) for h in hits]
        if parsed.lists:
            parsed = dataclasses.replace(parsed, question_type=classify_question(question))
        if not hits or parsed.question_type == "contact":
            ruled = (self._rules(question, parsed, hits, passages) if hits else
                     Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER))
            return ruled, Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER), -math.inf
        return (self._rules(question, parsed, hits, passages), *self._read(question, parsed, hits, passages))

    def _abstain(self, read: Answer, passages: list[Passage]) -> Answer:
        reason = read.reason or NO_ANSWER
        return Answer(read.question, None, read.question_type, passages=passages, reason=reason,
                      confidence=read.confidence)

    def _rules(self, question: str, parsed: Question, hits: list[Hit], passages: list[Passage]) -> Answer:
        """The hand-written path: scored figure, contact and clause candidates in the retrieved passages."""
        weights = key_weights(self.index, parsed)
        segments = segments_of(self.index, parsed, hits[: self.evidence_depth], weights)
        if parsed.question_type == "contact":
            found = best_contact(self.index, parsed, hits[: self.evidence_depth], segments)
            candidate = Candidate(*found) if found else None
        elif parsed.question_type in KINDS_BY_TYPE:
            candidate = self._best_figure(parsed, segments, weights)
            if candidate is not None and self._missing_year(parsed, candidate.hit):
                # "내년 예산" means another year in each release: a figure from a release that lacks the
                # asked year is no answer, so look among the releases that have it before abstaining.
                hits_of = {seg.hit.chunk.chunk_id: seg.hit for seg in segments}
                missing = {chunk_id: self._missing_year(parsed, hit) for chunk_id, hit in hits_of.items()}
                dated = [seg for seg in segments if not missing[seg.hit.chunk.chunk_id]]
                candidate = (self._best_figure(parsed, dated, weights) if dated else None) or candidate
        else:
            candidate = self._best_clause(parsed, segments)
        if candidate is None:
            return Answer(question, None, parsed.question_type, passages=passages, reason=NO_ANSWER)
        # A missing year is the more useful reason to give, so it is checked first.
        reason = (self._missing_year(parsed, candidate.hit)
                  or _missing_ordinal(question, self.index.document_text(candidate.hit.chunk.doc_id))
                  or (NO_ANSWER if candidate.score < self.min_confidence else ""))
        if reason:
            return Answer(question, None, parsed.question_type, passages=passages, reason=reason,
                          confidence=candidate.score)
        doc_text = self.index.document_text(candidate.hit.chunk.doc_id)
        text = doc_text[candidate.start:candidate.end].strip()
        # only what supports the answer is cited; the other retrieved passages stay in ``passages``
        citations = [self._citation(candidate.hit, candidate.cite_start, candidate.cite_end, doc_text)]
        items = [ListItem(doc_text[s:e], self._citation(candidate.hit, s, e, doc_text))
                 for s, e in _list_spans(doc_text, candidate.start, candidate.end)] if parsed.question_type == "list" else []
        return Answer(question, text, parsed.question_type, citations, passages, confidence=round(candidate.score, 4),
                      items=items)

    def _read(self, question: str, parsed: Question, hits: list[Hit],
              passages: list[Passage]) -> tuple[Answer, float]:
        """The reader's best span over the first passages and its margin over no-answer (no threshold
        applied); an abstention with margin -inf when there is no span.

        A span whose release lacks the year or the numbered round the question asks about is passed
        over (the year and round checks below), so "2027년 예산" is not answered with 2026's figure."""
        first = {h.chunk.doc_id for h in hits[: self.reader_docs]} if self.reader_docs else None
        views = self._views([h for h in hits[: self.reader_depth] if first is None or h.chunk.doc_id in first])
        spans = self.reader.read(question, [text for _hit, _base, text in views])  # type: ignore[union-attr]
        reason = ""
        best: ReadSpan | None = None
        for span in spans[:10]:
            hit = views[span.passage][0]
            doc_text = self.index.document_text(hit.chunk.doc_id)
            if self.reader_checks and not _fits_type(parsed.question_type, views[span.passage][2][span.start:span.end]):
                continue
            found = self.reader_checks and (self._missing_year(parsed, hit) or _missing_ordinal(question, doc_text))
            if found:
                reason = reason or found
                continue
            best = span
            break
        if best is None:
            return Answer(question, None, parsed.question_type, passages=passages,
                          reason=reason or NO_ANSWER), -math.inf
        hit, base, _text = views[best.passage]
        doc_text = self.index.document_text(hit.chunk.doc_id)
        start, end = base + best.start, base + best.end
        # only the sentence the span stands in supports the answer; the other passages stay in ``passages``
        citations = [self._citation(hit, *_sentence_of(doc_text, start, end, base, base + len(_text)), doc_text)]
        items = [ListItem(doc_text[s:e], self._citation(hit, s, e, doc_text))
                 for s, e in _list_spans(doc_text, start, end)] if parsed.question_type == "list" else []
        return Answer(question, doc_text[start:end], parsed.question_type, citations, passages,
                      confidence=round(best.probability, 4), items=items), best.margin

    def _views(self, hits: list[Hit], margin: int = 120) -> list[tuple[Hit, int, str]]:
        """What the reader reads: each hit's chunk with up to ``margin`` characters of its release on
        either side (a table's header, the sentence before), overlapping views of a release merged;
        (hit, offset of the view in the release, text), in the order of the hits."""
        views: list[list] = []
        for hit in hits:
            doc_text = self.index.document_text(hit.chunk.doc_id)
            lo = max(0, hit.chunk.start - margin)
            lo = max(lo, doc_text.rfind("\n", lo, hit.chunk.start) + 1) if "\n" in doc_text[lo:hit.chunk.start] else lo
            hi = min(len(doc_text), hit.chunk.end + margin)
            cut = doc_text.find("\n", hit.chunk.end, hi)
            hi = cut if cut >= 0 else hi
            for view in views:
                if view[0].chunk.doc_id == hit.chunk.doc_id and lo <= view[2] and hi >= view[1]:
                    view[1], view[2] = min(view[1], lo), max(view[2], hi)
                    break
            else:
                views.append([hit, lo, hi])
        return [(hit, lo, self.index.document_text(hit.chunk.doc_id)[lo:hi]) for hit, lo, hi in views]

    def _fact_list_answer(self, question: str, found: FactList, hits: list[Hit], passages: list[Passage]) -> Answer:
        """Every fact the list question asks for, each cited; the short answer joins the first ones."""
        if found.score < self.min_confidence:
            return Answer(question, None, "list", passages=passages, reason=NO_ANSWER, confidence=round(found.score, 4))
        items, text = list_items(self.index, found)
        citations = [item.citation for item in items[:5]]
        return Answer(question, text, "list", citations, passages, confidence=round(found.score, 4), items=items)

    def _best_figure(self, question: Question, segments: list[Segment], weights: dict[str, float]) -> Candidate | None:
        texts = {seg.hit.chunk.doc_id: self.index.document_text(seg.hit.chunk.doc_id) for seg in segments}
        facts = {doc_id: self.index.facts(doc_id=doc_id) for doc_id in texts}
        return best_figure(question, segments, texts, weights, facts)

    def _missing_year(self, question: Question, hit: Hit) -> str:
        """An explicit year asked about must appear in the cited release, or the figure is for another year."""
        doc_text = self.index.document_text(hit.chunk.doc_id)
        published = hit.document.published_on[:4]
        if question.relative_year and published.isdigit():
            # "내년 예산" in a 2026 release asks about 2027: the release must say something about 2027.
            year = int(published) + question.relative_year
            if not _mentions_year(doc_text, year):
                return NO_YEAR.format(year=year)
        for year in question.years:
            if not _mentions_year(doc_text, year):
                return NO_YEAR.format(year=year)
            if question.question_type in ("budget", "target") and not _names_an_edition(question, year):
                context = " ".join((hit.document.title, hit.chunk.heading,
                                    doc_text[max(0, hit.chunk.start - 200):hit.chunk.end]))
                if not _mentions_year(context, year):
                    return NO_YEAR.format(year=year)
        return ""

    # -- general and list questions -------------------------------------------------------
    def _best_clause(self, question: Question, segments: list[Segment]) -> Candidate | None:
        """A person, place or named thing when the question asks for one, else the covering clause."""
        best: Candidate | None = None  # the best name, place or named thing
        clause: Candidate | None = None  # the best covering clause
        is_list = question.question_type == "list"
        limit = 110 if is_list else 80
        q = question.text
        q_folded = fold(q).replace(" ", "")
        head = head_noun(q)
        asks_who, asks_where = bool(WHO.search(q)), bool(WHERE.search(q))
        # "X는 어디에서 열렸나요" asks where event X was held, so X is no answer; "X는 어디인가요" asks which X.
        asks_where_held = asks_where and bool(re.search(r"어디\s*(?:에서|서)", q))
        key_terms = {fold(t) for t in question.key_terms if len(t) >= 2}
        for seg in segments:
            base = seg.coverage - 0.03 * seg.rank
            doc_text = self.index.document_text(seg.hit.chunk.doc_id)
            spans: list[tuple[int, int]] = []
            labelled: set[tuple[int, int]] = set()
            if asks_who:
                spans += person_spans(doc_text, seg.start, seg.end)
            if asks_where:
                labelled = set(labelled_place_spans(doc_text, seg.start, seg.end))
                spans += [*place_spans(doc_text, seg.start, seg.end), *labelled]
            spans += named_spans(doc_text, head, seg.start, seg.end)
            for start, end in spans:
                words = doc_text[start:end].split()
                if fold(doc_text[start:end]).replace(" ", "") in q_folded:
                    continue  # a span that only repeats the question answers nothing
                if asks_where_held and words and any(fold(words[-1]).endswith(t) for t in key_terms):
                    continue  # "현장간담회에서" for "간담회는 어디에서": the event itself, not where it was held
                score = base + 0.1 + proximity(seg, start) + (0.1 if (start, end) in labelled else 0.0)
                if asks_who and _role_beside(doc_text, start, end, q_folded):
                    score += 0.1  # "홍보대사는 누구": the name next to the role the question names
                if best is None or score > best.score:
                    best = Candidate.in_segment(seg, start, end, score)
            if is_list and len(re.findall(r"[,·ㆍ]", seg.text)) >= 3:
                base += 0.15  # an enumeration is what a list question wants
            if asks_who or asks_where:
                base -= 0.15  # a who/where question wants a name; a clause is the weaker fallback
            if clause is None or base > clause.score:
                start, end = _window(seg, limit)
                clause = Candidate.in_segment(seg, start, end, base)
        if (asks_who or asks_where) and best is not None:
            return best  # a name or place found in the evidence answers better than any clause
        return clause if best is None or (clause is not None and clause.score > best.score) else best

    # -- records --------------------------------------------------------------------------
    def _passage(self, hit: Hit) -> Passage:
        return Passage(hit.chunk.doc_id, hit.chunk.chunk_id, round(hit.score, 6), hit.chunk.text,
                       hit.chunk.start, hit.chunk.end, hit.document.title, hit.document.ministry,
                       hit.document.published_on)

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


# "제4차", "제11회", "2차 추경": a numbered round, session or edition the question asks about.
_ORDINAL = re.compile(r"(?<![\d.])(?:제\s*(\d{1,3})\s*(차|회|기)|(\d{1,3})\s*(차)(?=\s))")


def _missing_ordinal(question: str, doc_text: str) -> str:
    """"제4차 공식협상은 언제": a release that only has the 3rd round does not answer for the 4th."""
    ordinals = list(_ORDINAL.finditer(nfkc(question)))
    text = nfkc(doc_text) if ordinals else ""
    for match in ordinals:
        number, unit = match.group(1) or match.group(3), match.group(2) or match.group(4)
        if not re.search(rf"(?<![\d.]){number}\s*{unit}", text):
            return NO_ORDINAL.format(ordinal=match.group(0).strip())
    return ""


def _names_an_edition(question: Question, year: int) -> bool:
    """'2026년 전국 공공도서관 통계조사': the year names a programme, not the year of the figure asked."""
    if any(str(year) in q for q in question.quoted):
        return True
    return bool(re.search(rf"{year}\s*년{_EDITION}", question.text))


def _list_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The items of an enumeration in ``text[start:end]``, as document offsets:
    "* 산업재해, 자살, 자연재난" → the spans of "산업재해", "자살" and "자연재난"."""
    bounds = [start, *(i for m in re.finditer(r"[,·ㆍ]|\s및\s", text[start:end]) for i in (start + m.start(), start + m.end())), end]
    spans = []
    for lo, hi in zip(bounds[::2], bounds[1::2], strict=True):
        while lo < hi and text[lo] in " *-·ㆍ()[]\n\t":
            lo += 1
        while hi > lo and text[hi - 1] in " *-·ㆍ()[]\n\t":
            hi -= 1
        if hi > lo:
            spans.append((lo, hi))
    return spans if len(bounds) > 2 else []


def _role_beside(text: str, start: int, end: int, question: str) -> bool:
    """Whether a title or role next to a name (within 12 characters) is one the question names."""
    around = fold(text[max(0, start - 12):start] + " " + text[end:end + 12])
    return any(role in question for role in ROLE_WORDS.findall(around))


_PHONE = re.compile(r"\d{2,4}\s*[-)]\s*\d{3,4}\s*-\s*\d{4}")
_ASCII_DIGIT = re.compile(r"[0-9]")  # "➌" is a digit to str.isdigit, not a figure
_DATE_WORD = re.compile(r"\d|[월일년]|분기|상반기|하반기|연말|연초|말|초|중순|이내|부터|까지")


def _fits_type(question_type: str, span: str) -> bool:
    """Whether a reader span has the shape its question asks for: a figure for an amount or a target
    (never a phone number), a date word for a date. Names, places and contacts are not checked."""
    if question_type in ("budget", "target"):
        return bool(_ASCII_DIGIT.search(span)) and not _PHONE.search(span)
    if question_type == "date":
        return bool(_DATE_WORD.search(span)) and not _PHONE.search(span)
    return True


def _sentence_of(text: str, start: int, end: int, view_start: int, view_end: int) -> tuple[int, int]:
    """The sentence, line or table row around ``text[start:end]``, within the view: the quote cited."""
    lo = max(view_start, text.rfind("\n", 0, start) + 1, text.rfind(". ", 0, start) + 1)
    nl = [i for i in (text.find("\n", end), text.find(". ", end)) if i >= 0]
    hi = min(view_end, min(nl) + 1 if nl else view_end)
    while lo < start and text[lo].isspace():
        lo += 1
    return lo, max(hi, end)


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
