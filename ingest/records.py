"""Records that ingest hands to the index: a parsed briefing, its chunks and its facts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FactKind = Literal["contact", "money", "target", "date"]


@dataclass(frozen=True, slots=True)
class Briefing:
    """One release as extracted text plus metadata.

    ``doc_id`` is the path relative to the ingested folder (``"0001.txt"``); ``text`` is the
    extracted text that every offset (chunks, facts, citations) points into.
    """

    doc_id: str
    text: str
    title: str = ""
    ministry: str = ""
    published_on: str = ""  # ISO date, "" when unknown
    kind: str = ""  # 보도자료, 보도참고자료, 설명자료 ...
    format: str = "txt"
    content_hash: str = ""
    source_path: str = ""  # where it was read from, for messages only
    subtitle: str = ""  # the "- ..." lines under the title, joined with "\n"
    embargo: str = ""  # ISO date and time of 보도시점 ("2025-09-19T11:30"), "" when immediate or unknown
    also_files: tuple[str, ...] = ()  # doc_ids of other files of the same release (e.g. its PDF)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable span of a briefing: ``text == briefing.text[start:end]``."""

    chunk_id: str  # f"{doc_id}#{start}"
    doc_id: str
    text: str
    start: int
    end: int
    heading: str = ""  # the heading path above the chunk, for context (not part of the span)
    is_attachment: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"chunk {self.chunk_id}: bad span {self.start}..{self.end}")
        if self.end - self.start != len(self.text):
            raise ValueError(f"chunk {self.chunk_id}: span length {self.end - self.start} != text length {len(self.text)}")


@dataclass(frozen=True, slots=True)
class Fact:
    """A typed fact found in a briefing, with the character span it comes from.

    ``attrs`` holds the kind-specific fields, e.g. for a contact
    ``{"department": "산업경제과", "role": "책임자", "title": "과장", "name": "정일", "phone": "044-215-4530"}``
    and for money ``{"amount_krw": 436600000000, "year": 2026, "item": "스마트공장 구축·확산 지원"}``.
    """

    doc_id: str
    kind: FactKind
    text: str  # the original text of the span
    start: int
    end: int
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
