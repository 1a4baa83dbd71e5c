"""The FAISS index: kind chosen by size and recorded in the manifest, save/load round trips, mmap."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexCorrupt
from index.records import SearchFilters
from index.search import open_index
from index.store import IndexManifest, Store, current_version
from index.vector import EXACT_BELOW, KINDS, VectorIndex, choose_kind


def _unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_choose_kind_is_exact_below_threshold_and_ivf_above() -> None:
    assert choose_kind(0) == "flat-ip"
    assert choose_kind(EXACT_BELOW - 1) == "flat-ip"
    assert choose_kind(EXACT_BELOW) == "ivf-flat"
    assert choose_kind(1_000_000) == "ivf-flat"


def test_build_chooses_ivf_for_a_large_set() -> None:
    index = VectorIndex.build(_unit_vectors(EXACT_BELOW, dim=8))
    assert index.kind == "ivf-flat"
    assert index.size == EXACT_BELOW


def test_manifest_records_the_vector_index_kind(built_index: Path) -> None:
    folder = current_version(built_index)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["vector_index"] == "flat-ip" == VectorIndex.load(folder / "vectors.faiss").kind


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip_keeps_top_k_ids_and_scores(kind: str, tmp_path: Path) -> None:
    vectors = _unit_vectors(4000)
    built = VectorIndex.build(vectors, kind=kind)  # type: ignore[arg-type]
    built.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss")
    assert loaded.kind == kind
    for query in vectors[:5]:
        before, after = built.search(query, 10), loaded.search(query, 10)
        assert [r for r, _ in after] == [r for r, _ in before]
        assert [s for _, s in after] == pytest.approx([s for _, s in before])
        assert after[0][0] == int(np.flatnonzero((vectors == query).all(axis=1))[0])
    np.testing.assert_allclose(loaded.vectors(), vectors, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_search_restricted_to_rows_returns_only_those_rows(kind: str) -> None:
    vectors = _unit_vectors(4000, seed=1)
    index = VectorIndex.build(vectors, kind=kind)  # type: ignore[arg-type]
    rows = np.arange(0, 4000, 7, dtype=np.int64)
    found = index.search(vectors[3], 20, rows=rows)
    assert len(found) == 20
    assert all(r % 7 == 0 for r, _ in found)
    exact = rows[np.argsort(-(vectors[rows] @ vectors[3]))][:5]
    assert [r for r, _ in found[:5]] == exact.tolist()


@pytest.mark.parametrize("kind", ["flat-ip", "ivf-flat"])
def test_load_memory_maps_the_vector_file(kind: str, tmp_path: Path) -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc/self/maps (Linux) to see the mapping")
    path = tmp_path / f"{kind}.faiss"
    VectorIndex.build(_unit_vectors(4000), kind=kind).save(path)  # type: ignore[arg-type]
    loaded = VectorIndex.load(path)
    assert str(path) in maps.read_text()
    assert loaded.search(_unit_vectors(1, seed=9)[0], 3)


def test_load_rejects_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.faiss"
    path.write_bytes(b"not faiss")
    with pytest.raises(IndexCorrupt, match="vectors.faiss"):
        VectorIndex.load(path)


def test_idf_from_stored_frequencies_matches_counting_tokens(built_index: Path) -> None:
    index = open_index(built_index)
    store = Store(current_version(built_index) / "store.sqlite")
    counts: Counter[str] = Counter()
    for _, _, tokens in store.chunk_rows():
        counts.update(set(tokens))
    n = len(index.chunks)
    for term in ["예산", "스마트공장", "없는낱말"]:
        expected = math.log(1 + (n - counts[term] + 0.5) / (counts[term] + 0.5))
        assert index.idf(term) == pytest.approx(expected)


def test_chunks_are_read_by_row_and_matches_counted_by_filter(built_index: Path) -> None:
    index = open_index(built_index)
    store = Store(current_version(built_index) / "store.sqlite")
    stored = [chunk for _, chunk, _ in store.chunk_rows()]
    assert len(index.chunks) == len(stored)
    assert index.chunks[0] == stored[0] and index.chunks[-1] == stored[-1]
    assert list(index.chunks) == stored
    doc_id = stored[0].doc_id
    holding = [c for c in stored if "예산" in c.text + index.documents[c.doc_id].title]  # BM25 reads titles too
    assert 0 < index.count_matches("예산") <= len(holding) < len(stored)
    listed = index.search("예산", k=len(stored), matching_only=True)
    assert len(listed) == index.count_matches("예산") and all("예산" in h.chunk.text + h.document.title for h in listed)
    budget_doc = holding[0].doc_id
    in_doc = index.count_matches("예산", SearchFilters(sources=(budget_doc,)))
    assert 0 < in_doc <= sum(c.doc_id == budget_doc for c in holding) and in_doc < index.count_matches("예산")
    assert index.count_matches("화성 이주 우주선") == 0
    hits = index.search("예산", k=3, filters=SearchFilters(sources=(doc_id,)))
    assert hits and all(h.chunk.doc_id == doc_id for h in hits)


def test_ivf_records_its_params_and_full_probing_equals_exact_search() -> None:
    vectors = _unit_vectors(4000, seed=2)
    ivf = VectorIndex.build(vectors, "ivf-flat", nlist=32, nprobe=4)
    assert ivf.params() == {"nlist": 32, "nprobe": 4}
    ivf.set_search_params(nprobe=32)
    assert ivf.params()["nprobe"] == 32
    exact = VectorIndex.build(vectors, "flat-ip")
    for query in vectors[:5]:
        assert [r for r, _ in ivf.search(query, 10)] == [r for r, _ in exact.search(query, 10)]
    with pytest.raises(ValueError, match="nprobe must be in 1..32"):
        ivf.set_search_params(nprobe=33)
    assert exact.params() == {}


def test_hnsw_records_its_params() -> None:
    hnsw = VectorIndex.build(_unit_vectors(500), "hnsw-flat")
    assert set(hnsw.params()) == {"M", "ef_search"}


def _swap_in_ivf(index_dir: Path, nprobe: int) -> Path:
    """Replace the index's vectors by an 8-list IVF of the same vectors and record it in the manifest."""
    folder = current_version(index_dir)
    vectors = VectorIndex.load(folder / "vectors.faiss").vectors()
    VectorIndex.build(vectors, "ivf-flat", nlist=8, nprobe=2).save(folder / "vectors.faiss")
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(vector_index="ivf-flat", vector_params={"nlist": 8, "nprobe": nprobe})
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def test_open_applies_nprobe_from_the_manifest(index_dir: Path) -> None:
    _swap_in_ivf(index_dir, nprobe=8)
    index = open_index(index_dir)
    assert index.vectors.params() == {"nlist": 8, "nprobe": 8}
    assert index.search("스마트공장 예산", k=3)


def test_open_rejects_an_nprobe_the_index_cannot_have(index_dir: Path) -> None:
    _swap_in_ivf(index_dir, nprobe=9)
    with pytest.raises(IndexCorrupt, match="manifest.json.*nprobe must be in 1..8"):
        open_index(index_dir)


def test_manifest_without_vector_params_loads(built_index: Path) -> None:
    folder = current_version(built_index)
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw.pop("vector_params", None)
    assert IndexManifest(**raw).vector_params == {}
    assert open_index(built_index).vectors.kind == "flat-ip"


def test_ivf_search_restricted_to_every_row_equals_the_unrestricted_search() -> None:
    vectors = _unit_vectors(4000, seed=3)
    ivf = VectorIndex.build(vectors, "ivf-flat", nlist=64, nprobe=4)
    every_row = np.arange(4000, dtype=np.int64)
    for query in vectors[:5]:
        assert ivf.search(query, 10, rows=every_row) == ivf.search(query, 10)
