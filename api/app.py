"""The FastAPI app: JSON API under /api, OpenAPI docs at /docs, the chat UI at /.

>>> app = create_app(Settings(index_dir=Path("var/index")))
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.deps import AnswererHolder
from api.errors import install_error_handlers
from api.routes import ask, documents, health
from core.errors import BriefqaError
from core.settings import Settings
from index.build import briefqa_version

logger = logging.getLogger(__name__)


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

    app = FastAPI(
        title="briefqa",
        description="정부 보도자료 질의응답 API — 짧은 답과 보도자료 인용을 돌려줍니다.",
        version=briefqa_version(),
        lifespan=lifespan,
    )
    app.state.holder = holder
    install_error_handlers(app)
    for module in (health, ask, documents):
        app.include_router(module.router, prefix="/api")
    if with_ui:
        import gradio as gr

        from ui.app import build_ui

        app = gr.mount_gradio_app(app, build_ui(holder.get), path="/")
    return app
