from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_text, is_table_line


def test_chunks_quote_the_text_exactly_and_keep_table_rows_whole(briefings_dir: Path) -> None:
    for path in sorted(briefings_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chunks = chunk_text(path.name, text, 400)
        assert chunks, path
        rows = [line for line in text.split("\n") if line.strip() and is_table_line(line)]
        for chunk in chunks:
            assert text[chunk.start:chunk.end] == chunk.text
            assert chunk.chunk_id == f"{path.name}#{chunk.start}"
        for row in rows:
            stripped = row.strip()
            assert any(stripped in c.text for c in chunks), f"{path.name}: table row split: {stripped[:60]}"


def test_contact_table_row_lands_in_one_chunk(briefings_dir: Path) -> None:
    text = (briefings_dir / "000_5a375b227c424bcf.txt").read_text(encoding="utf-8")
    chunks = chunk_text("000.txt", text, 400)
    holder = [c for c in chunks if "(044-215-4530)" in c.text]
    assert len(holder) == 1
    assert "기획재정부 산업경제과" in holder[0].text


def test_chunks_are_a_few_hundred_characters(briefings_dir: Path) -> None:
    text = (briefings_dir / "0016.txt").read_text(encoding="utf-8")
    sizes = [len(c.text) for c in chunk_text("0016.txt", text, 400)]
    assert max(sizes) <= 800 and sum(sizes) / len(sizes) > 150


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["보도자료 본문이다. ", "예산은 4,366억원이다.", "| a | b |", "\n", "\n\n", "x" * 300]), max_size=30))
def test_chunks_never_overlap_and_cover_all_non_blank_text(parts: list[str]) -> None:
    text = "".join(parts)
    chunks = chunk_text("t.txt", text, 200)
    covered = [False] * len(text)
    last_end = -1
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
        assert chunk.start >= last_end
        last_end = chunk.end
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
