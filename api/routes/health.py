"""GET /api/health."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import HolderDep
from api.schemas import Health
from core.errors import BriefqaError
from index.build import briefqa_version

router = APIRouter(tags=["상태"])


@router.get("/health", response_model=Health, summary="서버와 색인 상태")
def health(holder: HolderDep) -> Health:
    try:
        index = holder.get().index
    except BriefqaError:
        return Health(status="no_index", version=briefqa_version(), index_version=None, documents=0, chunks=0,
                      embedder=None)
    return Health(status="ok", version=briefqa_version(), index_version=index.version,
                  documents=len(index.documents), chunks=len(index.chunks), embedder=index.manifest.embedder)
