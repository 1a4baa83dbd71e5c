"""BriefingIndex: chunk rows checked on open, idf looked up for a query's terms in one go."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.errors import IndexCorrupt
from index.keyword import tokenize
from index.records import SearchFilters
from index.search import open_index
from index.store import current_version


def test_idf_after_a_search_equals_idf_of_a_fresh_index(built_index: Path) -> None:
    searched, fresh = open_index(built_index), open_index(built_index)
    query = "스마트공장 지원 예산은 얼마인가요"
    assert searched.search(query, k=3)
    terms = tokenize(query) + ["없는낱말"]
    assert [searched.idf(t) for t in terms] == pytest.approx([fresh.idf(t) for t in terms])
    assert searched.idf("없는낱말") > searched.idf("예산")


def test_open_rejects_chunk_rows_with_a_gap(index_dir: Path) -> None:
    db = sqlite3.connect(current_version(index_dir) / "store.sqlite")
    last = db.execute("SELECT MAX(row) FROM chunks").fetchone()[0]
    db.execute("UPDATE chunks SET row = ? WHERE row = ?", (last + 5, last))
    db.commit()
    db.close()
    with pytest.raises(IndexCorrupt, match=f"row {last + 5} where {last} was expected"):
        open_index(index_dir)


def test_search_results_name_their_document(built_index: Path) -> None:
    index = open_index(built_index)
    hits = index.search("스마트공장 예산", k=5)
    assert hits
    for hit in hits:
        assert hit.document.doc_id == hit.chunk.doc_id
        assert hit.chunk.text == index.document_text(hit.chunk.doc_id)[hit.chunk.start:hit.chunk.end]


def test_filtered_search_keeps_to_the_filter_and_repeats_itself(built_index: Path) -> None:
    index = open_index(built_index)
    docs = list(index.documents.values())
    ministry = docs[0].ministry
    by_ministry = SearchFilters(ministry=ministry)
    first = index.search("예산 지원 계획", k=5, filters=by_ministry)
    assert first and all(ministry in h.document.ministry for h in first)
    again = index.search("예산 지원 계획", k=5, filters=by_ministry)
    assert [h.chunk.chunk_id for h in again] == [h.chunk.chunk_id for h in first]
    other = SearchFilters(sources=(docs[-1].doc_id,))
    assert all(h.chunk.doc_id == docs[-1].doc_id for h in index.search("예산 지원 계획", k=5, filters=other))
