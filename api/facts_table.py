"""The facts table behind /api/facts, /api/contacts and /api/documents/{id}/facts.

Filtering happens here, not in the routes, so the JSON and CSV answers are the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from api.schemas import ContactOut, FactRowOut
from core.text import fold
from index.search import BriefingIndex
from ingest.records import Briefing, Fact

# The API's fact types and the index's fact kinds: a budget is a "money" fact.
KIND_BY_TYPE = {"budget": "money", "target": "target", "contact": "contact", "date": "date"}
TYPE_BY_KIND = {kind: name for name, kind in KIND_BY_TYPE.items()}
_CONTACT_FIELDS = ("department", "topic", "name")


@dataclass(frozen=True, slots=True)
class FactFilter:
    """Empty fields do not filter. ``q`` matches after ``core.text.fold`` (NFKC, lower case)."""

    fact_type: str = ""
    ministry: str = ""
    year: int | None = None
    q: str = ""
    doc_id: str | None = None


def select_facts(index: BriefingIndex, flt: FactFilter) -> list[tuple[Fact, Briefing]]:
    """Facts passing ``flt``, newest release first, then in document order."""
    kind = KIND_BY_TYPE.get(flt.fact_type) if flt.fact_type else None
    needle = _folded(flt.q)
    ministry = flt.ministry.strip()
    rows = []
    for fact in index.facts(doc_id=flt.doc_id, kind=kind):
        doc = index.documents.get(fact.doc_id)
        if doc is None:
            continue
        if ministry and ministry not in doc.ministry and ministry not in str(fact.attrs.get("ministry") or ""):
            continue
        if flt.year is not None and fact_year(fact, doc) != flt.year:
            continue
        if needle and needle not in _folded(" ".join(_searchable(fact, doc))):
            continue
        rows.append((fact, doc))
    rows.sort(key=lambda r: (r[1].published_on, r[1].doc_id), reverse=True)
    return rows  # sort is stable: document order (start) is kept within a release


def fact_year(fact: Fact, doc: Briefing) -> int | None:
    """The year a fact is about: its own (budget year, target deadline, date), else the release's."""
    attrs = fact.attrs
    for key in ("year", "deadline_year"):
        if isinstance(attrs.get(key), int):
            return attrs[key]
    start = str(attrs.get("start") or "")
    if fact.kind == "date" and start[:4].isdigit():
        return int(start[:4])
    return int(doc.published_on[:4]) if doc.published_on[:4].isdigit() else None


def fact_row(index: BriefingIndex, fact: Fact, doc: Briefing) -> FactRowOut:
    return FactRowOut(type=TYPE_BY_KIND.get(fact.kind, fact.kind), kind=fact.kind, source=doc.doc_id,
                      title=doc.title, date=doc.published_on, ministry=doc.ministry, start=fact.start,
                      end=fact.end, quote=_quote(index, fact), attrs=fact.attrs)


def contact_row(index: BriefingIndex, fact: Fact, doc: Briefing) -> ContactOut:
    a = fact.attrs
    return ContactOut(name=_s(a.get("name")), title=_s(a.get("title")), role=_s(a.get("role")),
                      department=_s(a.get("department")), ministry=_s(a.get("ministry")) or doc.ministry,
                      phone=_s(a.get("phone")), email=_s(a.get("email")), topic=_s(a.get("topic")),
                      source=doc.doc_id, document_title=doc.title, date=doc.published_on, start=fact.start,
                      end=fact.end, quote=_quote(index, fact))


def _searchable(fact: Fact, doc: Briefing) -> Iterable[str]:
    """Contacts match on department, topic, name and the release title; other facts on all their text."""
    if fact.kind == "contact":
        return [*(_s(fact.attrs.get(k)) for k in _CONTACT_FIELDS), doc.title]
    return [fact.text, doc.title, *(_s(v) for v in fact.attrs.values() if isinstance(v, str))]


def _quote(index: BriefingIndex, fact: Fact) -> str:
    text = index.document_text(fact.doc_id)
    return text[fact.start:fact.end] if 0 <= fact.start <= fact.end <= len(text) else fact.text


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def _s(value: Any) -> str:
    return "" if value is None else str(value)
