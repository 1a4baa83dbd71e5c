from pathlib import Path

import pytest

from core.errors import ParseError
from ingest.metadata import extract_metadata
from ingest.pipeline import SourceFile, collect_files, load_briefing


def test_manifest_gives_title_date_and_ministry(briefings_dir: Path) -> None:
    files, failures = collect_files([briefings_dir])
    assert not failures
    by_id = {f.doc_id: f for f in files}
    assert "manifest.jsonl" not in by_id
    doc = load_briefing(by_id["000_5a375b227c424bcf.txt"])
    assert doc.briefing.title == "AI 대전환 릴레이, AI 팩토리 분야 두 번째 현장 간담회 개최"
    assert doc.briefing.published_on == "2025-09-19"
    assert doc.briefing.ministry == "기획재정부"
    assert any(f.kind == "contact" and f.attrs["phone"] == "044-215-4530" for f in doc.facts)


def test_metadata_from_text_alone(briefings_dir: Path) -> None:
    text = (briefings_dir / "0087.txt").read_text(encoding="utf-8")
    meta = extract_metadata(text)
    assert meta.published_on == "2026-04-13"
    assert meta.ministry == "고용노동부"
    assert meta.kind == "보도자료"
    assert "산업재해 고위험 사업장" in meta.title


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp949", "euc-kr"])
def test_text_in_korean_encodings_is_read(tmp_path: Path, briefings_dir: Path, encoding: str) -> None:
    text = (briefings_dir / "0087.txt").read_text(encoding="utf-8")
    text = text.encode("cp949", errors="ignore").decode("cp949")  # keep what every encoding can hold
    path = tmp_path / "release.txt"
    path.write_bytes(text.encode(encoding))
    doc = load_briefing(SourceFile(path, "release.txt"))
    assert doc.briefing.text == text.replace("\r\n", "\n")
    assert "배영일" in doc.briefing.text


def test_bad_files_are_named_with_their_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    odd = tmp_path / "notes.xyz"
    odd.write_text("hello")
    with pytest.raises(ParseError, match=r"empty\.txt: file is empty"):
        load_briefing(SourceFile(empty, "empty.txt"))
    with pytest.raises(ParseError, match=r"binary\.txt: .*NUL"):
        load_briefing(SourceFile(binary, "binary.txt"))
    files, failures = collect_files([tmp_path, tmp_path / "missing"])
    reasons = {Path(f.path).name: f.reason for f in failures}
    assert "unsupported format '.xyz'" in reasons["notes.xyz"]
    assert reasons["missing"] == "no such file or folder"


def test_money_and_target_facts_quote_the_text_they_come_from(briefings_dir: Path) -> None:
    files, _ = collect_files([briefings_dir])
    checked = 0
    for source in files:
        doc = load_briefing(source)
        for fact in doc.facts:
            if fact.kind in ("money", "target"):
                assert doc.briefing.text[fact.start:fact.end] == fact.text, (source.doc_id, fact)
                checked += 1
    assert checked >= 10
    samples = {f.doc_id: load_briefing(f).facts for f in files}
    amounts = {(f.text, f.attrs.get("amount_krw")) for f in samples["0016.txt"] if f.kind == "money"}
    assert ("1조 6,903억원", 1_690_300_000_000) in amounts
    ai = {(f.text, f.attrs.get("amount_krw")) for f in samples["000_5a375b227c424bcf.txt"] if f.kind == "money"}
    assert ("4,366억원", 436_600_000_000) in ai
