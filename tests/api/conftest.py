"""API fixtures: apps built from their own Settings over the session's real index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings

ADMIN_TOKEN = "test-admin-token-7f3a"


@pytest.fixture(scope="module")
def api(built_index: Path) -> Iterator[TestClient]:
    """A read-only client over the shared index, with a rate limit that tests never reach."""
    settings = Settings(index_dir=built_index, ask_rate_per_minute=10_000)
    with TestClient(create_app(settings, with_ui=False)) as client:
        yield client


@pytest.fixture
def admin_api(index_dir: Path) -> Iterator[TestClient]:
    """A client with the admin token set, over a private copy of the index (uploads change it)."""
    settings = Settings(index_dir=index_dir, admin_token=ADMIN_TOKEN, max_upload_mb=1)
    with TestClient(create_app(settings, with_ui=False)) as client:
        yield client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
