"""GET /api/facts and GET /api/contacts: the facts table, as JSON or CSV (Excel)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.csv_export import CSV_MEDIA_TYPE, csv_response, wants_csv
from api.deps import AnswererDep
from api.facts_table import FactFilter, contact_row, fact_row, select_facts
from api.schemas import ContactList, FactTable, FactType

router = APIRouter(tags=["사실·연락처"])

Format = Annotated[Literal["json", "csv", ""], Query(alias="format", description="csv면 Excel용 CSV (UTF-8 BOM)")]
Ministry = Annotated[str, Query(max_length=100, description="부처", examples=["고용노동부"])]
Limit = Annotated[int, Query(ge=1, le=100, description="JSON 한 쪽의 크기 (CSV는 전부)")]
Offset = Annotated[int, Query(ge=0)]
_CSV = {200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "JSON, 또는 Accept: text/csv / ?format=csv 이면 CSV"}}


@router.get("/facts", response_model=FactTable, responses=_CSV, summary="사실 표: 예산·목표·연락처·날짜와 인용")
async def list_facts(
    request: Request,
    answerer: AnswererDep,
    fact_type: Annotated[FactType | None, Query(alias="type", description="budget | target | contact | date")] = None,
    ministry: Ministry = "",
    year: Annotated[int | None, Query(ge=1900, le=2200, description="사실의 연도 (예산 연도·목표 연도·날짜), 없으면 보도 연도")] = None,
    q: Annotated[str, Query(max_length=200, description="사실·문서 제목에서 찾을 말", examples=["스마트공장"])] = "",
    limit: Limit = 50,
    offset: Offset = 0,
    fmt: Format = "",
) -> FactTable | Response:
    flt = FactFilter(fact_type=fact_type or "", ministry=ministry, year=year, q=q)
    rows = await run_in_threadpool(select_facts, answerer.index, flt)
    if wants_csv(request, fmt):
        return csv_response((fact_row(answerer.index, f, d).model_dump() for f, d in rows), "briefqa-facts.csv")
    return FactTable(facts=[fact_row(answerer.index, f, d) for f, d in rows[offset:offset + limit]],
                     total=len(rows), limit=limit, offset=offset)


@router.get("/contacts", response_model=ContactList, responses=_CSV, summary="누구에게 무엇을 물을지: 담당자 연락처")
async def list_contacts(
    request: Request,
    answerer: AnswererDep,
    q: Annotated[str, Query(max_length=200, description="부서·주제·이름·보도자료 제목", examples=["산업재해"])] = "",
    ministry: Ministry = "",
    limit: Limit = 50,
    offset: Offset = 0,
    fmt: Format = "",
) -> ContactList | Response:
    rows = await run_in_threadpool(select_facts, answerer.index, FactFilter("contact", ministry, None, q))
    if wants_csv(request, fmt):
        return csv_response((contact_row(answerer.index, f, d).model_dump() for f, d in rows), "briefqa-contacts.csv")
    return ContactList(contacts=[contact_row(answerer.index, f, d) for f, d in rows[offset:offset + limit]],
                       total=len(rows), limit=limit, offset=offset)
