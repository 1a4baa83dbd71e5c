"""One place that turns errors into JSON: ``{"error": {"code", "message", "field"}}``, never a stack trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import BriefqaError, DocumentNotFound, IndexCorrupt, IndexMismatch, IndexNotFound

logger = logging.getLogger(__name__)

_STATUS = {
    IndexNotFound: (503, "index_not_found", "색인이 아직 없습니다. 'briefqa ingest'로 보도자료를 먼저 색인하세요."),
    IndexCorrupt: (503, "index_corrupt", "색인 파일이 손상되었습니다. 다시 색인하세요."),
    IndexMismatch: (503, "index_mismatch", "색인이 현재 설정과 다른 임베딩 모델로 만들어졌습니다."),
    DocumentNotFound: (404, "document_not_found", "해당 문서가 색인에 없습니다."),
}

# Codes and Korean messages for the errors the framework raises itself (unknown route, wrong method ...).
_HTTP_CODES = {
    400: ("bad_request", "요청 본문을 읽지 못했습니다. 올바른 JSON(UTF-8)인지 확인하세요."),
    404: ("not_found", "요청한 주소가 없습니다."),
    405: ("method_not_allowed", "이 주소는 그 요청 방식(HTTP 메서드)을 받지 않습니다."),
    413: ("payload_too_large", "요청이 너무 큽니다."),
    415: ("unsupported_media_type", "지원하지 않는 형식입니다."),
}


class ApiError(Exception):
    """An error the API answers on purpose, with its status, a stable code and a Korean message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status, headers=dict(headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(BriefqaError)
    async def briefqa_error(request: Request, exc: BriefqaError) -> JSONResponse:
        status, code, korean = _STATUS.get(type(exc), (500, "briefqa_error", "요청을 처리하지 못했습니다."))
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(status, code, f"{korean} ({exc})")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = f"{field or '요청'}: {first.get('msg', 'invalid value')}"
        return error_response(422, "validation_error", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # only the framework raises these (ours are ApiError): its English detail ("Method Not Allowed",
        # "There was an error parsing the body") gives way to the Korean message where there is one
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
        return error_response(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "서버 내부 오류가 발생했습니다.")


_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def http_error_response(status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A framework-level error (404, 405 ...) in the error shape, with its code and Korean message."""
    code, korean = _HTTP_CODES[status]
    return error_response(status, code, korean, headers=headers)


def install_unknown_api_paths(app: FastAPI) -> None:
    """Any ``/api/...`` path no route takes answers in the error shape: 405 with ``Allow`` when the path
    is a route's but the method is not (``PUT /api/ask``), else 404 (``/api/documents/``, with its
    trailing slash). Without it such requests fall through to the chat app mounted at ``/`` and get
    its ``{"detail": "Not Found"}``. Registered after every API route, so it only takes the rest; the
    API's own paths and methods are read from its OpenAPI schema."""
    from starlette.routing import compile_path

    known: list[tuple[re.Pattern[str], set[str]]] = []

    def allowed_methods(path: str) -> set[str]:
        if not known:
            for template, operations in app.openapi()["paths"].items():
                methods = {m.upper() for m in operations}
                known.append((compile_path(template)[0], methods | ({"HEAD"} if "GET" in methods else set())))
        return set().union(*(methods for pattern, methods in known if pattern.match(path)))

    @app.api_route("/api/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
    async def unknown_api_path(request: Request, rest: str) -> JSONResponse:
        allowed = allowed_methods(request.url.path)
        if allowed:
            return http_error_response(405, headers={"Allow": ", ".join(sorted(allowed))})
        return http_error_response(404)
