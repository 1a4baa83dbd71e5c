"""Dependencies: the live Answerer, reopened when a new index version is published."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from answer.answerer import Answerer
from answer.rephrase import Rephraser
from answer.rerank import Reranker
from core.errors import BriefqaError
from core.settings import Settings
from index.search import open_index
from index.store import CURRENT


class AnswererHolder:
    """Keeps one Answerer for the live index version; a swap by ``briefqa ingest`` is picked up on
    the next request, and requests already running finish on the version they started with."""

    def __init__(self, settings: Settings, reranker: Reranker | None = None,
                 rephraser: Rephraser | None = None) -> None:
        self.settings = settings
        self.reranker = reranker  # built once, kept across index versions
        self.rephraser = rephraser
        self._lock = threading.Lock()
        self._version: str | None = None
        self._answerer: Answerer | None = None

    def _live_version(self) -> str:
        try:
            return (Path(self.settings.index_dir) / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    def current(self) -> Answerer | None:
        """The Answerer for the live version, or None when there is no readable index."""
        try:
            return self.get()
        except BriefqaError:
            return None

    def get(self) -> Answerer:
        """The Answerer for the live version; raises ``IndexNotFound`` when no index exists."""
        live = self._live_version()
        if self._answerer is not None and live == self._version:
            return self._answerer
        with self._lock:
            if self._answerer is None or live != self._version:
                index = open_index(Path(self.settings.index_dir), threads=self.settings.embed_threads,
                                   prefer=self.settings.embedder)
                self._answerer = Answerer(index, top_k=self.settings.top_k, reranker=self.reranker,
                                          rephraser=self.rephraser)
                self._version = index.version
            return self._answerer


def get_holder(request: Request) -> AnswererHolder:
    return request.app.state.holder


def get_app_settings(request: Request) -> Settings:
    return request.app.state.holder.settings


def get_answerer(holder: Annotated[AnswererHolder, Depends(get_holder)]) -> Answerer:
    return holder.get()


AnswererDep = Annotated[Answerer, Depends(get_answerer)]
HolderDep = Annotated[AnswererHolder, Depends(get_holder)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
