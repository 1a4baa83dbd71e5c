"""Budget, target and date answers: the typed span that best fits the question.

Candidates are first the facts ingest stored (amounts, goals, dates, each with its span), then the
figures only the sentence rules of ``answer.spans`` find (a baseline, a count, a "$" amount).
Each candidate span (an amount, a count, a percent, a date) is scored by how much of the question
its sentence and its own clause cover, how close it sits to the matched terms, whether its unit and
year are the ones asked for, and cue words around it (a goal "…까지", a baseline "현재", a change "…추가").
"""

from __future__ import annotations

import re

from answer.evidence import Candidate, Segment, proximity
from answer.fact_spans import FACT_KINDS_BY_TYPE, fact_spans
from answer.question import Question
from answer.spans import Span, find_spans, widen_with_year, year_before
from answer.terms import DOT, contains, credit_in, names_act
from core.text import fold
from index.records import Hit
from ingest.records import Fact

KINDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "budget": ("money", "cell"),
    "target": ("percent", "count", "money", "arrow"),
    "date": ("date",),
}
_CLAUSE_BREAK = re.compile(r"[,;]|\s및\s|(?<=[다요])\.\s|\n")
_RANGE_VALUE = re.compile(r"[~∼〜\-–]|부터")
_GOAL_AFTER = re.compile(r"\s*(?:까지|로|으로|이상|달성|수준으로|감축|확대|늘)")
_START_ONLY = re.compile(r"\s*(?:부터|에\s*시작|시작)")
_DAY_ONLY_END = re.compile(r"(?:[~∼〜\-–]|부터)\s*(?:~\s*)?\d{1,2}\s*일")
_CHANGE_AFTER = re.compile(r"\s*(?:이|가|을|를)?\s*(?:추가|증가|늘|증액|확대|↑|더)")


def wanted_years(question: Question, hit: Hit) -> set[int]:
    """Explicit years, plus relative ones (내년, 올해) resolved against the release's own date."""
    years = set(question.years)
    published = hit.document.published_on[:4]
    if question.relative_year is not None and published.isdigit():
        years.add(int(published) + question.relative_year)
    return years


def clause_of(doc_text: str, seg: Segment, span: Span) -> str:
    """The folded text of the clause (between commas or sentence ends) that holds the span."""
    start = seg.start
    for match in _CLAUSE_BREAK.finditer(doc_text, seg.start, span.start):
        start = match.end()
    end_match = _CLAUSE_BREAK.search(doc_text, span.end, seg.end)
    end = end_match.start() if end_match else seg.end
    return fold(doc_text[start:end])


def clause_coverage(clause: str, weights: dict[str, float]) -> float:
    """Share (idf-weighted) of the question's terms inside the span's own clause."""
    total = sum(weights.values()) or 1.0
    bare = clause.replace(DOT, "")
    return sum(w * credit_in(bare, term) for term, w in weights.items()) / total


# Units that answer the same "몇 …" question: "몇 곳" is answered by "3만개소".
_UNIT_FAMILIES = {
    "곳": ("곳", "개소", "개", "군데"),
    "개소": ("개소", "곳", "개"),
    "명": ("명", "인"),
    "개": ("개", "개소", "개사", "개교", "곳", "기관", "종", "건"),
    "기관": ("기관", "개"),
    "개교": ("개교", "개"),
    "개국": ("개국", "개", "국"),
    "개사": ("개사", "개", "곳", "기업"),
    "가구": ("가구", "세대"),
    "세대": ("세대", "가구"),
    "회": ("회", "차례", "번"),
    "종": ("종", "개", "가지"),
    "필지": ("필지", "필"),
    "필": ("필", "필지"),
}


# Units that say what they count ("119대" are vehicles): the sentence need not name the thing again.
_SAYS_WHAT = frozenset("대 척 마리 그루 필지 필 톤 가구 세대".split())


def _unit_fit(question: Question, span: Span, value: str) -> float:
    if question.asks_percent:
        return 0.1 if span.kind == "percent" else -0.2
    if question.count_unit:
        if span.kind in ("count", "arrow"):
            units = _UNIT_FAMILIES.get(question.count_unit, (question.count_unit,))
            return 0.1 if any(u in value for u in units) else -0.15
        return -0.15
    return 0.0


def _adjacent_terms(question: Question, doc_text: str, span: Span) -> float:
    """Question words right before the figure ("연내 최대 200억 원") tie it to the question."""
    window = fold(doc_text[max(0, span.start - 15):span.start])
    hits = sum(1 for t in set(question.tokens) if len(t) >= 2 and t in window)
    return min(0.05 * hits, 0.15)


_PARTICLE_END = re.compile(r"(?:으로|로|에서|에게|에|의|이|가|은|는|을|를|과|와|도|만)$")


def _with_counted_noun(question: Question, doc_text: str, span: Span) -> Span:
    """"150개" → "150개 방송국" when the question names the noun the count is followed by."""
    if span.kind != "count":
        return span
    match = re.match(r" ?([가-힣]{2,10})", doc_text[span.end:span.end + 12])
    if not match:
        return span
    word = _PARTICLE_END.sub("", match.group(1))
    if len(word) >= 2 and word in fold(question.text):
        return Span(span.start, span.end + match.start(1) + len(word), span.kind)
    return span


_CONDITION = re.compile(r"\d[\d,.]*\s*(?:점|등급|위|단계|배|%)")


def _condition_before(question: Question, doc_text: str, span: Span) -> float:
    """"5점을 받은 지표는 몇 개": in "총 56개 지표 중 5점 52개", the count right after the question's "5점".

    A number the question itself states is a sharper tie than any word, so it outweighs the counted noun.
    """
    conditions = {c.replace(" ", "") for c in _CONDITION.findall(question.text)}
    if not conditions:
        return 0.0
    before = doc_text[max(0, span.start - 8):span.start].replace(" ", "")
    return 0.25 if any(c in before[-len(c) - 2:] for c in conditions) else 0.0


def _counted_after(question: Question, doc_text: str, span: Span) -> float:
    """"78개 세부 이행과제", "16개 항목": the noun a count is followed by says what it counts."""
    if span.kind not in ("count", "arrow") or not (nouns := [n for n in (question.counted, question.focus) if n]):
        return 0.0
    after = fold(doc_text[span.end:span.end + 12]).replace(" ", "")
    return 0.15 if any(fold(n).replace(" ", "") in after for n in nouns) else 0.0


def figure_score(question: Question, seg: Segment, span: Span, doc_text: str, weights: dict[str, float]) -> float:
    value = span.text_of(doc_text)
    before = doc_text[max(0, span.start - 14):span.start]
    after = doc_text[span.end:span.end + 12]
    clause = clause_of(doc_text, seg, span)
    score = 0.6 * seg.coverage + 0.3 * clause_coverage(clause, weights) - 0.03 * seg.rank
    if any(fold(q).replace(" ", "") in clause.replace(" ", "") for q in question.quoted):
        score += 0.15  # the clause names what the question quotes ('초고위험 사업장')
    score += proximity(seg, span.start) + _unit_fit(question, span, value) + _adjacent_terms(question, doc_text, span)
    score += _counted_after(question, doc_text, span) + _condition_before(question, doc_text, span)
    if question.focus and not contains(fold(seg.text), fold(question.focus)) and question.count_unit not in _SAYS_WHAT:
        score -= 0.35  # "참가비를 얼마": an amount in a sentence that never names 참가비 answers something else
    if question.question_type == "target":
        if _GOAL_AFTER.match(after) or value.endswith("까지"):
            score += 0.08  # a goal: "'30년 40%까지", "500개로 확대"
        if re.match(r"\s*에서\s", after) and not question.asks_current:
            score -= 0.15  # "기간을 12개월에서 6개월로 단축": where the change starts, not where it ends
        if "현재" in before:
            score += 0.15 if question.asks_current else -0.1  # a baseline: "현재('25년) 5% 미만"
        elif question.asks_current and (_GOAL_AFTER.match(after) or value.endswith("까지")):
            score -= 0.1  # asked for where things stand, not the goal
    if question.asks_change:
        if _CHANGE_AFTER.match(after) or value.lstrip().startswith(("+", "▲")):
            score += 0.15
        if re.match(r"\s*대비", after):
            score -= 0.15  # "정부안 4,695억원 대비 2,049억원 추가": the base, not the change
    if question.question_type == "date" and question.asks_range:
        score += 0.15 if _RANGE_VALUE.search(value) else -0.35
    if question.event and names_act(question.event):
        # "신청은 언제까지": "모집을 4월 13일(월)부터 …" names the act asked about by its other name
        score += 0.12 * credit_in(clause.replace(DOT, ""), fold(question.event))
    if question.asks_start:
        score += 0.1 if _START_ONLY.match(after) or "부터" in value else -0.1 if value.endswith("까지") else 0.0
    if question.asks_deadline and not question.asks_range and _START_ONLY.match(after) and "까지" not in value:
        score -= 0.15  # "4월 14일(화)부터 … 접수를 시작": when it opens, not when it closes
    if question.asks_deadline and not question.asks_range and _DAY_ONLY_END.search(value):
        score -= 0.2  # "4월 13일(월)부터 24일(금)까지" hides the closing month that "4.13.~4.24." states
    if question.asks_deadline and (year_before(doc_text, span.start) is not None or value.endswith("까지")):
        score += 0.05
    if question.asks_total:
        # "모두 몇 곳": "신규 58개 기관을 포함하여 총 152개" — the total, not the part it includes
        if value.lstrip().startswith(("총", "전체")) or re.search(r"(?:총|전체|합계|모두)\s*$", before):
            score += 0.15
        if re.match(r"\s*(?:[가-힣]{1,4}\s*)?(?:을|를)?\s*포함", after):
            score -= 0.15
    if span.kind == "money" and question.question_type == "target":
        score -= 0.05
    if span.kind == "cell":
        score -= 0.15  # a unitless table figure only wins when its row matches the question much better
    wanted = wanted_years(question, seg.hit)
    if wanted:
        published = seg.hit.document.published_on[:4]
        year = year_before(doc_text, span.start, published_year=int(published) if published.isdigit() else None)
        if year in wanted:
            score += 0.15
        elif year is not None:
            score -= 0.15
        elif question.years:
            score -= 0.1  # "2027년에 몇 개": a figure with no year of its own is likely another year's
    return score


def _starts_only(doc_text: str, span: Span) -> bool:
    value = span.text_of(doc_text)
    return bool(_START_ONLY.match(doc_text[span.end:span.end + 12])) and "까지" not in value and not _RANGE_VALUE.search(value)


def candidate_spans(question: Question, seg: Segment, doc_text: str, facts: list[Fact]) -> list[Span]:
    """The segment's figures of the kinds the question asks for: its stored facts first, then the
    figures only the sentence rules find (a rule's span that repeats a fact of its kind is dropped)."""
    kinds = KINDS_BY_TYPE[question.question_type]
    if question.question_type == "date" and question.asks_time:
        return find_spans(doc_text, ("time",), seg.start, seg.end)  # "몇 시": only a time of day answers
    if question.asks_percent and "percent" not in kinds:
        kinds = ("percent", *kinds)
    from_facts = [s for s in fact_spans(doc_text, facts, FACT_KINDS_BY_TYPE[question.question_type],
                                        seg.start, seg.end) if s.kind in kinds]
    from_rules = []
    for rule in find_spans(doc_text, kinds, seg.start, seg.end):
        same = [i for i, f in enumerate(from_facts) if f.kind == rule.kind and rule.start < f.end and f.start < rule.end]
        for i in same:  # the fact, with what the rule read around it ("4.22(수) 18:00까지")
            fact = from_facts[i]
            from_facts[i] = Span(min(fact.start, rule.start), max(fact.end, rule.end), fact.kind)
        if not same:
            from_rules.append(rule)
    return from_facts + from_rules


def best_figure(question: Question, segments: list[Segment], texts: dict[str, str],
                weights: dict[str, float], facts: dict[str, list[Fact]]) -> Candidate | None:
    """The best-scoring typed span across the segments, widened to its year marker ("'26년 4,366억원").

    ``facts`` holds the stored facts of each document in ``texts``.
    """
    found = [(seg, span) for seg in segments
             for span in candidate_spans(question, seg, texts[seg.hit.chunk.doc_id], facts.get(seg.hit.chunk.doc_id, []))]
    if question.question_type == "date" and question.asks_range:
        # "언제부터 언제까지" is answered by a period; single days compete only when no period is found.
        ranges = [(seg, span) for seg, span in found if _RANGE_VALUE.search(span.text_of(texts[seg.hit.chunk.doc_id]))]
        found = ranges or found
    if question.event and names_act(question.event):
        # "참가 신청은 언제까지": the dates of a clause that names the application act (모집, 접수, …),
        # not the dates of the event applied for, whenever the retrieved text has such a clause.
        acts = [(seg, span) for seg, span in found
                if names_act(clause_of(texts[seg.hit.chunk.doc_id], seg, span).replace(DOT, ""))]
        if question.asks_deadline and not question.asks_range:
            # "신청은 언제까지": "4월 13일(월)부터 접수" says when it opens, never when it closes
            acts = [(seg, span) for seg, span in acts if not _starts_only(texts[seg.hit.chunk.doc_id], span)]
        if not acts and question.asks_deadline:
            # No dated application clause: only a date that closes something ("…까지", a period's end)
            # answers "언제까지 신청"; the day of the event itself does not.
            acts = [(seg, span) for seg, span in found
                    if _RANGE_VALUE.search(value := span.text_of(texts[seg.hit.chunk.doc_id])) or value.endswith("까지")]
            found = acts
        else:
            found = acts or found
    if question.count_unit and question.question_type != "date":
        # "몇 명이 혜택": only a count in those units answers it; an amount of money never does.
        units = _UNIT_FAMILIES.get(question.count_unit, (question.count_unit,))
        units = (*units, "개") if question.count_unit.startswith("개") else units
        found = [(seg, span) for seg, span in found if span.kind in ("count", "arrow")
                 and any(u in span.text_of(texts[seg.hit.chunk.doc_id]) for u in units)]
    elif question.asks_percent_only:
        found = [(seg, span) for seg, span in found if "%" in span.text_of(texts[seg.hit.chunk.doc_id])]
    best: Candidate | None = None
    if question.count_unit and question.focus and question.count_unit not in _SAYS_WHAT:
        # "여성은 몇 명": only a count in a sentence that names what is counted can answer it.
        found = [(seg, span) for seg, span in found if contains(fold(seg.text), fold(question.focus))]
    for seg, span in found:
        doc_text = texts[seg.hit.chunk.doc_id]
        score = figure_score(question, seg, span, doc_text, weights)
        if best is None or score > best.score:
            wide = widen_with_year(doc_text, span) if question.question_type != "date" else span
            wide = _with_counted_noun(question, doc_text, wide)
            best = Candidate.in_segment(seg, wide.start, wide.end, score)
    return best
