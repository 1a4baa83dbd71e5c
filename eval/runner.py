"""Run an evaluation set through the public ``ask`` call, timing each question, and score it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from answer.records import Answer
from eval.dataset import EvalItem
from eval.metrics import score
from eval.records import Report

logger = logging.getLogger(__name__)


def run_eval(items: Sequence[EvalItem], ask: Callable[[str], Answer]) -> tuple[list[dict[str, Any]], Report]:
    """Ask every question and score the answers.

    ``ask`` is the same public call the api and cli use, e.g. ``lambda q: answerer.ask(q)``; an error
    it raises is not caught. The first question is asked once more, untimed, before the timed run. Returns the prediction dicts
    (``{"id": ..., **answer.to_dict(), "latency_ms": ...}``, in set order) and the report.

    >>> predictions, report = run_eval(load_items("dev.jsonl"), answerer.ask)  # doctest: +SKIP
    >>> report.accuracy  # doctest: +SKIP
    """
    predictions: list[dict[str, Any]] = []
    if items:
        # One untimed question first: loading the models and warming caches is not a question's latency.
        ask(items[0].question)
    for item in items:
        started = time.perf_counter()
        answer = ask(item.question)
        latency_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s answered in %.1f ms", item.id, latency_ms)
        predictions.append({"id": item.id, **answer.to_dict(), "latency_ms": latency_ms})
    return predictions, score(items, predictions)
