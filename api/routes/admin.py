"""POST /api/documents (upload) and DELETE /api/documents/{id}: admin token only."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from api.deps import AnswererHolder, HolderDep, SettingsDep
from api.errors import ApiError, error_body, http_error_response
from api.schemas import DeleteResponse, ErrorResponse, UploadResponse, error_responses
from api.security import AdminDep
from api.uploads import MAX_FILES_PER_UPLOAD, ingest_staged, stage_uploads, upload_folder
from core.errors import DocumentNotFound
from index.build import ingest_paths
from index.embedders import Embedder
from index.search import cached_embedder

router = APIRouter(tags=["관리 (토큰 필요)"])

_MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": "보도자료 파일 (TXT/MD, HWP, HWPX, PDF, DOCX, HTML), 여러 개 가능"}}}}}}}


@router.post("/documents", response_model=UploadResponse, status_code=201, openapi_extra=_MULTIPART,
             summary="보도자료 파일 올리기 (여러 개; 파일마다 결과)",
             responses={**error_responses(401, 403, 413, 415),
                        422: {"model": ErrorResponse, "description": "올린 파일이 모두 실패 (파일마다 이유)"}})
async def upload_documents(request: Request, _: AdminDep, holder: HolderDep, settings: SettingsDep) -> JSONResponse:
    # The form is parsed here, after the token check, so an unauthorised body is never read.
    max_bytes = settings.max_upload_mb * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes * MAX_FILES_PER_UPLOAD + 1024 * 1024:
        raise ApiError(413, "payload_too_large", f"요청이 너무 큽니다 (파일당 {settings.max_upload_mb} MB, "
                       f"최대 {MAX_FILES_PER_UPLOAD}개).", "files")
    async with request.form(max_files=MAX_FILES_PER_UPLOAD, max_fields=MAX_FILES_PER_UPLOAD) as form:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise ApiError(422, "validation_error", "files: multipart/form-data로 파일을 하나 이상 보내세요.", "files")
        with upload_folder() as tmp:
            staged = await stage_uploads(uploads, FsPath(tmp), max_bytes)
            results = await run_in_threadpool(ingest_staged, staged, settings, _embedder(holder), FsPath(tmp))
    live = holder.current()
    body = UploadResponse(files=results, index_version=live.index.version if live else None,
                          documents=len(live.index.documents) if live else 0).model_dump()
    if all(r.status == "failed" for r in results):
        return JSONResponse({**error_body("ingest_failed", "올린 파일을 하나도 색인하지 못했습니다. 파일별 reason을 보세요.",
                                          "files"), **body}, status_code=422)
    changed = any(r.status in ("added", "updated") for r in results)
    return JSONResponse(body, status_code=201 if changed else 200)


@router.delete("/documents/{doc_id:path}/facts", include_in_schema=False)
async def delete_facts_is_not_allowed(doc_id: str) -> JSONResponse:
    """A release's facts are read-only (``GET``); without this route ``{doc_id:path}`` below would read
    ``0087.txt/facts`` as a document id and answer 401/403/404 instead of 405."""
    return http_error_response(405, headers={"Allow": "GET, HEAD"})


@router.delete("/documents/{doc_id:path}", response_model=DeleteResponse, summary="보도자료 한 건을 색인에서 지우기",
               responses=error_responses(401, 403, 404))
async def delete_document(doc_id: Annotated[str, Path(max_length=500, examples=["0087.txt"])], _: AdminDep,
                          holder: HolderDep, settings: SettingsDep) -> DeleteResponse:
    answerer = holder.get()
    if doc_id not in answerer.index.documents:
        raise DocumentNotFound(doc_id)
    await run_in_threadpool(ingest_paths, [], FsPath(settings.index_dir), answerer.index.embedder,
                            chunk_chars=settings.chunk_chars, delete_ids=[doc_id])
    live = holder.current()
    return DeleteResponse(deleted=doc_id, index_version=live.index.version if live else None,
                          documents=len(live.index.documents) if live else 0)


def _embedder(holder: AnswererHolder) -> Embedder:
    """The live index's embedder, so new chunks match it; the configured one for a first upload."""
    live = holder.current()
    if live is not None:
        return live.index.embedder
    return cached_embedder(holder.settings.embedder, holder.settings.embed_threads)
