"""Fixtures for the fast reliability checks: the benchmark scripts as modules, API clients, a tiny batch."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
ADMIN_TOKEN = "reliability-token-5b1e9c"
TINY_BRIEFING = """보도자료 신뢰성 점검용 시험 문서
2026년 4월 20일 행정안전부
행정안전부는 2026년 시험 사업 예산 12억원을 확정했다고 밝혔다.
담당 부서 | 디지털안전과 | 담당자 | 사무관 | 홍길동 | (044-205-0000)
"""


def _script(name: str) -> ModuleType:
    module_name = f"briefqa_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def faults() -> ModuleType:
    """benchmarks/faults.py, whose helpers the fast checks share with the long run."""
    return _script("faults")


@pytest.fixture(scope="session")
def load() -> ModuleType:
    return _script("load")


@pytest.fixture
def tiny_batch(tmp_path: Path) -> Path:
    """A folder with one short new briefing (two chunks), so an ingest takes seconds."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "reliability_tiny.txt").write_text(TINY_BRIEFING, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def api(built_index: Path) -> Iterator[TestClient]:
    """A read-only client without a rate limit and without an admin token."""
    with TestClient(create_app(Settings(index_dir=built_index, ask_rate_per_minute=0), with_ui=False)) as client:
        yield client


@pytest.fixture
def admin_api(index_dir: Path) -> Iterator[TestClient]:
    settings = Settings(index_dir=index_dir, admin_token=ADMIN_TOKEN, ask_rate_per_minute=0, max_upload_mb=1)
    with TestClient(create_app(settings, with_ui=False)) as client:
        yield client
