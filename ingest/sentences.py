"""Korean sentence boundaries with offsets, from Kiwi (loaded once, on first use).

>>> list(sentence_spans("예산은 4,366억원이다. 내년에 집행한다.", 0, 24))
[(0, 14), (15, 24)]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def kiwi():  # type: ignore[no-untyped-def]
    """The process's one Kiwi analyser: its model takes ~480 MB, so every stage shares this instance."""
    from kiwipiepy import Kiwi

    return Kiwi()


def sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, as offsets into ``text``."""
    for sentence in kiwi().split_into_sents(text[start:end]):
        yield start + sentence.start, start + sentence.end
