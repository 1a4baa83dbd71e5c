"""The journalists' JSON shapes: kept apart from internal records so the API stays stable."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from answer.records import Answer

ISO_DATE = r"^(\d{4}-\d{2}-\d{2})?$"  # a date query parameter: YYYY-MM-DD, or empty for none


def _real_date(value: str) -> str:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"없는 날짜입니다: {value!r} (YYYY-MM-DD)") from None
    return value


# A date in a query string: "YYYY-MM-DD" that is a real day (2026-13-01 is a 422), or "" for none;
# DATE_OR_EMPTY says so in the schema (a format alone would call the empty default invalid).
DateQuery = Annotated[str, AfterValidator(_real_date)]
DATE_OR_EMPTY: dict[str, Any] = {"anyOf": [{"format": "date"}, {"maxLength": 0}]}


class AskRequest(BaseModel):
    # strict: a JSON value of another type than the schema's is a 422, never coerced ("5" for top_k,
    # 0 for a date); dates come as "YYYY-MM-DD" strings, the only form JSON has for them
    model_config = ConfigDict(strict=True,
                              json_schema_extra={"examples": [{"question": "내년 스마트공장 지원 예산은 얼마인가요?"}]})

    question: str = Field(..., min_length=1, max_length=1000, description="질문 (최대 1,000자)")
    top_k: int = Field(10, ge=1, le=50, strict=False, description="검색할 문단 수")
    ministry: str = Field("", max_length=100, description="부처 이름으로 제한 (예: 기획재정부)")
    date_from: date | None = Field(None, strict=False, description="이 날짜 이후 보도자료만 (YYYY-MM-DD)")
    date_to: date | None = Field(None, strict=False, description="이 날짜 이전 보도자료만 (YYYY-MM-DD)")
    sources: list[str] = Field(default_factory=list, max_length=100, description="이 문서들로 제한")

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _iso_date_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise ValueError("날짜는 'YYYY-MM-DD' 형식의 문자열이어야 합니다")
        return value

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:  # 44.0 is an integer in JSON Schema; "44" and true are not
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("정수여야 합니다")
        return value


class CitationOut(BaseModel):
    source: str
    title: str
    date: str
    ministry: str
    chunk_id: str
    start: int
    end: int
    quote: str


class CitedItemOut(CitationOut):
    """One item of a list answer with its own citation: ``quote`` is the release text[start:end]."""

    text: str = Field(description="항목 (표시용)")


class PassageOut(BaseModel):
    source: str
    chunk_id: str
    score: float
    text: str
    start: int
    end: int
    title: str = ""
    ministry: str = ""
    date: str = Field("", description="보도 날짜 YYYY-MM-DD")


class AskResponse(BaseModel):
    question: str
    answer: str | None = Field(description="짧은 답 (인용문의 일부), 근거가 없으면 null")
    answer_type: str
    citations: list[CitationOut]
    passages: list[PassageOut]
    reason: str = ""
    confidence: float = 0.0
    items: list[str] = Field(default_factory=list, description="목록 질문일 때 해당 항목 전부")
    cited_items: list[CitedItemOut] = Field(default_factory=list,
                                            description="items와 같은 순서로, 항목마다 그 인용 (source, start, end, quote)")
    rephrased: str | None = Field(None, description="LLM이 인용문만으로 다듬은 한 문장 (BRIEFQA_LLM_URL이 설정되고 "
                                                    "모든 수치·이름이 인용문에 있을 때만), 아니면 null")
    rephrase_rejected: str = Field("", description="다듬은 문장을 버린 이유 (인용문에 없는 수치·이름, LLM 오류)")

    @classmethod
    def from_answer(cls, answer: Answer) -> AskResponse:
        return cls.model_validate(answer.to_dict())


class HighlightOut(BaseModel):
    start: int = Field(description="문단 text 안의 시작 위치 (문자 단위)")
    end: int


class SearchPassageOut(PassageOut):
    highlights: list[HighlightOut] = Field(default_factory=list, description="검색어 형태소와 일치한 부분")


class SearchResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "query": "스마트공장 예산", "total": 120, "limit": 1, "offset": 0, "next_offset": 1,
        "passages": [{"source": "000_5a375b227c424bcf.txt", "chunk_id": "000_5a375b227c424bcf.txt#812",
                      "score": 0.0328, "text": "스마트공장 구축·확산 지원 예산 4,366억원", "start": 812, "end": 835,
                      "title": "AI 대전환 릴레이", "highlights": [{"start": 0, "end": 5}]}]}]})

    query: str
    passages: list[SearchPassageOut]
    total: int = Field(description="검색어의 낱말(형태소)이 하나라도 든 문단 수, 필터 적용 후 (offset+limit ≤ 1,100까지 볼 수 있음)")
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="다음 쪽의 offset, 마지막 쪽이면 null")


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


FactType = Literal["budget", "target", "contact", "date"]


class FactRowOut(BaseModel):
    """One fact with its citation: ``quote`` is the release text[start:end]."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "type": "budget", "kind": "money", "source": "000_5a375b227c424bcf.txt",
        "title": "AI 대전환 릴레이, AI 팩토리 분야 두 번째 현장 간담회 개최", "date": "2025-09-19",
        "ministry": "기획재정부", "start": 1520, "end": 1527, "quote": "4,366억원",
        "attrs": {"amount_krw": 436600000000, "year": 2026, "item": "스마트공장 구축·확산 지원"}}]})

    type: str = Field(description="budget | target | contact | date")
    kind: str = Field(description="색인의 사실 종류 (money | target | contact | date)")
    source: str
    title: str
    date: str
    ministry: str
    start: int
    end: int
    quote: str
    attrs: dict[str, Any]


class FactTable(BaseModel):
    facts: list[FactRowOut]
    total: int
    limit: int
    offset: int


class ContactOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "배영일", "title": "과장", "role": "책임자", "department": "안전보건감독국 안전보건감독기획과",
        "ministry": "고용노동부", "phone": "044-202-8901", "email": "", "topic": "",
        "source": "0087.txt", "document_title": "고용노동부, 산업재해 고위험 사업장 10만개소 전수조사",
        "date": "2026-04-13", "start": 3010, "end": 3062, "quote": "담당 부서 | 안전보건감독국 | 책임자 | 과  장 | 배영일 | (044-202-8901)"}]})

    name: str
    title: str
    role: str
    department: str
    ministry: str
    phone: str
    email: str
    topic: str
    source: str
    document_title: str
    date: str
    start: int
    end: int
    quote: str


class ContactList(BaseModel):
    contacts: list[ContactOut]
    total: int
    limit: int
    offset: int


class UploadedFile(BaseModel):
    filename: str = Field(description="보낸 파일 이름")
    id: str | None = Field(description="문서 id (정리한 파일 이름; duplicate면 이미 색인된 같은 보도자료), 실패하면 null")
    status: Literal["added", "updated", "unchanged", "duplicate", "failed"]
    reason: str = ""


class UploadResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "files": [{"filename": "moel_20260410_supplementary_budget.hwpx", "id": "moel_20260410_supplementary_budget.hwpx",
                   "status": "added", "reason": ""},
                  {"filename": "깨진파일.hwpx", "id": None, "status": "failed", "reason": "not a zip file"}],
        "index_version": "v-20260415T101500-1a2b3c", "documents": 7}]})

    files: list[UploadedFile]
    index_version: str | None
    documents: int


class DeleteResponse(BaseModel):
    deleted: str
    index_version: str | None
    documents: int


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


# What each error status means, as the OpenAPI schema tells a client (the body is always ErrorResponse).
ERROR_MEANINGS = {
    400: "요청 본문을 읽지 못함 (JSON 형식 오류)",
    401: "관리 토큰이 없거나 틀림",
    403: "BRIEFQA_ADMIN_TOKEN 미설정: 관리 기능 꺼짐",
    404: "해당 문서가 색인에 없음",
    413: "요청(올린 파일)이 너무 큼",
    415: "지원하지 않는 형식",
    422: "요청 값이 스키마에 맞지 않음 (error.field가 그 값)",
    429: "요청 한도 초과 (Retry-After 초 뒤에 다시)",
    503: "색인이 없거나 손상됨: 'briefqa ingest'로 색인하세요",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """The OpenAPI ``responses`` of the error statuses a route can answer, each with its Korean meaning."""
    return {code: {"model": ErrorResponse, "description": ERROR_MEANINGS[code]} for code in codes}
