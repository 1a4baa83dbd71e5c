"""Evaluation sets: one JSON object per line, read into validated ``EvalItem`` rows.

The format and the scoring rules are in ``/work/shared/eval/README.md``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from answer.records import QuestionType
from core.errors import BriefqaError

logger = logging.getLogger(__name__)

Alternative = str | list[str]


class EvalDataError(BriefqaError):
    """An evaluation set (or a prediction for it) cannot be used; names the file, line and field."""

    def __init__(
        self, path: str | Path, reason: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = self.path if line is None else f"{self.path} line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {reason}")


class EvalItem(BaseModel):
    """One evaluation question.

    ``answers`` holds alternatives: a string, or a list of strings that must all appear, e.g.
    ``[["2030", "40%"], ["'30년", "40%"]]``. Unanswerable questions have no answers and no source.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    question: str
    answers: list[Alternative]
    answerable: bool
    type: QuestionType
    source: str | None = None
    evidence: str | None = None

    @field_validator("answers")
    @classmethod
    def _no_empty_alternative(cls, answers: list[Alternative]) -> list[Alternative]:
        # An empty string (or empty list) is a substring of every answer, so it would match anything.
        for alternative in answers:
            parts = [alternative] if isinstance(alternative, str) else alternative
            if not parts or any(not part.strip() for part in parts):
                raise ValueError(f"empty alternative {alternative!r} would match any answer")
        return answers

    @model_validator(mode="after")
    def _answerable_has_answers_and_source(self) -> EvalItem:
        if self.answerable and not self.answers:
            raise ValueError("an answerable question needs at least one alternative in 'answers'")
        if self.answerable and not self.source:
            raise ValueError("an answerable question needs its 'source' document")
        return self


def load_items(path: str | Path) -> list[EvalItem]:
    """Read an evaluation set; blank lines are skipped.

    Raises:
        EvalDataError: the file can't be read, a line is not JSON, a field is missing or invalid,
            or an id repeats; the message names the file, the 1-based line number and the field.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(path, f"cannot read evaluation set ({exc})") from exc

    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(path, f"not valid JSON ({exc.msg} at column {exc.colno})", line_no) from exc
        if not isinstance(row, dict):
            raise EvalDataError(path, f"expected a JSON object, got {type(row).__name__}", line_no)
        try:
            item = EvalItem.model_validate(row)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or None
            raise EvalDataError(path, error["msg"], line_no, field) from exc
        if item.id in seen:
            raise EvalDataError(path, f"id {item.id!r} already used on line {seen[item.id]}", line_no, "id")
        seen[item.id] = line_no
        items.append(item)
    logger.info("%s: %d evaluation questions", path, len(items))
    return items
