"""Calibrate how the reader and the rules decide together, end to end, on the validation releases.

    .venv/bin/python -m training.calibrate [--index var/corpus-index]

``train_reader`` fits a first calibration with each question given its own passage. What users get is
an answer after retrieval, with the rules' answer beside the reader's span (``Reader.combine``), so
this step asks every question of the validation releases (``reader.json`` → ``metrics.
domain_val_releases``; none of them trained the model) through ``Answerer.candidates`` over an index of
the whole corpus and fits, by the eval's rule (an answerable question is right when the gold span is
in the answer and the answer's release is cited; an unanswerable one when nothing is answered):

- ``a``, ``b``: the logistic p(right | margin) of the reader's spans, the confidence shown;
- ``threshold``: the margin above which the reader answers where the rules abstain;
- ``override``: the margin above which the reader's span replaces a different rules answer;
- ``agree_accuracy``: how often an answer both name is right (its confidence);
- ``kept_accuracy``, ``rules_only_accuracy``: how often the rules' answer is right when it is kept
  beside a different reader span, and when the reader finds no span (their confidence).

The two margins are searched together for the highest accuracy; of equally accurate pairs, the
highest (the reader acting least) is kept. The fit replaces ``calibration`` in
``reader.json``; the given-passage fit stays as ``calibration_given_passage`` (the reader-alone ablation
uses its threshold). Part of ``make train``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from core.text import norm
from training import data
from training.train_reader import fit_calibration

SHIPPED = Path("models/reader")


def _right(row: dict, text: str | None, source: str | None) -> bool:
    if text is None or source != row["source"] or len(norm(text)) > 120:
        return False
    for alt in row["answers"]:
        parts = [alt] if isinstance(alt, str) else alt
        if all(norm(p) in norm(text) for p in parts):
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("var/corpus-index"))
    ap.add_argument("--shipped", type=Path, default=SHIPPED)
    ap.add_argument("--reader-depth", type=int, default=5, help="passages the reader reads (Answerer's)")
    args = ap.parse_args(argv)

    from answer.answerer import Answerer
    from answer.reader import Reader, same_span
    from index.search import open_index

    meta_path = args.shipped / "reader.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    val = set(meta["metrics"]["domain_val_releases"])
    rows = [r for r in data.domain_rows() if r["source"] in val]
    answerer = Answerer(open_index(args.index), reader=Reader.load(args.shipped), reader_depth=args.reader_depth)
    # per question: margin (None: no span), rules right, reader right, both name one span, rules abstain,
    # answerable, the reader may replace the rules' answer (never for a list question: Reader.combine)
    seen = []
    kinds: list[str] = []  # each question's type, as the rules read it
    for row in rows:
        ruled, read, margin = answerer.candidates(row["question"])
        seen.append((margin if read.text is not None else None, _correct(row, ruled), _correct(row, read),
                     read.text is not None and ruled.text is not None and same_span(ruled, read), ruled.text is None,
                     row["answerable"], ruled.question_type != "list"))
        kinds.append(ruled.question_type)
    pairs = [(m, int(rr), int(not answerable)) for m, _r, rr, _s, _n, answerable, _o in seen if m is not None]
    fit = fit_calibration(pairs)
    margins = np.array(sorted(m for m, *_ in seen if m is not None))
    # candidate thresholds: the margins' 24 quantiles (a finer grid would fit single questions)
    grid = [-math.inf, *np.unique(np.quantile(margins, np.linspace(0.02, 0.98, 24))).round(3).tolist(), math.inf]

    def accuracy(alone: float, over: float, kind: str | None = None) -> float:
        right = 0
        for i, (m, rule_right, read_right, same, rules_abstain, _answerable, overridable) in enumerate(seen):
            if kind is not None and kinds[i] != kind:
                continue
            if m is None or same:
                right += rule_right
            elif rules_abstain:
                right += read_right if m >= alone else rule_right
            else:
                right += read_right if m >= over and overridable else rule_right
        return right / len(seen)

    # on a tie the higher margins win: the reader changes what the rules answer only where that
    # measurably helps on the validation releases, never on a coin flip of ten releases
    best = max((accuracy(t, o), o, t, t, o) for t in grid for o in grid)
    # the margin to replace a different rules answer, per question type: the rules were built for some
    # kinds (amounts, contacts) and not others; each type's margin is the most accurate for the
    # threshold above, the higher on a tie, and a type must gain at least one question over the shared
    # margin to get its own
    by_type = {}
    for kind in sorted(set(kinds)):
        shared = accuracy(best[3], best[4], kind)
        own = max((accuracy(best[3], o, kind), o) for o in grid)
        if (own[0] - shared) * len(seen) >= 1 - 1e-9:
            by_type[kind] = own[1]
    agreed = [rr for m, _r, rr, same, _n, _a, _o in seen if m is not None and same]
    o_best = best[4]
    kept = [r for i, (m, r, _rr, same, n, _a, o) in enumerate(seen)
            if m is not None and not same and not n and (m < by_type.get(kinds[i], o_best) or not o)]
    rules_only = [r for m, r, _rr, _s, n, _a, _o in seen if m is None and not n]
    total = sum(accuracy(best[3], by_type.get(k, best[4]), k) for k in set(kinds))  # each: its share of all
    fit.update(threshold=best[3], override=best[4], override_by_type=by_type, accuracy=round(total, 4),
               accuracy_shared_override=round(best[0], 4),
               rules_accuracy=round(accuracy(math.inf, math.inf), 4),
               agree_accuracy=round(sum(agreed) / max(len(agreed), 1), 4), agreed=len(agreed),
               kept_accuracy=_rate(kept), kept=len(kept), rules_only_accuracy=_rate(rules_only),
               rules_only=len(rules_only),
               questions=len(rows), releases=len(val))
    meta.setdefault("calibration_given_passage", meta["calibration"])
    meta["calibration"] = fit
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(fit))
    return 0


def _rate(rights: list[int]) -> float:
    """The share right, shrunk towards one half by one right and one wrong answer (a few questions
    must not give a certainty of 0 or 1)."""
    return round((sum(rights) + 1) / (len(rights) + 2), 4)


def _correct(row: dict, answer) -> bool:  # type: ignore[no-untyped-def]
    if not row["answerable"]:
        return answer.text is None
    source = answer.citations[0].source if answer.citations else None
    return _right(row, answer.text, source)


if __name__ == "__main__":
    sys.exit(main())
