"""Records the index returns."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.records import Briefing, Chunk


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its fused score and the per-retriever evidence behind it."""

    chunk: Chunk
    document: Briefing  # metadata only (text is "")
    score: float
    dense_score: float | None = None
    keyword_score: float | None = None


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict results; empty fields do not filter. Dates are ISO strings, inclusive."""

    ministry: str = ""
    date_from: str = ""
    date_to: str = ""
    sources: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.ministry or self.date_from or self.date_to or self.sources)

    def accepts(self, doc: Briefing) -> bool:
        if self.ministry and self.ministry not in doc.ministry:
            return False
        if self.date_from and (not doc.published_on or doc.published_on < self.date_from):
            return False
        if self.date_to and (not doc.published_on or doc.published_on > self.date_to):
            return False
        return not self.sources or doc.doc_id in self.sources
