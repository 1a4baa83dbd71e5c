"""Per-request plumbing: an X-Request-ID on every response, one JSON access-log line, metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.metrics import ApiMetrics

access_logger = logging.getLogger("briefqa.access")
logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# A client's id is echoed only when it is short and plain, so it cannot forge log lines or headers.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/documents/{doc_id}``), never the raw path."""
    # FastAPI keeps an included router's route unprefixed; its effective context has the full path.
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    for candidate in (effective, scope.get("route")):
        path = getattr(candidate, "path", None)
        if isinstance(path, str) and path:
            return path
    return "<unmatched>"


class RequestContextMiddleware:
    """Pure ASGI middleware (outermost), so it also sees errors the inner layers did not handle."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error on %s %s (request %s)", scope["method"], scope["path"], request_id)
            status = 500
            if not response_started:
                await _send_internal_error(send, request_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            access_logger.info(json.dumps({
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "client": (scope.get("client") or ("", 0))[0],
            }, ensure_ascii=False))


async def _send_internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(error_body("internal_error", "서버 내부 오류가 발생했습니다."), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 500, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode("latin-1"))]})
    await send({"type": "http.response.body", "body": body})


def _policy(*, docs: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers of every response, built with ``secure``.

    The chat page (Gradio) runs inline bootstrap scripts and styles and talks to its own origin only;
    nothing may frame it. ``/docs`` and ``/redoc`` load FastAPI's Swagger/ReDoc bundles from jsDelivr.
    """
    import secure

    cdn = ("https://cdn.jsdelivr.net",) if docs else ()
    csp = (secure.ContentSecurityPolicy()
           .default_src("'self'")
           .script_src("'self'", "'unsafe-inline'", "'unsafe-eval'", *cdn)
           .style_src("'self'", "'unsafe-inline'", *cdn)
           .img_src("'self'", "data:", "blob:", *(("https://fastapi.tiangolo.com",) if docs else ()))
           .font_src("'self'", "data:")
           .connect_src("'self'")
           .media_src("'self'", "blob:")
           .worker_src("'self'", "blob:")
           .object_src("'none'")
           .base_uri("'self'")
           .form_action("'self'")
           .frame_ancestors("'none'"))
    headers = secure.Secure(csp=csp, xcto=secure.XContentTypeOptions(), xfo=secure.XFrameOptions().deny(),
                            referrer=secure.ReferrerPolicy().strict_origin_when_cross_origin())
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.header_items())


class SecurityHeadersMiddleware:
    """Adds nosniff, a Content-Security-Policy with ``frame-ancestors 'none'``, X-Frame-Options and a
    referrer policy to every HTTP response, the chat page's, the API's and every error's (outermost)."""

    _DOCS_PATHS = ("/docs", "/redoc")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = {False: _policy(docs=False), True: _policy(docs=True)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._headers[scope["path"].startswith(self._DOCS_PATHS)]
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
