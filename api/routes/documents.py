"""GET /api/documents and GET /api/documents/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AnswererDep
from api.schemas import ChunkOut, DocumentDetail, DocumentList, DocumentSummary, FactOut
from core.errors import DocumentNotFound
from ingest.records import Briefing

router = APIRouter(tags=["보도자료"])


def _summary(doc: Briefing) -> DocumentSummary:
    return DocumentSummary(id=doc.doc_id, title=doc.title, ministry=doc.ministry, date=doc.published_on,
                           kind=doc.kind, format=doc.format)


@router.get("/documents", response_model=DocumentList, summary="색인된 보도자료 목록 (최신순)")
def list_documents(
    answerer: AnswererDep,
    ministry: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentList:
    docs = sorted(answerer.index.documents.values(), key=lambda d: (d.published_on, d.doc_id), reverse=True)
    if ministry:
        docs = [d for d in docs if ministry in d.ministry]
    return DocumentList(documents=[_summary(d) for d in docs[offset:offset + limit]], total=len(docs),
                        limit=limit, offset=offset)


@router.get("/documents/{doc_id:path}", response_model=DocumentDetail, summary="보도자료 한 건: 본문, 문단, 사실")
def get_document(answerer: AnswererDep, doc_id: Annotated[str, Path(max_length=500)]) -> DocumentDetail:
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
