"""GET /api/search: the passages that hold a term of the query, ranked, with the terms highlighted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from answer.answerer import Answerer
from answer.records import Passage
from api.deps import AnswererDep
from api.highlight import highlight_spans
from api.schemas import DATE_OR_EMPTY, ISO_DATE, DateQuery, HighlightOut, SearchPassageOut, SearchResponse
from index.keyword import tokenize
from index.records import SearchFilters

router = APIRouter(tags=["질의응답"])

MAX_OFFSET = 1000


@router.get("/search", response_model=SearchResponse, summary="문단 검색 (키워드+의미 검색, 검색어 강조)")
async def search(
    answerer: AnswererDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="검색어", examples=["스마트공장 예산"])],
    ministry: Annotated[str, Query(max_length=100, description="부처", examples=["중소벤처기업부"])] = "",
    date_from: Annotated[DateQuery, Query(pattern=ISO_DATE, description="YYYY-MM-DD", examples=["2026-01-01"],
                                          json_schema_extra=DATE_OR_EMPTY)] = "",
    date_to: Annotated[DateQuery, Query(pattern=ISO_DATE, description="YYYY-MM-DD",
                                        json_schema_extra=DATE_OR_EMPTY)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SearchResponse:
    filters = SearchFilters(ministry=ministry.strip(), date_from=date_from, date_to=date_to)
    return await run_in_threadpool(_search, answerer, q, filters, limit, offset)


def _search(answerer: Answerer, q: str, filters: SearchFilters, limit: int, offset: int) -> SearchResponse:
    total = answerer.index.count_matches(q, filters)
    passages = answerer.search(q, limit + offset, filters, matching_only=True)[offset:] if offset < total else []
    terms = tokenize(q)
    end = offset + len(passages)
    return SearchResponse(
        query=q,
        passages=[_passage(p, terms) for p in passages],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=end if passages and end < total and end <= MAX_OFFSET else None,
    )


def _passage(p: Passage, terms: list[str]) -> SearchPassageOut:
    return SearchPassageOut(source=p.source, chunk_id=p.chunk_id, score=p.score, text=p.text, start=p.start,
                            end=p.end, title=p.title,
                            highlights=[HighlightOut(start=s, end=e) for s, e in highlight_spans(p.text, terms)])
