"""A short run of benchmarks/load.py: `briefqa serve --workers 2` under concurrent queries and an upload.

The long version is ``benchmarks/load.py --seconds 60 --clients 50`` (``make reliability``).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType


def test_queries_never_fail_or_see_a_half_built_index_while_a_file_is_uploaded(
    built_index: Path, tiny_batch: Path, load: ModuleType
) -> None:
    result = load.run_load(built_index, seconds=5, clients=10, workers=2,
                           upload_files=sorted(tiny_batch.iterdir()))
    assert result.requests > 0
    assert result.errors == 0, result.error_samples
    assert result.uploads_ok == 1, result.error_samples
    assert result.documents_lost == 0 and result.min_documents_seen >= result.documents_before
    assert result.documents_after == result.documents_before + 1
    assert result.worker_restarts == 0
