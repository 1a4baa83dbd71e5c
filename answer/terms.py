"""Matching a question's terms against folded release text: exact, through a middle dot, or a near-synonym.

Releases write pairs with a middle dot ("중‧고생", "시‧도") that questions leave out ("중고생"), so terms
are compared with the dots removed on both sides; positions are reported in the text as given.
The application act has several names that the two sides use for the same thing: a citizen
신청s what the ministry 모집s, 접수s or 공모s. A near-synonym earns part of a term's weight, never all of it.

>>> find_term("중·고생 830명", "중고생")
[(0, 4)]
>>> related_terms("참가신청")
('참가모집', '참가접수', '참가공모', '참가응모')
"""

from __future__ import annotations

# Folded text has one middle dot ("·") for all of ㆍ ・ • ‧ ∙ ･ (core.text.fold).
DOT = "·"
# Names of the application/recruitment act, as the applicant or the ministry says it.
ACT_WORDS = ("신청", "모집", "접수", "공모", "응모")
SYNONYM_CREDIT = 0.6


def undot(text: str) -> tuple[str, list[int]]:
    """``text`` without middle dots, and for each kept character its offset in ``text``."""
    kept = [i for i, ch in enumerate(text) if ch != DOT]
    return "".join(text[i] for i in kept), kept


def find_term(folded: str, term: str) -> list[tuple[int, int]]:
    """Spans (offsets into ``folded``) where ``term`` occurs, ignoring middle dots on both sides."""
    return _find(*undot(folded), term)


def _find(bare: str, kept: list[int], term: str) -> list[tuple[int, int]]:
    needle = term.replace(DOT, "")
    if not needle:
        return []
    spans, at = [], bare.find(needle)
    while at >= 0:
        spans.append((kept[at], kept[at + len(needle) - 1] + 1))
        at = bare.find(needle, at + 1)
    return spans


def contains(folded: str, term: str) -> bool:
    """Whether ``term`` occurs in ``folded``, ignoring middle dots."""
    needle = term.replace(DOT, "")
    return bool(needle) and needle in folded.replace(DOT, "")


def related_terms(term: str) -> tuple[str, ...]:
    """Near-synonyms of ``term``: the same words with its closing act word swapped for another."""
    for act in ACT_WORDS:
        if term.endswith(act):
            stem = term[: -len(act)]
            return tuple(stem + other for other in ACT_WORDS if other != act)
    return ()


def credit_in(bare: str, term: str) -> float:
    """Like :func:`term_credit` for text already without middle dots, without the spans."""
    if term.replace(DOT, "") in bare:
        return 1.0
    return SYNONYM_CREDIT if any(t in bare for t in related_terms(term)) else 0.0


def term_credit(folded: str, term: str,
                undotted: tuple[str, list[int]] | None = None) -> tuple[float, list[tuple[int, int]]]:
    """The share of ``term``'s weight that ``folded`` earns, with the spans that earned it:
    1 for the term itself, less for a near-synonym.
    ``undotted`` is ``undot(folded)`` when the caller has it already."""
    bare, kept = undotted or undot(folded)
    spans = _find(bare, kept, term)
    if spans:
        return 1.0, spans
    for synonym in related_terms(term):
        spans = _find(bare, kept, synonym)
        if spans:
            return SYNONYM_CREDIT, spans
    return 0.0, []


def names_act(folded: str) -> bool:
    """Whether the text names the application act in any of its words."""
    return any(act in folded for act in ACT_WORDS)
