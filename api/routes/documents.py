"""GET /api/documents, /api/documents/{id} and /api/documents/{id}/facts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AnswererDep
from api.facts_table import FactFilter, fact_row, select_facts
from api.schemas import (
    DATE_OR_EMPTY,
    ISO_DATE,
    ChunkOut,
    DateQuery,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    FactOut,
    FactTable,
    FactType,
    error_responses,
)
from core.errors import DocumentNotFound
from ingest.records import Briefing

router = APIRouter(tags=["보도자료"])

DocId = Annotated[str, Path(max_length=500, description="문서 id (색인한 폴더 기준 경로)", examples=["0087.txt"])]


def _summary(doc: Briefing) -> DocumentSummary:
    return DocumentSummary(id=doc.doc_id, title=doc.title, ministry=doc.ministry, date=doc.published_on,
                           kind=doc.kind, format=doc.format)


@router.get("/documents", response_model=DocumentList, summary="색인된 보도자료 목록 (최신순)")
def list_documents(
    answerer: AnswererDep,
    ministry: Annotated[str, Query(max_length=100, examples=["고용노동부"])] = "",
    kind: Annotated[str, Query(max_length=50, description="문서 종류", examples=["보도자료"])] = "",
    date_from: Annotated[DateQuery, Query(pattern=ISO_DATE, description="이 날짜 이후 (YYYY-MM-DD)",
                                          json_schema_extra=DATE_OR_EMPTY)] = "",
    date_to: Annotated[DateQuery, Query(pattern=ISO_DATE, description="이 날짜 이전 (YYYY-MM-DD)",
                                        json_schema_extra=DATE_OR_EMPTY)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentList:
    docs = sorted(answerer.index.documents.values(), key=lambda d: (d.published_on, d.doc_id), reverse=True)
    ministry, kind = ministry.strip(), kind.strip()
    docs = [d for d in docs
            if (not ministry or ministry in d.ministry) and (not kind or kind in d.kind)
            and (not date_from or (d.published_on and d.published_on >= date_from))
            and (not date_to or (d.published_on and d.published_on <= date_to))]
    return DocumentList(documents=[_summary(d) for d in docs[offset:offset + limit]], total=len(docs),
                        limit=limit, offset=offset)


# Registered before /documents/{doc_id:path}, whose path parameter would swallow "/facts".
@router.get("/documents/{doc_id:path}/facts", response_model=FactTable, responses=error_responses(404), summary="보도자료 한 건의 사실 (예산·목표·연락처·날짜)")
def document_facts(
    answerer: AnswererDep,
    doc_id: DocId,
    fact_type: Annotated[FactType | None, Query(alias="type", description="사실 종류")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> FactTable:
    if doc_id not in answerer.index.documents:
        raise DocumentNotFound(doc_id)
    rows = select_facts(answerer.index, FactFilter(fact_type=fact_type or "", doc_id=doc_id))
    return FactTable(facts=[fact_row(answerer.index, f, d) for f, d in rows[offset:offset + limit]],
                     total=len(rows), limit=limit, offset=offset)


@router.get("/documents/{doc_id:path}", response_model=DocumentDetail, responses=error_responses(404), summary="보도자료 한 건: 본문, 문단, 사실")
def get_document(answerer: AnswererDep, doc_id: DocId) -> DocumentDetail:
    doc = answerer.index.document(doc_id)
    if doc is None:
        raise DocumentNotFound(doc_id)
    chunks = answerer.index.store.chunks_of(doc_id)
    facts = answerer.index.facts(doc_id=doc_id)
    return DocumentDetail(
        **_summary(doc).model_dump(),
        text=doc.text,
        chunks=[ChunkOut(chunk_id=c.chunk_id, start=c.start, end=c.end, text=c.text, heading=c.heading) for c in chunks],
        facts=[FactOut(kind=f.kind, text=f.text, start=f.start, end=f.end, attrs=f.attrs) for f in facts],
    )
