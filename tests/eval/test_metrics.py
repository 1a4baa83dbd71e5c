"""Scoring rules of /work/shared/eval/README.md, checked on real dev-set rows with hand-built answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from answer.records import Answer, Citation, Passage
from eval.dataset import EvalDataError, EvalItem, load_items
from eval.metrics import (
    abstention_precision,
    abstention_recall,
    answer_correct,
    grounded_correct,
    mrr_at_k,
    percentile,
    recall_at_k,
    score,
)
from eval.report import format_table, report_to_json
from eval.runner import run_eval

DATA = Path(__file__).resolve().parents[1] / "data" / "eval"
SAMPLE = DATA / "dev_sample.jsonl"
SRC = "000_5a375b227c424bcf.txt"  # the source of the seed-dev questions


def _citation(source: str, quote: str = "") -> Citation:
    return Citation(
        source=source,
        title="",
        date="",
        ministry="",
        chunk_id=f"{source}#0",
        start=0,
        end=len(quote),
        quote=quote,
    )


def _passage(source: str, rank: int) -> Passage:
    return Passage(source=source, chunk_id=f"{source}#{rank}", score=1.0 / rank, text="", start=0, end=0)


def _answer(question: str, text: str | None, cited: list[str], retrieved: list[str]) -> Answer:
    return Answer(
        question=question,
        text=text,
        question_type="general",
        citations=[_citation(s, text or "") for s in cited],
        passages=[_passage(s, i) for i, s in enumerate(retrieved, start=1)],
        reason="" if text else "근거를 찾지 못했습니다",
    )


@pytest.fixture
def items() -> list[EvalItem]:
    return load_items(SAMPLE)


@pytest.fixture
def predictions(items: list[EvalItem]) -> list[dict]:
    """One prediction per sample question, chosen so each scoring rule is exercised once."""
    other = "0016.txt"
    plan = {
        # grounded correct: list alternative ["'30년", "40%"], cited and retrieved first
        "seed-dev-001": ("'30년 40%까지", [SRC], [SRC, other]),
        # answer correct, but the source is only the 4th citation: not grounded; retrieved 2nd
        "seed-dev-004": ("4,366 억 원", [other, other, other, SRC], [other, SRC]),
        # false abstention, source never retrieved
        "seed-dev-007": (None, [], [other]),
        # contains the answer but is longer than 120 normalised characters
        "seed-dev-008": ("044-215-4530 " + "기획재정부 산업경제과 " * 12, [SRC], [SRC]),
        # grounded correct; source retrieved 6th
        "seed-dev-010": ("AI 팩토리 랩", [SRC], [other] * 5 + [SRC]),
        # unanswerable, abstains: correct
        "seed-dev-012": (None, [], [SRC]),
        # unanswerable, answers anyway: wrong
        "a-dev-006": ("1,000억원", [other], [other]),
        # list question, all five items, grounded; source retrieved 3rd
        "a-dev-025": (
            "산업재해, 자살, 자연재난, 교통사고, 어린이 안전사고",
            ["0040.txt"],
            [other, other, "0040.txt"],
        ),
    }
    rows = []
    for latency, item in zip(range(10, 90, 10), items, strict=True):
        text, cited, retrieved = plan[item.id]
        rows.append(
            {
                "id": item.id,
                **_answer(item.question, text, cited, retrieved).to_dict(),
                "latency_ms": float(latency),
            }
        )
    return rows


# --- answer_correct / grounded_correct -------------------------------------------------------------


def test_answer_correct_list_alternative_needs_every_string():
    alternatives = [["'30년", "40%"]]
    assert answer_correct("'30년 40%까지", alternatives)
    assert answer_correct("‘30년까지 40 %", alternatives)  # curly apostrophe and a space fold away
    assert not answer_correct("'30년까지", alternatives)


def test_answer_correct_ignores_spaces_and_commas():
    assert answer_correct("4,366 억 원", ["4,366억원"])
    assert answer_correct("４３６６억원", ["4,366억원"])  # full-width digits fold under NFKC


def test_answer_correct_normalises_the_alternatives_too():
    assert answer_correct("4366억원", ["4,366 억원"])


def test_answer_over_120_normalised_chars_is_wrong():
    padding = "가" * 114
    assert answer_correct("4,366억원 " + padding, ["4,366억원"])  # "4366억원" + 114 = exactly 120
    assert not answer_correct("4,366억원 " + padding + "나", ["4,366억원"])


def test_answer_correct_abstention_and_no_alternatives_are_wrong():
    assert not answer_correct(None, ["4,366억원"])
    assert not answer_correct("4,366억원", [])


def test_grounded_correct_needs_source_in_first_three_citations():
    assert grounded_correct("4,366억원", ["4,366억원"], ["a", "b", SRC], SRC)
    assert not grounded_correct("4,366억원", ["4,366억원"], ["a", "b", "c", SRC], SRC)
    assert not grounded_correct("2,361억원", ["4,366억원"], [SRC], SRC)


# --- retrieval metrics and percentiles -------------------------------------------------------------


def test_recall_at_k_on_a_ranked_list():
    ranked = ["a", "b", "c", "d", "e", SRC, "g"]
    assert [recall_at_k(ranked, SRC, k) for k in (1, 5, 6, 10)] == [False, False, True, True]
    assert not recall_at_k([], SRC, 10)


def test_mrr_at_k_is_reciprocal_rank_within_k():
    assert mrr_at_k([SRC, SRC], SRC) == 1.0
    assert mrr_at_k(["a", "b", SRC], SRC) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + [SRC], SRC) == 0.0
    assert mrr_at_k(["x"] * 3 + [SRC], SRC, k=3) == 0.0


def test_recall_at_zero_k_raises():
    with pytest.raises(ValueError, match="k must be positive, got 0"):
        recall_at_k([SRC], SRC, 0)


def test_percentile_values():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([1, 2, 3, 4], 0) == 1
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile([7.5], 95) == 7.5


@pytest.mark.parametrize(
    "values", [[3.0, 1.0, 2.0], [12.5, 80.1, 33.3, 47.0, 5.9, 61.2, 99.9], list(range(101))]
)
@pytest.mark.parametrize("p", [0, 5, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(values, p):
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_percentile_of_nothing_raises():
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


def test_abstention_precision_and_recall():
    abstained = [True, True, False, True, False]
    answerable = [False, True, False, False, True]
    assert abstention_precision(abstained, answerable) == pytest.approx(2 / 3)
    assert abstention_recall(abstained, answerable) == pytest.approx(2 / 3)
    assert abstention_precision([False], [False]) is None
    assert abstention_recall([True], [True]) is None


# --- score: overall, per type, per question --------------------------------------------------------


def test_score_overall_figures(items, predictions):
    overall = score(items, predictions).overall
    assert (overall.n, overall.n_answerable, overall.n_unanswerable) == (8, 6, 2)
    assert overall.n_correct == 4  # seed-dev-001, seed-dev-010, a-dev-025 grounded; seed-dev-012 abstained
    assert overall.accuracy == 0.5
    assert overall.answer_accuracy == 0.625  # plus seed-dev-004, whose citation is too far down
    assert overall.grounded_accuracy == 0.5
    assert overall.n_answer_correct == 4
    assert overall.recall_at_1 == pytest.approx(2 / 6)
    assert overall.recall_at_5 == pytest.approx(4 / 6)
    assert overall.recall_at_10 == pytest.approx(5 / 6)
    assert overall.mrr_at_10 == pytest.approx((1 + 1 / 2 + 0 + 1 + 1 / 6 + 1 / 3) / 6)
    assert overall.abstention_precision == 0.5
    assert overall.abstention_recall == 0.5
    assert overall.false_abstention_rate == pytest.approx(1 / 6)
    assert overall.latency_p50_ms == 45.0
    assert overall.latency_p95_ms == pytest.approx(76.5)


def test_correct_answer_with_wrong_citation_counts_only_for_answer_accuracy(items, predictions):
    row = {r.id: r for r in score(items, predictions).rows}["seed-dev-004"]
    assert row.answer_correct and not row.grounded_correct and not row.correct
    assert (row.citation_rank, row.source_rank) == (4, 2)


def test_abstention_on_unanswerable_is_correct(items, predictions):
    rows = {r.id: r for r in score(items, predictions).rows}
    assert rows["seed-dev-012"].correct and rows["seed-dev-012"].is_abstention
    assert not rows["a-dev-006"].correct
    assert not rows["seed-dev-007"].correct  # abstaining on an answerable question is wrong


def test_score_per_type_breakdown(items, predictions):
    by_type = score(items, predictions).by_type
    assert list(by_type) == ["budget", "target", "contact", "date", "general", "list"]
    budget = by_type["budget"]
    assert (budget.n, budget.n_answerable, budget.n_correct) == (3, 1, 1)
    assert budget.accuracy == pytest.approx(1 / 3)
    assert budget.answer_accuracy == pytest.approx(2 / 3)
    assert budget.grounded_accuracy == 0.0
    assert (budget.abstention_precision, budget.abstention_recall) == (1.0, 0.5)
    assert (budget.recall_at_1, budget.recall_at_5, budget.mrr_at_10) == (0.0, 1.0, 0.5)
    assert budget.latency_p50_ms == 60.0
    contact = by_type["contact"]
    assert (contact.accuracy, contact.answer_accuracy, contact.recall_at_1) == (0.0, 0.0, 1.0)
    assert contact.abstention_precision is None and contact.abstention_recall is None
    date = by_type["date"]
    assert (date.false_abstention_rate, date.recall_at_10, date.mrr_at_10) == (1.0, 0.0, 0.0)
    general = by_type["general"]
    assert (general.accuracy, general.recall_at_5, general.recall_at_10) == (1.0, 0.0, 1.0)
    assert general.mrr_at_10 == pytest.approx(1 / 6)
    assert by_type["list"].accuracy == 1.0


def test_score_rejects_a_missing_prediction(items, predictions):
    with pytest.raises(EvalDataError, match="no prediction for: a-dev-025"):
        score(items, predictions[:-1])


def test_score_rejects_an_unknown_prediction(items, predictions):
    with pytest.raises(EvalDataError, match="not in the evaluation set: x-1"):
        score(items, [*predictions, {"id": "x-1", "answer": None}])


# --- report ----------------------------------------------------------------------------------------


def test_report_json_starts_with_accuracy_and_round_trips(items, predictions):
    data = report_to_json(score(items, predictions))
    assert next(iter(data)) == "accuracy"
    assert data["accuracy"] == 0.5
    assert data["mrr@10"] == 0.5
    assert data["counts"]["correct_abstentions"] == 1
    assert next(iter(data["by_type"]["budget"])) == "accuracy"
    assert [q["id"] for q in data["questions"]] == [item.id for item in items]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_format_table_has_overall_then_one_row_per_type(items, predictions):
    lines = format_table(score(items, predictions)).splitlines()
    assert lines[0].split()[:3] == ["group", "n", "acc"]
    assert [line.split()[0] for line in lines[2:]] == [
        "overall",
        "budget",
        "target",
        "contact",
        "date",
        "general",
        "list",
    ]
    assert lines[2].split()[1:4] == ["8", "0.500", "0.625"]
    assert lines[4].split()[5:7] == ["-", "-"]  # target: no abstentions, no unanswerable questions


# --- runner ----------------------------------------------------------------------------------------


def test_run_eval_times_each_question_and_scores(items):
    asked: list[str] = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return _answer(question, None, [], [])

    predictions, report = run_eval(items, ask)
    assert asked == [items[0].question] + [item.question for item in items]  # one untimed warm-up first
    assert [p["id"] for p in predictions] == [item.id for item in items]
    assert all(p["answer"] is None and p["latency_ms"] >= 0 for p in predictions)
    assert predictions[0]["question"] == items[0].question
    assert report.overall.accuracy == 2 / 8  # abstaining everywhere gets the unanswerable ones
    assert report.overall.abstention_recall == 1.0


# --- load_items ------------------------------------------------------------------------------------


def test_load_items_reads_real_dev_rows(items):
    assert len(items) == 8
    first = items[0]
    assert first.id == "seed-dev-001" and first.type == "target" and first.source == SRC
    assert first.answers == [["2030", "40%"], ["'30년", "40%"]]
    unanswerable = next(item for item in items if item.id == "seed-dev-012")
    assert unanswerable.answers == [] and unanswerable.source is None


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_load_items_error_names_file_line_and_field(tmp_path):
    good = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    bad = json.loads(good) | {"answerable": "maybe"}
    path = _write(tmp_path, [good, "", json.dumps(bad, ensure_ascii=False)])
    with pytest.raises(EvalDataError) as info:
        load_items(path)
    assert str(info.value).startswith(f"{path} line 3, field 'answerable': ")
    assert (info.value.line, info.value.field) == (3, "answerable")


def test_load_items_rejects_an_unknown_type(tmp_path):
    good = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])
    path = _write(tmp_path, [json.dumps(good | {"type": "weather"})])
    with pytest.raises(EvalDataError, match=r"line 1, field 'type': .*'budget'"):
        load_items(path)


def test_load_items_rejects_bad_json_with_line(tmp_path):
    path = _write(
        tmp_path,
        [
            '{"id": "x"',
        ],
    )
    with pytest.raises(EvalDataError, match=r"line 1: not valid JSON"):
        load_items(path)


def test_load_items_rejects_empty_alternative(tmp_path):
    good = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])
    path = _write(tmp_path, [json.dumps(good | {"answers": [["2030", ""]]})])
    with pytest.raises(EvalDataError, match=r"line 1, field 'answers': .*empty alternative"):
        load_items(path)


def test_load_items_rejects_answerable_without_source(tmp_path):
    good = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])
    path = _write(tmp_path, [json.dumps(good | {"source": None})])
    with pytest.raises(EvalDataError, match=r"line 1: .*needs its 'source'"):
        load_items(path)


def test_load_items_rejects_duplicate_ids(tmp_path):
    good = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    path = _write(tmp_path, [good, good])
    with pytest.raises(EvalDataError, match=r"line 2, field 'id': id 'seed-dev-001' already used on line 1"):
        load_items(path)


def test_load_items_missing_file_names_it(tmp_path):
    with pytest.raises(EvalDataError, match="nope.jsonl: cannot read"):
        load_items(tmp_path / "nope.jsonl")
