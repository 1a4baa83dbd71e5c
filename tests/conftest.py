"""Shared fixtures: one real index per test session, built from real briefings with the real embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import get_settings

DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's index or .env: BRIEFQA_* points into a temporary folder."""
    monkeypatch.setenv("BRIEFQA_INDEX", str(tmp_path / "index-from-env"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def briefings_dir() -> Path:
    return DATA_DIR / "briefings"


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The default embedder, the one ``make run`` indexes with (``BRIEFQA_EMBEDDER`` does not apply here)."""
    from core.settings import Settings
    from index.search import cached_embedder

    return cached_embedder(Settings.model_fields["embedder"].default)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, briefings_dir: Path, embedder) -> Path:  # type: ignore[no-untyped-def]
    """The session's index of tests/data/briefings (built once; treat as read-only)."""
    from index.build import ingest_paths

    index_dir = tmp_path_factory.mktemp("built") / "index"
    report = ingest_paths([briefings_dir], index_dir, embedder)
    assert report.ok, report.failures
    return index_dir


@pytest.fixture
def index_dir(built_index: Path, tmp_path: Path) -> Path:
    """A private copy of the session index, for tests that change it."""
    target = tmp_path / "index"
    shutil.copytree(built_index, target)
    return target


@pytest.fixture(scope="session")
def answerer(built_index: Path):  # type: ignore[no-untyped-def]
    from answer.answerer import Answerer
    from index.search import open_index

    return Answerer(open_index(built_index))
