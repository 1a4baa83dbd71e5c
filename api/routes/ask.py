"""POST /api/ask."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from api.deps import AnswererDep
from api.schemas import AskRequest, AskResponse, error_responses
from api.security import AskRateDep
from index.records import SearchFilters

router = APIRouter(tags=["질의응답"])


@router.post("/ask", response_model=AskResponse, summary="질문에 짧은 답과 인용으로 답하기",
             responses=error_responses(429))
async def ask(body: AskRequest, answerer: AnswererDep, _: AskRateDep) -> AskResponse:
    filters = SearchFilters(
        ministry=body.ministry.strip(),
        date_from=body.date_from.isoformat() if body.date_from else "",
        date_to=body.date_to.isoformat() if body.date_to else "",
        sources=tuple(body.sources),
    )
    answer = await run_in_threadpool(answerer.ask, body.question, filters, body.top_k)
    return AskResponse.from_answer(answer)
