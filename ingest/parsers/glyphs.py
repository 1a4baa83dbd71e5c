"""Private-use-area glyphs that Hangul word processor symbol fonts put in the text.

HWP and HWPX store numbered bullets and decorative symbols as code points in the Unicode
private use areas, drawn by a symbol font (Hancom's own fonts use the supplementary area
U+F0000..; Wingdings/Symbol use U+F020..U+F0FF). They mean nothing to a search index, so
each parser passes its text through ``replace_private_glyphs``: a known glyph becomes its
Unicode character, any other private-use code point is dropped.
"""

from __future__ import annotations

import re

# Hancom numbered bullets: U+F02B1 is ① ("\U000f02b1 고용안정 지원을 통한 충격완화" is item 1).
# U+F02B1..U+F02B4 are seen in order as items 1-4 in real briefings; the run continues to ⑩.
_HANCOM_CIRCLED = {0xF02B1 + i: chr(0x2460 + i) for i in range(10)}

# Wingdings glyphs at U+F000 + the font's byte, as Word and Hancom store them.
_WINGDINGS = {
    0xF06C: "●",
    0xF06E: "■",
    0xF06F: "□",
    0xF071: "❑",
    0xF075: "◆",
    0xF076: "❖",
    0xF09E: "·",  # "금융\uf09e보험서비스" is 금융·보험서비스
    0xF09F: "•",
    0xF0A7: "▪",
    0xF0D8: "➢",
    0xF0FC: "✓",
}

_KNOWN: dict[int, str] = {**_HANCOM_CIRCLED, **_WINGDINGS}

_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _replace(match: re.Match[str]) -> str:
    return _KNOWN.get(ord(match.group()), "")


def replace_private_glyphs(text: str) -> str:
    """Map known private-use glyphs to Unicode (U+F02B1 → ①) and drop the rest."""
    return _PRIVATE_USE.sub(_replace, text)
