"""Pure scoring functions, as defined in the evaluation README, and ``score`` which applies them to a set.

Matching compares ``core.text.norm`` forms: ``"4,366 억 원"`` matches ``"4,366억원"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from answer.records import QUESTION_TYPES
from core.text import norm
from eval.dataset import Alternative, EvalDataError, EvalItem
from eval.records import QuestionRow, Report, Scores

MAX_ANSWER_CHARS = 120  # normalised characters; a whole passage is not an answer
CITATION_DEPTH = 3  # grounded when one of the first 3 citations is from the source
MRR_DEPTH = 10


def answer_correct(answer_text: str | None, alternatives: Sequence[Alternative]) -> bool:
    """True when the answer is not None, at most 120 normalised characters long, and some alternative matches.

    An alternative matches when each of its strings, normalised, is a substring of ``norm(answer_text)``:
    ``answer_correct("'30년 40%까지", [["'30년", "40%"]])`` is True.
    """
    if answer_text is None:
        return False
    answer = norm(answer_text)
    if len(answer) > MAX_ANSWER_CHARS:
        return False
    for alternative in alternatives:
        parts = [alternative] if isinstance(alternative, str) else alternative
        if parts and all(norm(part) in answer for part in parts):
            return True
    return False


def grounded_correct(
    answer_text: str | None,
    alternatives: Sequence[Alternative],
    citation_sources: Sequence[str],
    source: str | None,
) -> bool:
    """True when the answer is correct and one of the first 3 citations comes from ``source``."""
    return (
        source is not None
        and answer_correct(answer_text, alternatives)
        and source in citation_sources[:CITATION_DEPTH]
    )


def first_rank(sources: Sequence[str], source: str | None) -> int | None:
    """The 1-based rank of the first entry equal to ``source``, or None."""
    if source is None:
        return None
    for rank, candidate in enumerate(sources, start=1):
        if candidate == source:
            return rank
    return None


def recall_at_k(passage_sources: Sequence[str], source: str, k: int) -> bool:
    """True when one of the first ``k`` retrieved passages comes from ``source``."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    return source in passage_sources[:k]


def mrr_at_k(passage_sources: Sequence[str], source: str, k: int = MRR_DEPTH) -> float:
    """1 / rank of the first passage from ``source``; 0.0 when it is not in the first ``k``."""
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    rank = first_rank(passage_sources[:k], source)
    return 0.0 if rank is None else 1.0 / rank


def percentile(values: Iterable[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within 0..100, got {p}")
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def abstention_precision(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Of the questions where the system abstained, the fraction that were unanswerable (None if it never did)."""
    flags = [not ans for abst, ans in zip(abstained, answerable, strict=True) if abst]
    return _mean(flags)


def abstention_recall(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Of the unanswerable questions, the fraction where the system abstained (None if there are none)."""
    flags = [abst for abst, ans in zip(abstained, answerable, strict=True) if not ans]
    return _mean(flags)


def score(items: Sequence[EvalItem], predictions: Iterable[Mapping[str, Any]]) -> Report:
    """Score predictions (``{"id": ..., **Answer.to_dict(), "latency_ms": ...}``) against a set.

    Raises:
        EvalDataError: a question has no prediction, a prediction's id is not in the set or repeats.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    for prediction in predictions:
        pid = prediction.get("id")
        if pid in by_id:
            raise EvalDataError("predictions", f"id {pid!r} predicted twice", field="id")
        by_id[pid] = prediction
    item_ids = {item.id for item in items}
    unknown = sorted(str(pid) for pid in by_id if pid not in item_ids)
    if unknown:
        raise EvalDataError("predictions", f"ids not in the evaluation set: {', '.join(unknown)}", field="id")
    missing = [item.id for item in items if item.id not in by_id]
    if missing:
        raise EvalDataError("predictions", f"no prediction for: {', '.join(missing)}", field="id")

    rows = [score_question(item, by_id[item.id]) for item in items]
    present = [t for t in QUESTION_TYPES if any(row.type == t for row in rows)]
    present += sorted({row.type for row in rows} - set(present))
    return Report(
        overall=aggregate(rows),
        by_type={t: aggregate([row for row in rows if row.type == t]) for t in present},
        rows=rows,
    )


def score_question(item: EvalItem, prediction: Mapping[str, Any]) -> QuestionRow:
    """Score one prediction dict against its question."""
    answer = prediction.get("answer")
    citation_sources = [c["source"] for c in prediction.get("citations") or []]
    passage_sources = [p["source"] for p in prediction.get("passages") or []]
    is_abstention = answer is None
    if item.answerable:
        is_answer_correct = answer_correct(answer, item.answers)
        is_grounded = grounded_correct(answer, item.answers, citation_sources, item.source)
    else:
        is_answer_correct = is_grounded = is_abstention
    latency = prediction.get("latency_ms")
    return QuestionRow(
        id=item.id,
        type=item.type,
        answerable=item.answerable,
        answer=answer,
        is_abstention=is_abstention,
        correct=is_grounded,
        answer_correct=is_answer_correct,
        grounded_correct=is_grounded,
        source=item.source,
        source_rank=first_rank(passage_sources, item.source),
        citation_rank=first_rank(citation_sources, item.source),
        latency_ms=None if latency is None else float(latency),
    )


def aggregate(rows: Sequence[QuestionRow]) -> Scores:
    """The figures for a group of scored questions (overall, or one type)."""
    if not rows:
        raise ValueError("cannot aggregate an empty group of questions")
    answerable = [row for row in rows if row.answerable]
    unanswerable = [row for row in rows if not row.answerable]
    abstained = [row.is_abstention for row in rows]
    is_answerable = [row.answerable for row in rows]
    ranks = [row.source_rank for row in answerable]
    latencies = [row.latency_ms for row in rows if row.latency_ms is not None]
    n_correct_abstentions = sum(row.is_abstention for row in unanswerable)
    return Scores(
        accuracy=sum(row.correct for row in rows) / len(rows),
        answer_accuracy=sum(row.answer_correct for row in rows) / len(rows),
        grounded_accuracy=_mean([row.grounded_correct for row in answerable]),
        recall_at_1=_mean([r is not None and r <= 1 for r in ranks]),
        recall_at_5=_mean([r is not None and r <= 5 for r in ranks]),
        recall_at_10=_mean([r is not None and r <= 10 for r in ranks]),
        mrr_at_10=_mean([0.0 if r is None or r > MRR_DEPTH else 1.0 / r for r in ranks]),
        abstention_precision=abstention_precision(abstained, is_answerable),
        abstention_recall=abstention_recall(abstained, is_answerable),
        false_abstention_rate=_mean([row.is_abstention for row in answerable]),
        latency_p50_ms=percentile(latencies, 50) if latencies else None,
        latency_p95_ms=percentile(latencies, 95) if latencies else None,
        n=len(rows),
        n_answerable=len(answerable),
        n_unanswerable=len(unanswerable),
        n_correct=sum(row.correct for row in rows),
        n_answer_correct=sum(row.answer_correct for row in answerable),
        n_grounded_correct=sum(row.grounded_correct for row in answerable),
        n_abstained=sum(abstained),
        n_correct_abstentions=n_correct_abstentions,
        n_false_abstentions=sum(row.is_abstention for row in answerable),
    )


def _mean(flags: Sequence[bool | float]) -> float | None:
    return sum(flags) / len(flags) if flags else None
