"""The trained reader on real release text: the figure asked for, not its neighbour; abstaining when the
release does not hold the answer; calibrated confidence; the export reused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from answer.answerer import Answerer
from answer.reader import EXPORT_DIR, MODEL_FILE, Reader, default_reader, export_reader
from answer.reader_features import well_formed


@pytest.fixture(scope="module")
def reader() -> Reader:
    found = default_reader()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def rules(answerer: Answerer) -> Answerer:
    return Answerer(answerer.index, reader=None)


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory, embedder) -> Answerer:  # type: ignore[no-untyped-def]
    """An index of 0095.txt (석유화학 수급) and 0107.txt (PF 책임준공), neither in the training set."""
    from index.build import ingest_paths
    from index.search import open_index

    index_dir = tmp_path_factory.mktemp("reader") / "index"
    assert ingest_paths([Path(__file__).resolve().parents[1] / "data" / "reader"], index_dir, embedder).ok
    return Answerer(open_index(index_dir))


# Phrasings the rules find no candidate for; the answer is a span the reader reads off the sentence.
RULES_ABSTAIN = [
    ("석유화학 수급 관리 TF에 몇 명이 참여하나요?", "40여명", "0095.txt"),
    ("PF 대출 책임준공 연장은 언제 이후 계약부터 적용되나요?", "25.5월", "0107.txt"),
]


@pytest.mark.parametrize(("question", "expected", "source"), RULES_ABSTAIN)
def test_reader_answers_where_the_rules_find_nothing(two_releases: Answerer, question: str, expected: str,
                                                      source: str) -> None:
    assert Answerer(two_releases.index, reader=None).ask(question).text is None
    answer = two_releases.ask(question)
    assert answer.text is not None and expected in answer.text and len(answer.text) <= 20, answer.text
    assert answer.citations[0].source == source and answer.text in answer.citations[0].quote
    assert 0.0 < answer.confidence < 1.0  # calibrated: about 0.4 here, as right as such spans are


# One sentence lists four amounts of one supplementary budget (0016.txt); each question names one part.
NEIGHBOURS = [
    ("중기부 추경에서 소상공인 민생안정 쪽으로 배정된 돈은 얼마예요?", "4,952억원"),
    ("스타트업 열풍 조성에 추경 얼마 들어가나요?", "6,719억원"),
]


@pytest.mark.parametrize(("question", "expected"), NEIGHBOURS)
def test_reader_answers_the_part_the_question_names(answerer: Answerer, question: str, expected: str) -> None:
    answer = answerer.ask(question)
    assert answer.text is not None and expected in answer.text, answer.text
    assert len(answer.text) <= 30
    assert answer.citations[0].source == "0016.txt"
    assert expected in answer.citations[0].quote
    assert 0.0 <= answer.confidence <= 1.0


def test_reader_abstains_when_the_release_has_no_such_figure(answerer: Answerer, rules: Answerer) -> None:
    # 0016.txt says the 온누리상품권 expansion will be discussed later: no amount is given for it. The
    # rules alone answer an amount of another programme; the reader alone sees no answer (no-answer
    # outscores every span in the release retrieved first) and abstains.
    question = "온누리상품권 확대에 쓰이는 예산은 얼마로 정해졌나요?"
    assert rules.ask(question).text is not None
    bare = Answerer(answerer.index, reader=answerer.reader, reader_checks=False)
    _ruled, _read, margin = answerer.candidates(question)
    assert margin < bare.reader.bare_threshold  # type: ignore[union-attr]
    answer = bare.ask(question)
    assert answer.text is None, answer.text
    assert answer.reason and not answer.citations


def test_reader_fills_in_where_the_rules_abstain_only_when_sure(answerer: Answerer, rules: Answerer) -> None:
    # what combine() does with each pair of answers, on real candidates of a question the rules answer
    question = "스타트업 열풍 조성에 추경 얼마 들어가나요?"
    ruled, read, margin = answerer.candidates(question)
    reader = answerer.reader
    assert reader is not None and ruled.text == rules.ask(question).text
    abstained = dataclasses.replace(ruled, text=None, citations=[])
    assert reader.combine(abstained, read, margin) is (read if margin >= reader.threshold else abstained)
    kept = reader.combine(ruled, dataclasses.replace(read, text=None), margin)
    assert kept.text == ruled.text and kept.citations == ruled.citations and 0.0 <= kept.confidence <= 1.0
    chosen = reader.combine(ruled, read, margin)
    assert chosen.text in (ruled.text, read.text) and 0.0 <= chosen.confidence <= 1.0


def test_confidence_is_a_probability_that_grows_with_the_margin(reader: Reader) -> None:
    probabilities = [reader.probability(m) for m in (-30.0, -3.0, 0.0, 3.0, 30.0)]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities)
    assert probabilities[0] < 0.05 and probabilities[-1] > 0.95


def test_reader_spans_are_passage_offsets(reader: Reader, briefings_dir) -> None:  # type: ignore[no-untyped-def]
    text = (briefings_dir / "0016.txt").read_text(encoding="utf-8")
    passages = [text[:600], text[600:1200]]
    spans = reader.read("중기부 추경 총규모는 얼마인가요?", passages)
    assert spans
    best = spans[0]
    # the total as the lead sentence writes it ("1조 6,903억원") or as its table does ("16,903")
    assert "6,903" in passages[best.passage][best.start : best.end]
    assert [s.margin for s in spans] == sorted((s.margin for s in spans), reverse=True)


def test_export_is_reused_while_the_weights_are_unchanged(reader: Reader) -> None:
    model = EXPORT_DIR / MODEL_FILE
    before = model.stat().st_mtime_ns
    assert export_reader() == EXPORT_DIR
    assert model.stat().st_mtime_ns == before


def test_a_busy_reader_leaves_the_ask_to_the_rules(two_releases: Answerer, reader: Reader,
                                                   briefings_dir) -> None:  # type: ignore[no-untyped-def]
    """Asks beyond the reader's queue are answered by the rules alone instead of waiting behind it."""
    import threading

    question, expected, _source = RULES_ABSTAIN[0]
    shedding = Reader(EXPORT_DIR, reader.meta, queue=0)
    asker = Answerer(two_releases.index, reader=shedding)
    assert expected in (asker.ask(question).text or "")  # idle: the reader answers
    long_text = (briefings_dir / "0016.txt").read_text(encoding="utf-8")
    busy = threading.Thread(target=shedding.read, args=("추경 예산은 얼마인가요?", [long_text] * 6))
    busy.start()
    try:
        for _ in range(200):
            if shedding.busy():
                break
            threading.Event().wait(0.01)
        assert shedding.busy()
        assert asker.ask(question).text is None  # the rules' abstention: the reader was not waited for
    finally:
        busy.join()
    assert not shedding.busy()


def test_a_span_across_table_cells_lines_or_an_open_bracket_is_no_answer(answerer: Answerer) -> None:
    text = answerer.index.document("0016.txt").text
    row = next(line for line in text.splitlines() if "6,719" in line and "|" in line)
    cells = row[row.index("+8,030"):row.index("6,719") + 5]  # a reader span over three cells of that row
    assert not well_formed(cells) and not well_formed("(5→13개") and not well_formed("임용됐다.\n 인사혁신처")
    assert well_formed("6,719.2") and well_formed("'26년 4,366억원") and well_formed("AI·AX 대학원(19→24개교)")
