"""The facts extracted at ingest, as answer candidates: a money, goal or date fact becomes a typed span.

Ingest (``ingest.facts``) has already parsed every amount, goal and date of a release and stored
it with its character span; figure questions take those spans as their first candidates and keep
the qualifiers around them ("최대 10억 원 규모", "40%까지"), which ingest leaves out of a fact.

>>> fact = Fact("0001.txt", "money", "4,366억원", 8, 15, {"amount_krw": 436600000000})
>>> fact_span("예산은 '26년 4,366억원 규모", fact)
Span(start=8, end=18, kind='money')
"""

from __future__ import annotations

import re

from answer.spans import Span, find_spans, widen_qualifiers
from ingest.records import Fact

# The fact kinds that can answer each figure question type (a budget is a "money" fact).
FACT_KINDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "budget": ("money",),
    "target": ("target", "money"),
    "date": ("date",),
}
_ARROW = re.compile(r"→|->|⇒|=>")
_DIGIT = re.compile(r"[0-9]")  # NFKC reads "②" as "2": an amount must show a real digit


def is_usable(fact: Fact) -> bool:
    """Whether a stored fact is a real figure ("② 원" is a list marker before a word, not 2 won)."""
    return bool(_DIGIT.search(fact.text)) and fact.end > fact.start


def fact_span(doc_text: str, fact: Fact) -> Span | None:
    """The typed span a fact answers with, widened over its qualifiers; None when unusable.

    A goal ("'30년까지 500개") answers with its value ("500개까지" is found by the value's own
    kind); the year in front is added back by ``widen_with_year`` when the answer is cut.
    """
    if not is_usable(fact) or doc_text[fact.start:fact.end] != fact.text:
        return None
    if fact.kind == "money":
        return widen_qualifiers(doc_text, Span(fact.start, fact.end, "money"))
    if fact.kind == "date":
        return widen_qualifiers(doc_text, Span(fact.start, fact.end, "date"))
    if fact.kind != "target":
        return None
    if _ARROW.search(fact.text):
        return Span(fact.start, fact.end, "arrow")
    unit = str(fact.attrs.get("unit") or "")
    if unit in ("KRW", "USD"):
        return None  # a money goal is also a money fact, which answers for it
    kind = "percent" if unit.startswith("%") else "count"
    # The goal is the last figure of the fact ("'30년까지 500개", "30%를 줄이" → "30%").
    values = find_spans(doc_text, (kind,), fact.start, fact.end)
    if not values:
        return None
    goal = values[-1]
    return widen_qualifiers(doc_text, Span(goal.start, min(goal.end, fact.end), kind))


def fact_spans(doc_text: str, facts: list[Fact], kinds: tuple[str, ...], start: int, end: int) -> list[Span]:
    """The spans of the facts of ``kinds`` that lie inside ``doc_text[start:end]``, one per figure."""
    spans: dict[tuple[int, int], Span] = {}
    for fact in facts:
        if fact.kind in kinds and start <= fact.start and fact.end <= end:
            span = fact_span(doc_text, fact)
            if span is not None and start <= span.start and span.end <= end:
                spans.setdefault((span.start, span.end), span)
    return list(spans.values())


def overlaps(span: Span, others: list[Span]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)
