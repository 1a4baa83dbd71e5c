"""The journalists' JSON shapes: kept apart from internal records so the API stays stable."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from answer.records import Answer


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "내년 스마트공장 지원 예산은 얼마인가요?"}]})

    question: str = Field(..., min_length=1, max_length=1000, description="질문 (최대 1,000자)")
    top_k: int = Field(10, ge=1, le=50, description="검색할 문단 수")
    ministry: str = Field("", max_length=100, description="부처 이름으로 제한 (예: 기획재정부)")
    date_from: date | None = Field(None, description="이 날짜 이후 보도자료만 (YYYY-MM-DD)")
    date_to: date | None = Field(None, description="이 날짜 이전 보도자료만 (YYYY-MM-DD)")
    sources: list[str] = Field(default_factory=list, max_length=100, description="이 문서들로 제한")


class CitationOut(BaseModel):
    source: str
    title: str
    date: str
    ministry: str
    chunk_id: str
    start: int
    end: int
    quote: str


class PassageOut(BaseModel):
    source: str
    chunk_id: str
    score: float
    text: str
    start: int
    end: int
    title: str = ""


class AskResponse(BaseModel):
    question: str
    answer: str | None = Field(description="짧은 답 (인용문의 일부), 근거가 없으면 null")
    answer_type: str
    citations: list[CitationOut]
    passages: list[PassageOut]
    reason: str = ""
    confidence: float = 0.0

    @classmethod
    def from_answer(cls, answer: Answer) -> AskResponse:
        return cls.model_validate(answer.to_dict())


class SearchResponse(BaseModel):
    query: str
    passages: list[PassageOut]
    limit: int
    offset: int


class DocumentSummary(BaseModel):
    id: str
    title: str
    ministry: str
    date: str
    kind: str
    format: str


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class ChunkOut(BaseModel):
    chunk_id: str
    start: int
    end: int
    text: str
    heading: str


class FactOut(BaseModel):
    kind: str
    text: str
    start: int
    end: int
    attrs: dict[str, Any]


class DocumentDetail(DocumentSummary):
    text: str
    chunks: list[ChunkOut]
    facts: list[FactOut]


class Health(BaseModel):
    status: str
    version: str
    index_version: str | None
    documents: int
    chunks: int
    embedder: str | None


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
