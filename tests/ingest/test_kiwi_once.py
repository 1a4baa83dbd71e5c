"""Kiwi's 480 MB model is built once per process, also when the first callers arrive together."""

from __future__ import annotations

import threading

import pytest

from ingest import sentences


def test_concurrent_first_callers_share_one_kiwi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentences, "_KIWI", None)  # as in a fresh process
    found: list[object] = []
    start = threading.Barrier(4)

    def first_call() -> None:
        start.wait()
        found.append(sentences.kiwi())

    threads = [threading.Thread(target=first_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and len({id(k) for k in found}) == 1
    assert [s.form for s in sentences.kiwi().tokenize("예산을 늘린다")][0] == "예산"
