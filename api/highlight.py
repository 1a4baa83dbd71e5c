"""Where a query's morphemes occur in a passage, as character spans of the passage text.

>>> highlight_spans("스마트공장을 확산한다", ["스마트", "공장", "스마트공장", "확산"])
[(0, 5), (7, 9)]
"""

from __future__ import annotations

from core.text import fold


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged, sorted ``(start, end)`` spans of ``terms`` in ``text``, matched on ``core.text.fold``.

    ``fold`` keeps one character per input character, so folded offsets are offsets into ``text``.
    Single characters other than digits are skipped: a lone syllable would light up half a passage.
    """
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for term in {fold(t).strip() for t in terms}:
        if not term or (len(term) < 2 and not term.isdigit()):
            continue
        at = folded.find(term)
        while at >= 0:
            spans.append((at, at + len(term)))
            at = folded.find(term, at + 1)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
