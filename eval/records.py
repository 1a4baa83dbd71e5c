"""What an evaluation produces: figures per group (overall, per question type) and one row per question."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """How one question was scored, so two runs can be diffed row by row.

    For an unanswerable question, ``correct``, ``answer_correct`` and ``grounded_correct`` are all
    ``is_abstention``: abstaining is the right answer there.
    """

    id: str
    type: str
    answerable: bool
    answer: str | None
    is_abstention: bool
    correct: bool  # counts towards the headline accuracy
    answer_correct: bool  # ignoring the citation condition
    grounded_correct: bool
    source: str | None
    source_rank: int | None  # 1-based rank of the first retrieved passage from ``source``
    citation_rank: int | None  # 1-based rank of the first citation from ``source``
    latency_ms: float | None


@dataclass(frozen=True, slots=True)
class Scores:
    """The figures for one group of questions.

    A figure is None when its denominator is empty (no answerable questions, no abstentions, ...).
    """

    accuracy: float  # (grounded-correct answerable + correct abstentions) / n
    answer_accuracy: float  # the same without the citation condition
    grounded_accuracy: float | None  # grounded-correct / answerable
    recall_at_1: float | None
    recall_at_5: float | None
    recall_at_10: float | None
    mrr_at_10: float | None
    abstention_precision: float | None  # unanswerable among the abstentions
    abstention_recall: float | None  # abstentions among the unanswerable
    false_abstention_rate: float | None  # abstentions among the answerable
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    n: int
    n_answerable: int
    n_unanswerable: int
    n_correct: int
    n_answer_correct: int  # answerable questions whose answer matches
    n_grounded_correct: int
    n_abstained: int
    n_correct_abstentions: int
    n_false_abstentions: int


@dataclass(frozen=True, slots=True)
class Report:
    """The result of scoring a set: overall figures, figures per question type, rows in set order."""

    overall: Scores
    by_type: dict[str, Scores] = field(default_factory=dict)
    rows: list[QuestionRow] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.overall.accuracy
