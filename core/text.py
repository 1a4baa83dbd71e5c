"""Text normalisation shared by every layer.

Matching uses normalised text; citations and offsets always use the original text.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘′´`"})
_TILDES = str.maketrans({c: "~" for c in "∼〜～˜⁓〰"})
_MIDDLE_DOTS = str.maketrans({c: "·" for c in "ㆍ・•"})
# fold() also unifies the other dots that releases use between list items (‧ ∙ ･).
_ALL_DOTS = str.maketrans({c: "·" for c in "ㆍ・•‧∙･"})
_WHITESPACE = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """Unicode NFKC, the normal form used wherever text is compared."""
    return unicodedata.normalize("NFKC", text)


def norm(text: str) -> str:
    """The eval normalisation: NFKC, lower case, one apostrophe, tilde and middle dot, no spaces or commas.

    >>> norm("'26년 4,366억 원")
    "'26년4366억원"
    """
    # Map before NFKC too: NFKC turns ㆍ into a jamo and ´ ˜ into combining marks.
    s = text.translate(_APOSTROPHES).translate(_TILDES).translate(_MIDDLE_DOTS)
    s = nfkc(s).lower()
    s = s.translate(_APOSTROPHES).translate(_TILDES).translate(_MIDDLE_DOTS)
    s = _WHITESPACE.sub("", s).replace(",", "")
    # Dropping spaces can bring a base letter and a combining mark together ("T ̈"); compose them
    # so that norm(norm(s)) == norm(s). Hangul and digits are unaffected.
    return nfkc(s)


class _FoldTable(dict):
    """``str.translate`` table for :func:`fold`, filled one character at a time on first sight."""

    def __missing__(self, code: int) -> str:
        ch = chr(code).translate(_APOSTROPHES).translate(_TILDES).translate(_ALL_DOTS)
        n = unicodedata.normalize("NFKC", ch).lower()
        n = n.translate(_APOSTROPHES).translate(_TILDES).translate(_ALL_DOTS)
        self[code] = folded = n[0] if n else " "
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Match-friendly form that keeps one character per input character (so offsets survive).

    NFKC can change a string's length, so ``fold`` maps each character on its own and keeps
    the first character of its NFKC form; used to search the original text by position.

    >>> fold("’２６년 ＡＩ")
    "'26년 ai"
    """
    return text.translate(_FOLD)


def squash_spaces(text: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    return _WHITESPACE.sub(" ", text).strip()
