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
from fastapi.responses import JSONResponse

from answer.answerer import Answerer
from answer.rephrase import Rephraser
from answer.rerank import CrossEncoderReranker
from api.deps import AnswererHolder
from api.errors import http_error_response, install_error_handlers, install_unknown_api_paths
from api.metrics import ApiMetrics
from api.middleware import RequestContextMiddleware, SecurityHeadersMiddleware
from api.ratelimit import TokenBucketLimiter
from api.routes import admin, ask, documents, facts, health, metrics, search
from api.schemas import error_responses
from core.errors import IndexCorrupt, IndexNotFound
from core.settings import Settings, get_settings
from index.build import briefqa_version, passage_text

logger = logging.getLogger(__name__)

DESCRIPTION = """정부 보도자료 질의응답 API — 짧은 답과 보도자료 인용을 돌려줍니다.

* 오류는 언제나 `{"error": {"code", "message", "field"}}` 입니다.
* 모든 응답에 `X-Request-ID` 헤더가 붙습니다 (보낸 값이 있으면 그대로 돌려줍니다).
* `/api/facts`, `/api/contacts`는 `Accept: text/csv` 또는 `?format=csv`로 Excel용 CSV를 줍니다.
* 문서 올리기·지우기는 `Authorization: Bearer <BRIEFQA_ADMIN_TOKEN>`이 필요합니다.
"""


def create_app(settings: Settings, *, with_ui: bool = True) -> FastAPI:
    """Build the app for one index directory; nothing lives at module level."""
    holder = AnswererHolder(settings, reranker=build_reranker(settings), rephraser=build_rephraser(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the index and the embedder once, before the first request. No index at all is a
        # state we serve ("no_index", 503 until 'briefqa ingest'); a corrupt or mismatched one is
        # refused here, so the server never starts on an index it would answer wrongly from.
        try:
            answerer = holder.get()
            check_index(answerer)
            if answerer.index.chunks:
                # One untimed ask loads what the first requests would otherwise load together (Kiwi's
                # model, the reader's first run), so no user waits for it and concurrent first asks
                # do not each pay it.
                answerer.ask(WARM_UP_QUESTION)
        except IndexNotFound as exc:
            logger.warning("starting in no_index mode: %s", exc)
        except Exception as exc:
            logger.error("refusing to start: %s", exc)
            raise
        yield

    app = FastAPI(title="briefqa", description=DESCRIPTION, version=briefqa_version(), lifespan=lifespan)
    app.state.holder = holder
    app.state.metrics = ApiMetrics()
    app.state.ask_limiter = (TokenBucketLimiter(settings.ask_rate_per_minute)
                             if settings.ask_rate_per_minute > 0 else None)
    install_error_handlers(app)
    for module in (health, ask, search, facts, admin, documents):
        # every API route can answer 400 (an unreadable body), 422 (a value against the schema) and 503
        app.include_router(module.router, prefix="/api", responses=error_responses(400, 422, 503))
    app.include_router(metrics.router)
    install_unknown_api_paths(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"])
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, so even a 500 carries them
    if with_ui:
        import gradio as gr

        from ui.app import build_ui

        # The chat takes no files: Gradio's own upload endpoint, open to anyone without the admin token,
        # is answered 404 before the mounted app sees it (uploads go through POST /api/documents).
        app.add_api_route("/gradio_api/upload", _no_chat_uploads, methods=["POST"], include_in_schema=False)
        # footer_links=[]: no "API로 사용 · Gradio로 제작됨 · 설정" footer on a public-service page
        app = gr.mount_gradio_app(app, build_ui(holder.get), path="/", footer_links=[])
    return app


WARM_UP_QUESTION = "올해 예산은 얼마인가요?"


async def _no_chat_uploads() -> JSONResponse:
    return http_error_response(404)


def check_index(answerer: Answerer) -> None:
    """Cross-check an opened index's files; raises ``IndexCorrupt`` naming the file that disagrees.

    ``open_index`` already checks each file on its own; this adds what only shows between them: the
    manifest's counts against the store and the vectors, and whether the manifest's embedder really
    made the stored vectors (the first chunk is embedded again and compared).
    """
    index = answerer.index
    manifest = index.folder / "manifest.json"
    if index.vectors.dim != index.manifest.dim:
        raise IndexCorrupt(manifest, f"says dim {index.manifest.dim}, vectors.faiss holds dim {index.vectors.dim}")
    if index.manifest.chunk_count != len(index.chunks):
        raise IndexCorrupt(manifest, f"says {index.manifest.chunk_count} chunks, store.sqlite holds {len(index.chunks)}")
    if not index.chunks:
        return
    chunk = index.chunks[0]
    query = index.embedder.embed_passages([passage_text(index.documents[chunk.doc_id].title, chunk)])[0]
    score = max((s for row, s in index.vectors.search(query, 5) if row == 0), default=float("-inf"))
    if score < _SAME_EMBEDDER_SCORE:
        found = "not found" if score == float("-inf") else f"score {score:.2f}"
        raise IndexCorrupt(manifest, f"names embedder {index.manifest.embedder!r}, but vectors.faiss was not made "
                                     f"by it (chunk {chunk.chunk_id} embedded again: {found} among its own vectors)")


# Embedded again by the same model, a chunk finds its own stored vector (cosine ~1.0); with another
# model's vectors it lands near 0. Searching (not reconstructing) works for every FAISS index kind.
_SAME_EMBEDDER_SCORE = 0.9


def build_reranker(settings: Settings) -> CrossEncoderReranker | None:
    """The CrossEncoder named by ``BRIEFQA_RERANKER``, or None when it is empty (the default)."""
    return CrossEncoderReranker(settings.reranker) if settings.reranker.strip() else None


def build_rephraser(settings: Settings) -> Rephraser | None:
    """The rephrasing endpoint of ``BRIEFQA_LLM_URL``, or None when it is empty (the default)."""
    if not settings.llm_url.strip():
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return Rephraser(settings.llm_url.strip(), settings.llm_model, api_key=key)


def create_app_from_env() -> FastAPI:
    """The app from ``get_settings()``: the factory ``briefqa serve --workers N`` hands to uvicorn."""
    return create_app(get_settings())
