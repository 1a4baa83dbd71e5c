"""Check a domain question set: dev's format, every answer a verbatim span of its release.

    python -m training.domain_check data/qa/train/*.jsonl [--corpus ../shared/corpus/briefings]

A line passes when it has dev's fields, a known ``type``, and, for an answerable question, a first
alternative that is one string found in the release (whitespace may differ) inside its ``evidence``
(also found in the release); the other alternatives must each match the release after eval's
normalisation. An unanswerable line needs ``answers: []`` and a ``source`` whose release it is a
near-miss of. Prints one line per failure (file:line: reason) and a summary; exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

TYPES = {"budget", "target", "contact", "date", "general", "list"}
FIELDS = {"id", "question", "answers", "answerable", "type", "source", "evidence"}


def span_pattern(text: str) -> re.Pattern[str]:
    """A regex matching ``text`` with any run of whitespace standing for any other (or none)."""
    parts = [re.escape(p) for p in text.split()]
    return re.compile(r"\s*".join(parts))


def find_span(release: str, answer: str, evidence: str | None = None) -> tuple[int, int] | None:
    """Character span of ``answer`` in ``release``, preferring an occurrence inside ``evidence``."""
    pat = span_pattern(answer)
    if evidence:
        ev = span_pattern(evidence).search(release)
        if ev:
            inner = pat.search(release, ev.start(), ev.end())
            if inner:
                return inner.start(), inner.end()
    hit = pat.search(release)
    return (hit.start(), hit.end()) if hit else None


def _norm(s: str) -> str:
    from core.text import norm as eval_norm  # the eval's normalisation

    return eval_norm(s)


def check_line(row: dict, releases: dict[str, str]) -> str | None:
    missing = FIELDS - row.keys()
    if missing:
        return f"missing fields {sorted(missing)}"
    if row["type"] not in TYPES:
        return f"type {row['type']!r} not one of {sorted(TYPES)}"
    release = releases.get(row["source"])
    if release is None:
        return f"source {row['source']!r} is not a release of the corpus"
    if not row["question"].strip():
        return "empty question"
    if not row["answerable"]:
        return None if row["answers"] == [] else "an unanswerable question must have answers: []"
    if not row["answers"] or not isinstance(row["answers"][0], str):
        return "the first alternative must be one string (the span to train on)"
    if not span_pattern(row["evidence"]).search(release):
        return "evidence is not a verbatim quote of the release"
    if find_span(release, row["answers"][0], row["evidence"]) is None:
        return f"answer {row['answers'][0]!r} is not a span of the release"
    if not span_pattern(row["answers"][0]).search(row["evidence"]):
        return f"answer {row['answers'][0]!r} is not inside the evidence"
    normed = _norm(release)
    for alt in row["answers"][1:]:
        alts = [alt] if isinstance(alt, str) else alt
        if not all(_norm(a) in normed for a in alts):
            return f"alternative {alt!r} is not in the release"
    if len(_norm(row["answers"][0])) > 120:
        return "answer longer than 120 normalised characters"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus/briefings"))
    args = ap.parse_args(argv)
    releases = {p.name: p.read_text(encoding="utf-8") for p in args.corpus.glob("*.txt")}
    bad, kinds, ids = 0, Counter(), Counter()
    for path in args.files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{path}:{n}: not JSON ({exc})")
                bad += 1
                continue
            reason = check_line(row, releases)
            if reason:
                print(f"{path}:{n}: {reason}")
                bad += 1
                continue
            ids[row["id"]] += 1
            kinds[(row["type"], row["answerable"])] += 1
    dup = [i for i, c in ids.items() if c > 1]
    for i in dup:
        print(f"duplicate id {i}")
    total = sum(kinds.values())
    unans = sum(c for (t, a), c in kinds.items() if not a)
    by_type = Counter()
    for (t, _a), c in kinds.items():
        by_type[t] += c
    print(f"{total} valid, {bad} invalid; unanswerable {unans} ({unans / max(total, 1):.0%}); "
          + ", ".join(f"{t} {c}" for t, c in sorted(by_type.items())))
    return 1 if bad or dup else 0


if __name__ == "__main__":
    sys.exit(main())
