"""POST /api/ask and GET /api/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from answer.records import Passage
from api.deps import AnswererDep
from api.schemas import AskRequest, AskResponse, PassageOut, SearchResponse
from index.records import SearchFilters

router = APIRouter(tags=["질의응답"])


@router.post("/ask", response_model=AskResponse, summary="질문에 짧은 답과 인용으로 답하기")
async def ask(body: AskRequest, answerer: AnswererDep) -> AskResponse:
    filters = SearchFilters(
        ministry=body.ministry.strip(),
        date_from=body.date_from.isoformat() if body.date_from else "",
        date_to=body.date_to.isoformat() if body.date_to else "",
        sources=tuple(body.sources),
    )
    answer = await run_in_threadpool(answerer.ask, body.question, filters, body.top_k)
    return AskResponse.from_answer(answer)


@router.get("/search", response_model=SearchResponse, summary="문단 검색 (키워드+의미 검색)")
async def search(
    answerer: AnswererDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="검색어")],
    ministry: Annotated[str, Query(max_length=100)] = "",
    date_from: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    date_to: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> SearchResponse:
    filters = SearchFilters(ministry=ministry.strip(), date_from=date_from, date_to=date_to)
    passages = await run_in_threadpool(answerer.search, q, limit + offset, filters)
    return SearchResponse(
        query=q,
        passages=[_passage(p) for p in passages[offset:]],
        limit=limit,
        offset=offset,
    )


def _passage(p: Passage) -> PassageOut:
    return PassageOut(source=p.source, chunk_id=p.chunk_id, score=p.score, text=p.text, start=p.start,
                      end=p.end, title=p.title)
