"""What the answering layer returns: a short answer that is a span of a cited release, or an abstention."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

QuestionType = Literal["budget", "target", "contact", "date", "general", "list"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("budget", "target", "contact", "date", "general", "list")


NO_ANSWER = "보도자료에서 이 질문에 대한 근거를 찾지 못했습니다."  # the reason given when nothing supports an answer

@dataclass(frozen=True, slots=True)
class Citation:
    """A cited span: ``start``/``end`` are character offsets into the document's extracted text."""

    source: str  # doc_id: path relative to the ingested folder
    title: str
    date: str
    ministry: str
    chunk_id: str
    start: int
    end: int
    quote: str  # the document text[start:end]


@dataclass(frozen=True, slots=True)
class ListItem:
    """One item of a list answer with its own citation (a fact's span, or the item in its clause)."""

    text: str  # for display: "스마트공장 구축·확산 지원 예산: '26년 4,366억원"
    citation: Citation  # the cited span: citation.quote is the release text[start:end]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, **asdict(self.citation)}


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk, ranked."""

    source: str
    chunk_id: str
    score: float
    text: str
    start: int
    end: int
    title: str = ""
    ministry: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of one question.

    ``text`` is None when briefqa abstains; ``reason`` then says why (in Korean, for users).
    When ``text`` is set, the first citation's quote contains it, at ``citations[0].start``.
    """

    question: str
    text: str | None
    question_type: QuestionType
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    reason: str = ""
    confidence: float = 0.0
    items: list[ListItem] = field(default_factory=list)  # every matching item, for list questions
    rephrased: str | None = None  # a grounded sentence from the optional LLM step (answer.rephrase)
    rephrase_rejected: str = ""  # why the LLM step's sentence was discarded, when it was

    @property
    def is_abstention(self) -> bool:
        return self.text is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract shared by ``briefqa ask --json``, ``/api/ask`` and eval predictions."""
        return {
            "question": self.question,
            "answer": self.text,
            "answer_type": self.question_type,
            "citations": [asdict(c) for c in self.citations],
            "passages": [
                {"source": p.source, "chunk_id": p.chunk_id, "score": p.score, "text": p.text,
                 "start": p.start, "end": p.end, "title": p.title}
                for p in self.passages
            ],
            "reason": self.reason,
            "confidence": self.confidence,
            "items": [item.text for item in self.items],
            "cited_items": [item.to_dict() for item in self.items],
            "rephrased": self.rephrased,
            "rephrase_rejected": self.rephrase_rejected,
        }
