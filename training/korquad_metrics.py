"""KorQuAD 1.0's official metrics: exact match after removing punctuation, F1 over characters.

Written after the KorQuAD 1.0 evaluation script (``evaluate-v1.0.py``): answers are normalised by
removing quotes, brackets and punctuation and all whitespace; F1 compares the characters of the
normalised prediction and gold; a question scores its best gold answer.
"""

from __future__ import annotations

import re
import string
from collections import Counter

_PUNCT = set(string.punctuation) | set("‘’´`_“”「」『』《》〈〉·ㆍ")


def normalize_answer(s: str) -> str:
    s = re.sub("'", " ", s)
    s = re.sub('"', " ", s)
    s = re.sub("《", " ", s)
    s = re.sub("》", " ", s)
    s = re.sub("<", " ", s)
    s = re.sub(">", " ", s)
    s = re.sub("〈", " ", s)
    s = re.sub("〉", " ", s)
    s = re.sub(r"\(", " ", s)
    s = re.sub(r"\)", " ", s)
    s = re.sub("‘", " ", s)
    s = re.sub("’", " ", s)
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(s.split())


def f1_score(prediction: str, gold: str) -> float:
    pred = list(normalize_answer(prediction).replace(" ", ""))
    ref = list(normalize_answer(gold).replace(" ", ""))
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction).replace(" ", "") == normalize_answer(gold).replace(" ", ""))


def best_of(metric, prediction: str | None, golds: tuple[str, ...] | list[str]) -> float:  # type: ignore[no-untyped-def]
    if prediction is None:
        return 0.0
    return max((metric(prediction, g) for g in golds), default=0.0)
