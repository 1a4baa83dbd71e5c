"""Present a ``Report``: a plain-text table for people and a JSON object (accuracy first) for diffing runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from eval.records import Report, Scores

_COLUMNS = (
    "group",
    "n",
    "acc",
    "ans_acc",
    "grounded",
    "abst_P",
    "abst_R",
    "R@1",
    "R@5",
    "R@10",
    "MRR@10",
    "p50_ms",
    "p95_ms",
)


def format_table(report: Report) -> str:
    """A plain-text table: the overall row, then one row per question type; '-' marks an empty denominator."""
    rows = [_table_row("overall", report.overall)]
    rows += [_table_row(name, scores) for name, scores in report.by_type.items()]
    widths = [max(len(_COLUMNS[i]), *(len(row[i]) for row in rows)) for i in range(len(_COLUMNS))]

    def line(cells: tuple[str, ...] | list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))])

    return "\n".join([line(_COLUMNS), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as one JSON-ready object: the overall figures (``accuracy`` first), ``by_type``, ``questions``."""
    return {
        **_scores_to_json(report.overall),
        "by_type": {name: _scores_to_json(scores) for name, scores in report.by_type.items()},
        "questions": [asdict(row) for row in report.rows],
    }


def _scores_to_json(scores: Scores) -> dict[str, Any]:
    return {
        "accuracy": _round(scores.accuracy),
        "answer_accuracy": _round(scores.answer_accuracy),
        "grounded_accuracy": _round(scores.grounded_accuracy),
        "recall@1": _round(scores.recall_at_1),
        "recall@5": _round(scores.recall_at_5),
        "recall@10": _round(scores.recall_at_10),
        "mrr@10": _round(scores.mrr_at_10),
        "abstention_precision": _round(scores.abstention_precision),
        "abstention_recall": _round(scores.abstention_recall),
        "false_abstention_rate": _round(scores.false_abstention_rate),
        "latency_p50_ms": _round(scores.latency_p50_ms, 1),
        "latency_p95_ms": _round(scores.latency_p95_ms, 1),
        "counts": {
            "n": scores.n,
            "answerable": scores.n_answerable,
            "unanswerable": scores.n_unanswerable,
            "correct": scores.n_correct,
            "answer_correct": scores.n_answer_correct,
            "grounded_correct": scores.n_grounded_correct,
            "abstained": scores.n_abstained,
            "correct_abstentions": scores.n_correct_abstentions,
            "false_abstentions": scores.n_false_abstentions,
        },
    }


def _table_row(name: str, s: Scores) -> tuple[str, ...]:
    return (
        name,
        str(s.n),
        _fmt(s.accuracy),
        _fmt(s.answer_accuracy),
        _fmt(s.grounded_accuracy),
        _fmt(s.abstention_precision),
        _fmt(s.abstention_recall),
        _fmt(s.recall_at_1),
        _fmt(s.recall_at_5),
        _fmt(s.recall_at_10),
        _fmt(s.mrr_at_10),
        _fmt(s.latency_p50_ms, 1),
        _fmt(s.latency_p95_ms, 1),
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
