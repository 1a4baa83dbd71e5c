"""The FastAPI app: JSON API under /api, OpenAPI docs at /docs, /metrics, the chat UI at /.

>>> app = create_app(Settings(index_dir=Path("var/index")))

For ``uvicorn --factory`` (several workers) use ``api.app:create_app_from_env``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.deps import AnswererHolder
from api.errors import install_error_handlers
from api.metrics import ApiMetrics
from api.middleware import RequestContextMiddleware
from api.ratelimit import TokenBucketLimiter
from api.routes import admin, ask, documents, facts, health, metrics, search
from core.errors import BriefqaError
from core.settings import Settings, get_settings
from index.build import briefqa_version

logger = logging.getLogger(__name__)

DESCRIPTION = """정부 보도자료 질의응답 API — 짧은 답과 보도자료 인용을 돌려줍니다.

* 오류는 언제나 `{"error": {"code", "message", "field"}}` 입니다.
* 모든 응답에 `X-Request-ID` 헤더가 붙습니다 (보낸 값이 있으면 그대로 돌려줍니다).
* `/api/facts`, `/api/contacts`는 `Accept: text/csv` 또는 `?format=csv`로 Excel용 CSV를 줍니다.
* 문서 올리기·지우기는 `Authorization: Bearer <BRIEFQA_ADMIN_TOKEN>`이 필요합니다.
"""


def create_app(settings: Settings, *, with_ui: bool = True) -> FastAPI:
    """Build the app for one index directory; nothing lives at module level."""
    holder = AnswererHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            holder.get()  # load the index and the embedder once, before the first request
        except BriefqaError as exc:
            logger.warning("starting without an index: %s", exc)
        yield

    app = FastAPI(title="briefqa", description=DESCRIPTION, version=briefqa_version(), lifespan=lifespan)
    app.state.holder = holder
    app.state.metrics = ApiMetrics()
    app.state.ask_limiter = (TokenBucketLimiter(settings.ask_rate_per_minute)
                             if settings.ask_rate_per_minute > 0 else None)
    install_error_handlers(app)
    for module in (health, ask, search, facts, admin, documents):
        app.include_router(module.router, prefix="/api")
    app.include_router(metrics.router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"])
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)  # added last: outermost
    if with_ui:
        import gradio as gr

        from ui.app import build_ui

        app = gr.mount_gradio_app(app, build_ui(holder.get), path="/")
    return app


def create_app_from_env() -> FastAPI:
    """The app from ``get_settings()``: the factory ``briefqa serve --workers N`` hands to uvicorn."""
    return create_app(get_settings())
