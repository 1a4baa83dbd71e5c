"""Contact questions answered from the contact-table facts extracted at ingest, or from a phone number or
e-mail address the text gives beside what the question names ("부산본부세관(051-620-6965)")."""

from __future__ import annotations

import re

from answer.evidence import Segment, proximity
from answer.question import Question
from answer.spans import find_spans
from core.text import fold
from index.records import Hit
from index.search import BriefingIndex
from ingest.records import Fact

_TITLES = ("과장", "팀장", "국장", "단장", "센터장", "사무관", "주무관", "연구관", "연구사", "서기관", "실장", "관장", "부장", "연구원", "대리", "차장")


def _spaced(value: str) -> str:
    """A regex matching ``value`` with optional spaces between its characters ("정일" ~ "정 일")."""
    return r"\s*".join(re.escape(ch) for ch in value if not ch.isspace())


def _field_span(fact: Fact, asks: str) -> tuple[int, int] | None:
    """Offsets (in the document) of the asked field inside the contact row."""
    attrs = fact.attrs
    if asks == "phone":
        digits = re.sub(r"\D", "", str(attrs.get("phone", "")))
        for span in find_spans(fact.text, ("phone",)):
            if re.sub(r"\D", "", span.text_of(fact.text)) == digits:
                return fact.start + span.start, fact.start + span.end
        return None
    value = str(attrs.get({"email": "email", "department": "department", "name": "name"}[asks], "") or "")
    if not value:
        return None
    match = re.search(_spaced(value), fact.text)
    if match is None and asks == "department":
        # A merged cell may have joined "안전보건감독국 안전보건감독기획과": cite the unit that is in the row.
        parts = sorted(value.split(), key=lambda p: (p.endswith(("과", "팀", "센터", "실")), len(p)), reverse=True)
        match = next((m for p in parts if (m := re.search(_spaced(p), fact.text))), None)
    return (fact.start + match.start(), fact.start + match.end()) if match else None


def _cue_score(question: Question, fact: Fact) -> float:
    """How well the row fits the role, title and unit the question names."""
    q = fold(question.text).replace(" ", "")
    attrs = fact.attrs
    score = 0.0
    title = str(attrs.get("title", ""))
    asked_titles = [t for t in _TITLES if t in q]
    if asked_titles:
        score += 0.25 if title in asked_titles else -0.1
    role = str(attrs.get("role", ""))
    if "책임자" in q:
        score += 0.2 if role == "책임자" else -0.1
    elif "담당자" in q or "실무" in q:
        score += 0.15 if role == "담당자" else 0.0
    elif role == "책임자":
        score += 0.05
    # Each word of the row's ministry, unit and topic that the question names ("중소벤처기업부", "스마트공장").
    unit = fold(" ".join(str(attrs.get(k, "")) for k in ("ministry", "department", "topic")))
    for part in set(re.findall(r"[가-힣A-Za-z]{2,}", unit)):
        if len(part) >= 3 and part in q:
            score += 0.15
    return score


def best_contact(
    index: BriefingIndex, question: Question, hits: list[Hit], segments: list[Segment]
) -> tuple[Hit, int, int, int, int, float] | None:
    """(hit, answer start, answer end, row start, row end, score) of the best-matching contact row."""
    doc_rank: dict[str, int] = {}
    for rank, hit in enumerate(hits):
        doc_rank.setdefault(hit.chunk.doc_id, rank)
    doc_cover: dict[str, float] = {}
    for seg in segments:
        doc_cover[seg.hit.chunk.doc_id] = max(doc_cover.get(seg.hit.chunk.doc_id, 0.0), seg.coverage)
    asks = question.asks or "name"
    rows = {doc_id: index.facts(doc_id=doc_id, kind="contact") for doc_id in doc_rank}
    best = None
    for doc_id, rank in doc_rank.items():
        for fact in rows[doc_id]:
            span = _field_span(fact, asks) or _field_span(fact, "name") or _field_span(fact, "phone")
            if span is None:
                continue
            score = doc_cover.get(doc_id, 0.0) - 0.05 * rank + _cue_score(question, fact)
            if asks == "department" and re.search(r"(과|팀|센터|TF)$", index.document_text(doc_id)[span[0]:span[1]]):
                score += 0.1  # "어느 부서": the working unit (…과, …팀) the row names, not the bureau above it
            if best is None or score > best[-1]:
                hit = index.hit_at(doc_id, fact.start)
                if hit is not None:
                    best = (hit, span[0], span[1], fact.start, fact.end, score)
    if asks in ("phone", "email"):
        for seg in segments:
            doc_text = index.document_text(seg.hit.chunk.doc_id)
            for found in find_spans(doc_text, (asks,), seg.start, seg.end):
                if any(f.start <= found.start < f.end for f in rows.get(seg.hit.chunk.doc_id, [])):
                    continue  # a table row's number: scored above with its row
                # Outside the contact table a number answers only for what the question names right
                # before it ("부산본부세관 | … | 051-620-6965"): then it beats the release's general contact.
                named = [m for m in seg.matched if 0 <= found.start - m[1] <= 40]
                score = seg.coverage - 0.05 * seg.rank + 2 * proximity(seg, found.start) + 0.25
                if named and (best is None or score > best[-1]):
                    best = (seg.hit, found.start, found.end, seg.start, seg.end, score)
    return best
