"""List questions that ask for every fact of a kind, answered from the facts stored at ingest.

"이 보도자료의 예산 항목을 모두" lists the money facts of the release in focus; "산업부 담당자 연락처
전부" lists the contact rows of 산업통상부 — in the release the question is about when it names a
topic, else in every release of that ministry, newest first. Each item cites its fact's span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from answer.evidence import key_weights, segments_of
from answer.fact_spans import is_usable
from answer.ministries import ALIASES, is_ministry, ministries_named
from answer.question import Question
from answer.records import Citation, ListItem
from answer.spans import Span, widen_with_year
from core.text import fold, norm
from index.records import Hit, SearchFilters
from index.search import BriefingIndex
from ingest.records import Fact

# Words of a list question that name the kind or the scope, not the topic of a release.
_SCOPE_TERMS = frozenset(
    "보도자료 보도 자료 이번 이 해당 항목 내역 목록 명단 리스트 나열 빠짐없이 전체 모든 각 모두 전부 다 "
    "예산 금액 사업비 재원 지원금 지원액 투자액 목표 목표치 지표 성과 연락처 담당자 담당 부서 문의처 "
    "전화 번호 전화번호 책임자 일정 날짜 기한 마감일 일자 부처 알리 주다 보이 정리 말하".split()
)
_THIS_RELEASE = re.compile(r"(?:이|이번|해당|본)\s*(?:보도\s*)?자료")
_CLOSE = 0.05  # coverage within which two releases are equally likely to be the one asked about
ANSWER_LIMIT = 120  # eval: a short answer is at most 120 normalised characters


@dataclass(frozen=True, slots=True)
class FactList:
    """The facts a list question asks for, in answer order, and how sure the scope is."""

    kind: str
    facts: list[Fact]
    score: float


def _topic_terms(index: BriefingIndex, question: Question, ministries: tuple[str, ...]) -> dict[str, float]:
    """idf weights of the question's words that say which release it is about."""
    named = {t for m in ministries for t in _tokens_of(m)}
    weights = key_weights(index, question)
    return {t: w for t, w in weights.items() if t not in _SCOPE_TERMS and t not in named
            and not any(t in fold(short) for short in _short_names(question.text))}


def _tokens_of(text: str) -> set[str]:
    return set(re.findall(r"[가-힣A-Za-z0-9]+", fold(text)))


def _short_names(text: str) -> list[str]:
    """The ministries' short names the question uses ("산업부", "중기부", "식약처")."""
    return [short for short in ALIASES if short in text]


def _keeps(fact: Fact, doc_ministry: str, ministries: tuple[str, ...]) -> bool:
    if fact.kind == "contact":
        if not str(fact.attrs.get("name") or ""):
            return False
        row_ministry = str(fact.attrs.get("ministry") or "") or doc_ministry
        return not ministries or is_ministry(row_ministry, ministries)
    if fact.kind == "date" and fact.attrs.get("label") == "보도":
        return False  # the release's own embargo line is not a date of what it announces
    return is_usable(fact) and (not ministries or is_ministry(doc_ministry, ministries))


def _named_units(question: Question, facts: list[Fact]) -> list[Fact]:
    """Contacts whose unit or topic the question names ("스마트공장 담당자 연락처 모두"), else all."""
    q = fold(question.text).replace(" ", "")
    def named(fact: Fact) -> bool:
        unit = fold(" ".join(str(fact.attrs.get(k) or "") for k in ("department", "topic")))
        return any(len(part) >= 3 and part in q for part in re.findall(r"[가-힣A-Za-z]{2,}", unit))
    chosen = [f for f in facts if named(f)]
    return chosen or facts


def _dedupe(facts: list[Fact]) -> list[Fact]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for fact in facts:
        if fact.kind == "contact":
            key = (fact.kind, str(fact.attrs.get("name")), str(fact.attrs.get("phone")))
        elif fact.kind == "date":  # "9.19일(금)" and "'25.9.19.(금)" name one day
            key = (fact.doc_id, fact.kind, str(fact.attrs.get("start")), str(fact.attrs.get("end")),
                   str(fact.attrs.get("label")))
        else:  # a goal repeated from the summary box in the body is one goal
            key = (fact.doc_id, fact.kind, norm(fact.text), _label(fact))
        if key not in seen:
            seen.add(key)
            out.append(fact)
    return out


def find_fact_list(index: BriefingIndex, question: Question, hits: list[Hit],
                   filters: SearchFilters | None = None) -> FactList | None:
    """Every fact of the asked kind in the question's scope, or None when there is none.

    Scope: the releases ``filters.sources`` names; else the release whose passages best cover the
    question's topic words; else, when the question names only a ministry, all of its releases.
    """
    kind = question.lists
    ministries = ministries_named(question.text, {d.ministry for d in index.documents.values()})
    topic = _topic_terms(index, question, ministries)
    filters = filters or SearchFilters()

    def facts_of(doc_id: str) -> list[Fact]:
        doc = index.documents.get(doc_id)
        if doc is None:
            return []
        return [f for f in index.facts(doc_id=doc_id, kind=kind) if _keeps(f, doc.ministry, ministries)]

    if filters.sources:
        docs, score = [d for d in filters.sources if d in index.documents], 1.0
    elif topic or _THIS_RELEASE.search(question.text) or not ministries:
        segments = segments_of(index, question, hits, topic) if topic else []
        ranked = sorted(segments, key=lambda s: s.coverage - 0.03 * s.rank, reverse=True)
        if ranked:
            # Only releases about as close to the topic as the best one: when the release asked
            # about holds no fact of the kind, another release's facts do not answer for it.
            best = ranked[0].coverage - 0.03 * ranked[0].rank
            order = [s.hit.chunk.doc_id for s in ranked if s.coverage - 0.03 * s.rank >= best - _CLOSE]
        else:
            order = [h.chunk.doc_id for h in hits]
        focus = next((d for d in dict.fromkeys(order) if facts_of(d)), None)
        if focus is None:
            return None
        docs = [focus]
        score = max((s.coverage for s in ranked if s.hit.chunk.doc_id == focus), default=1.0) if topic else 1.0
    else:
        accepted = [d for d in index.documents.values() if filters.accepts(d)]
        docs = [d.doc_id for d in sorted(accepted, key=lambda d: (d.published_on, d.doc_id), reverse=True)]
        score = 1.0
    facts = [f for d in docs for f in facts_of(d)]
    if kind == "contact":
        facts = _named_units(question, facts)
    facts = _dedupe(facts)
    return FactList(kind, facts, score) if facts else None


def item_text(fact: Fact, doc_text: str, with_ministry: bool = False) -> str:
    """How an item reads: "스마트공장 구축·확산 지원 예산: '26년 4,366억원", "산업경제과 정일 과장 044-215-4530"."""
    a = fact.attrs
    if fact.kind == "contact":
        parts = [a.get("ministry") if with_ministry else "", a.get("department"), a.get("name"), a.get("title"),
                 a.get("phone") or a.get("email")]
        return " ".join(str(p) for p in parts if p)
    value = figure_text(fact, doc_text)
    label = _label(fact)
    return f"{label}: {value}" if label and len(label) <= 30 else value


def _label(fact: Fact) -> str:
    """What a figure is for, from ingest's phrase before it, without the clause that leads into it:
    "이에 정부 측에서는 AI·AX 대학원" → "AI·AX 대학원", "현재 미만인 제조기업 AI 도입률" → "제조기업 AI 도입률"."""
    a = fact.attrs
    words = str(a.get("item") or a.get("metric") or a.get("label") or "").split()
    cut = max((i + 1 for i, w in enumerate(words) if re.search(r"(?:는|은|서|인|한|에)$", w)), default=0)
    words = words[cut:]
    while words and words[0] in ("및", "또", "또한", "우선", "특히", "이에", "한편", "현재"):
        words = words[1:]
    return " ".join(words)


def figure_text(fact: Fact, doc_text: str) -> str:
    """The fact's own span, with the year marker just before it for an amount ("'26년 4,366억원")."""
    if fact.kind == "contact":
        a = fact.attrs
        return " ".join(str(p) for p in (a.get("name"), a.get("phone") or a.get("email")) if p)
    if fact.kind == "money":
        wide = widen_with_year(doc_text, Span(fact.start, fact.end, "money"))
        return doc_text[wide.start:wide.end]
    return fact.text


def short_answer(full: list[str], compact: list[str], limit: int = ANSWER_LIMIT) -> str:
    """The items joined within ``limit`` normalised characters: in full if they fit, else their
    figures alone, else as many figures as fit and how many more there are ("… 외 12건")."""
    for texts in (full, compact):
        joined = ", ".join(texts)
        if len(norm(joined)) <= limit:
            return joined
    shown = ""
    for count in range(1, len(compact)):
        candidate = ", ".join(compact[:count]) + f" 외 {len(compact) - count}건"
        if len(norm(candidate)) > limit:
            break
        shown = candidate
    return shown or compact[0][:limit]


def cite_fact(index: BriefingIndex, fact: Fact) -> Citation:
    """The fact's own span as a citation: ``quote`` is the release text[start:end]."""
    doc = index.documents[fact.doc_id]
    hit = index.hit_at(fact.doc_id, fact.start)
    text = index.document_text(fact.doc_id)
    return Citation(doc.doc_id, doc.title, doc.published_on, doc.ministry, hit.chunk.chunk_id if hit else "",
                    fact.start, fact.end, text[fact.start:fact.end])


def list_items(index: BriefingIndex, found: FactList) -> tuple[list[ListItem], str]:
    """Each fact as a cited item, and the short answer that joins them."""
    ministries = {str(f.attrs.get("ministry") or "") for f in found.facts if f.kind == "contact"}
    items, compact = [], []
    for fact in found.facts:
        doc_text = index.document_text(fact.doc_id)
        items.append(ListItem(item_text(fact, doc_text, with_ministry=len(ministries) > 1), cite_fact(index, fact)))
        compact.append(figure_text(fact, doc_text))
    return items, short_answer([i.text for i in items], compact)
