"""GET /metrics: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import HolderDep
from api.metrics import ApiMetrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, holder: HolderDep) -> Response:
    collectors: ApiMetrics = request.app.state.metrics
    live = holder.current()
    collectors.set_index(live.index if live else None)
    return Response(collectors.render(), media_type=CONTENT_TYPE_LATEST)
